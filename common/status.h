/*
 * status.h: exit codes of CLI.md, and the one translation from the error space (lderr.h) to them:
 *   LD_EUSAGE 2, LD_EINPUT 3, LD_ENOTFOUND 4, LD_EEXIST LD_EFORBIDDEN LD_EALREADY LD_ESIGNATURE
 *   LD_EREVOKED LD_EEXPIRED LD_ELOCKED 5, LD_ESTOPPING LD_EUNAVAILABLE 6, anything else 1
 * (internal: LD_ECORRUPT, LD_ENOSPACE and bare errno, each with its reason in the message).
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

/* The exit code for ERR (0 or a code of lderr.h). */
enum ld_exit status_from_error(int err);
