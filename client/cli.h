/*
 * cli.h: the liudong command line (CLI.md): global options, the table of commands, and the one
 * parser that turns `liudong member add --id ...` into a ctl Request. Commands answered by the
 * daemon need no code of their own beyond a table row; the few that print specially or work
 * without the daemon have a hook.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctl.pb-c.h"

struct cli {
	const char *socket;
	const char *operator_name;
	bool json;
};

struct opt_spec {
	const char *name; /* long name without dashes */
	bool has_arg;
	bool required;
	const char *meta; /* for usage: "DATE", "YUAN", ... */
};

struct cmd_spec;

/*
 * A command that runs without the daemon: REQ holds the parsed options (as they would be sent).
 * Returns the exit code, having printed the result or the error.
 */
typedef int (*local_fn)(const struct cli *cli, const Ld__Request *req);

/*
 * Print RESULT for people in a way of its own (for --json the object is printed as is). REQ holds
 * the options given. Returns the exit code.
 */
typedef int (*print_fn)(json_t *result, const Ld__Request *req);

/* After a successful answer: the exit code (0, or e.g. 5 when `verify` found damage). */
typedef int (*check_fn)(json_t *result);

struct cmd_spec {
	const char *words;	/* "member add" */
	const char *ctl;	/* "member.add", the daemon's command name */
	int min_args, max_args; /* positionals */
	const char *args;	/* for usage: "IDNO" */
	const char *help;	/* one line */
	struct opt_spec opts[20];
	local_fn local;
	print_fn print;
	check_fn check;
	const char *rows;  /* answered in pages: the key of the rows (pages.c) */
	const char *count; /* with rows: the key under which the CLI gives how many came */
	const char *hide;  /* columns left out of its tables for people (--json has them) */
	const char *one; /* its argument NAME picks the row of this list named NAME (detail view) */
};

/* The whole CLI: returns the process exit code. */
int cli_main(int argc, char **argv);

/* The table of commands, *n rows (static). */
const struct cmd_spec *cli_commands(size_t *n);

/*
 * complete.c: `liudong __complete WORD... CUR` (hidden): print the words that may complete CUR
 * after WORD..., one a line ("::files": file names). ARGV holds WORD... CUR. Returns 0.
 */
int cli_complete(int argc, char **argv);

/*
 * complete.c: `liudong __man` (hidden): every command of the table with its arguments, options and
 * one-line help, in scdoc, for the COMMANDS section of liudong(1) (docs/man/). Returns 0.
 */
int cli_man_commands(void);

/*
 * One connection for many requests (a listing's pages, cli_call's steps): connect to the daemon
 * into *fd (the caller closes it), send REQ on it, receive the answer to the oldest request sent
 * (as cli_call gives it). Each returns 0 or the exit code, the error printed.
 */
int cli_connect(const struct cli *cli, int *fd);
int cli_send(const struct cli *cli, int fd, const Ld__Request *req);
int cli_receive(const struct cli *cli, int fd, Ld__Response **out);

/*
 * Send REQ to the daemon. On 0, *out is the answer (status 0; the caller frees it with
 * ld__response__free_unpacked); otherwise the error (and any warnings) are printed and the exit
 * code returned. Warnings of a successful answer are printed too.
 */
int cli_call(const struct cli *cli, const Ld__Request *req, Ld__Response **out);

/*
 * Send REQ to the daemon. On 0, *result is the answer's JSON object (the caller decrefs it);
 * otherwise the error (and any warnings) are printed and the exit code returned.
 */
int cli_request(const struct cli *cli, const Ld__Request *req, json_t **result);

/* cmd_bulk.c: export and import, many requests or one large one. */
int local_export(const struct cli *cli, const Ld__Request *req);
int local_import(const struct cli *cli, const Ld__Request *req);

/* pages.c: a list the daemon answers in pages (C->rows), printed as the pages come. */
int run_paged(const struct cli *cli, const struct cmd_spec *c, const Ld__Request *req);

/* cmd_local.c: commands that run without the daemon, and special printers. */
int local_dues_calc(const struct cli *cli, const Ld__Request *req);
int print_pubkey(json_t *result, const Ld__Request *req);
int print_conflicts(json_t *result, const Ld__Request *req);
int print_token(json_t *result, const Ld__Request *req);
int print_qr(json_t *result, const Ld__Request *req);
int check_verify(json_t *result);
int check_cert_verify(json_t *result);

/* doctor.c: `doctor`'s findings for people, and its exit code (5 when one failed). */
int print_doctor(json_t *result, const Ld__Request *req);
int check_doctor(json_t *result);

/* Print "liudong: MSG" on stderr and return CODE. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * With --json, while a list is half printed (HOLD), a failure's {"code", "message"} is kept for
 * cli_json_error_take (the caller's, NULL if none) instead of printed, so that the list's object
 * can end with it and stay one object.
 */
void cli_json_error_hold(bool hold);
json_t *cli_json_error_take(void);

/* The value of option KEY in REQ, or NULL. */
const char *cli_param(const Ld__Request *req, const char *key);
