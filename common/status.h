/*
 * status.h: exit codes of CLI.md, and the one translation from negative errno to them.
 *
 * Inside both programs, failures are negative errno with these meanings:
 *   LD_EUSAGE      usage: unknown command or option, missing or extra argument       -> 2
 *   LD_EINPUT    invalid input: identity number, date, month, amount, enum, token  -> 3
 *   LD_ENOTFOUND    not found: member, certificate, branch, meeting, peer, receipt    -> 4
 *   LD_EEXIST, LD_EFORBIDDEN, LD_EALREADY, LD_ECORRUPT, LD_EREVOKED, LD_EEXPIRED
 *              refused by a rule                                                 -> 5
 *   -ECONNREFUSED, -EHOSTUNREACH, LD_ESTOPPING
 *              the daemon cannot be reached (or is stopping)                                     ->
 * 6 anything else: an internal error (a bug, logged by the daemon)               -> 1
 */
#pragma once
#include "lderr.h"

enum ld_exit {
	LD_EXIT_OK = 0,
	LD_EXIT_INTERNAL = 1,
	LD_EXIT_USAGE = 2,
	LD_EXIT_INVALID = 3,
	LD_EXIT_NOT_FOUND = 4,
	LD_EXIT_REFUSED = 5,
	LD_EXIT_UNAVAILABLE = 6,
};

/* The exit code for ERR (0 or a negative errno). */
enum ld_exit status_from_error(int err);
