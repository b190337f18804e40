/*
 * request.h: one control request on its way through the daemon, and what command handlers use.
 *
 * A handler reads its parameters with request_param*, builds its result into rq->result (a JSON
 * object, made empty before each call), and returns 0 or a negative errno, having said why with
 * request_fail (one line for the CLI's stderr). Write handlers run on the writer thread inside a
 * child transaction and may run more than once (map growth). Read handlers run on a control thread
 * (lookups, ctl.c) or on a reader thread (scans, readers.h) in a read transaction, unless their
 * command is marked `loop` in the table (they read what the loop thread owns: sync's live state);
 * so a read handler touches only
 * RQ, the store through TXN, and what daemon.h says is fixed once set up (never config.rules, the
 * peers in config, d->sync or the writer).
 */
#pragma once

#include <jansson.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ctl.pb-c.h"
#include "pballoc.h"
#include "readers.h"
#include "store.h"
#include "writer.h"

struct daemon;
struct command;

struct request {
	struct writer_job job; /* first: the writer hands it back */
	struct daemon *daemon;
	Ld__Request *req; /* unpacked with `budget` */
	struct pb_budget budget;
	/* The value of the parameter named req->attach, sent as a frame of its own (ctl.proto):
	 * NUL-terminated text inside ATTACHED_BUF (owned: the buffer it was received into). */
	const char *attached;
	size_t attached_len;
	void *attached_buf;
	uint32_t uid;	  /* the caller's uid, from SO_PEERCRED */
	json_t *result;	  /* owned; the JSON object of the response */
	json_t *warnings; /* owned; array of strings */
	char *raw_json; /* owned, may be NULL: the answer as JSON text instead of result (big lists)
			 */
	struct rules
	    rules; /* the daemon's, copied at dispatch on the loop thread: a handler in the
		      writer thread reads these, never the daemon's, which SIGHUP replaces */
	/*
	 * A write command that commits in parts (import) sets job.more to be run again, in a later
	 * transaction, once what it wrote has committed; job.part counts the parts committed (0 in
	 * the first); the command's `after` runs once each part is durable (writer.h). STATE
	 * (owned, freed with STATE_FREE, before REQ) carries its work between parts and may use
	 * REQ's text until freed; a handler may be run more than once for one part (writer.h), so
	 * what it writes must follow from job.part and STATE alone.
	 */
	void *state;
	void (*state_free)(void *state);
	char error[512];
	locale_t loc; /* messages in the client's language (i18n.h); (locale_t)0: English */
	const struct command *cmd; /* found at dispatch; NULL for an unknown command */
	struct reader_job read;	   /* a read run on a reader thread */
	/*
	 * Set by the socket: sends the response and frees RQ, called on the loop thread. Before it,
	 * on the thread that ran a read (a reader thread), `prepare` (if set) makes the answer
	 * ready to send (JSON text, packed frame); prepare touches RQ only, never the connection.
	 */
	void (*reply)(struct request *rq);
	void (*prepare)(struct request *rq);
	void *conn;	      /* the socket's connection */
	void *answer;	      /* what prepare made ready (malloc'd by the socket), freed with RQ */
	size_t answer_len;    /* its length */
	struct request *next; /* the socket's: its queues between threads */
};

/* The value of parameter KEY ("arg" for positionals: the first), or NULL. Valid while rq lives. */
const char *request_param(const struct request *rq, const char *key);

/* The length of request_param's value for KEY (0 if none): without a pass over the text when it
 * was attached (ctl.proto: a register of many megabytes). */
size_t request_param_len(const struct request *rq, const char *key);

/* The Nth positional argument, or NULL. */
const char *request_arg(const struct request *rq, unsigned n);

/* True if flag KEY was given. */
bool request_flag(const struct request *rq, const char *key);

/* The operator named by the CLI ("" if none). */
const char *request_operator(const struct request *rq);

/*
 * The command as the user typed it, for advice in messages: "lapse decide" for the ctl name
 * "lapse.decide". A buffer of the calling thread's, valid until its next call.
 */
const char *request_words(const struct request *rq);

/* Record ERR's reason for the CLI (printf-style, FMT translated into the client's language) and
 * return ERR, so handlers `return request_fail(...)`. */
int request_fail(struct request *rq, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * VALUE of --KEY (both borrowed): one line of 1 to MAX bytes that input_text_check accepts (UTF-8,
 * no control, bidirectional or zero-width character, no white space at either end). Returns 0,
 * or LD_EINPUT recorded in RQ naming the option and what is wrong.
 */
int request_text(struct request *rq, const char *key, const char *value, int max);

/*
 * TEXT (borrowed; NULL: not given, *OUT untouched) as a date in *OUT. Returns 0, or LD_EINPUT
 * recorded in RQ naming NAME (as the user knows it: "--date", or an import's column) and why: not
 * YYYY-MM-DD or no real day, or before 1900-01-01.
 */
int request_date(struct request *rq, const char *name, const char *text, int32_t *out);

/* The --date option as request_date reads it into *OUT, or today if it is not given. */
int request_date_opt(struct request *rq, int32_t *out);

/* The required --KEY as request_text checks it, in *OUT (borrowed from RQ): 0, LD_EUSAGE if it is
 * not given (naming the command's help), or LD_EINPUT. */
int request_need_text(struct request *rq, const char *key, int max, const char **out);

/* Add a warning line (printf-style, FMT translated): shown on stderr, the command still succeeds.
 */
void request_warn(struct request *rq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Put in rq->error the words for a failure (rq->job.result) its handler did not explain, or that
 * is not the handler's (the daemon stopping, the data disk full). Call before replying. */
void request_explain(struct request *rq);

/*
 * Take in RQ as it arrived, once, before request_lookup or request_dispatch, on the thread that
 * read it: its messages' language (rq->loc) from the request, and its text checked. Every text a
 * client sends must be UTF-8; values of one line are trimmed and enum words in Chinese become
 * their English words before any handler sees them. Returns 0, or the refusal (also in
 * rq->job.result, its words in rq->error) to answer at once. The text of a request is up to
 * LD_CTL_FRAME_MAX bytes (an import's file): it is checked here, never on the loop thread.
 */
int request_accept(struct request *rq);

/*
 * Run RQ (accepted: request_accept): dispatch by command name, to a reader thread, through the
 * writer, or (commands marked `loop`) at once on the loop thread; rq->reply follows, on the loop
 * thread (from within this call when the answer is known at once: an unknown command, a `loop`
 * command, the daemon stopping). Loop thread only.
 */
void request_dispatch(struct request *rq);

/*
 * Whether RQ is a lookup: a read command that is not a scan (commands.h), answered on the thread
 * where it arrived with request_lookup; anything else goes to request_dispatch. Any thread.
 */
bool request_lookup_here(struct request *rq);

/*
 * Run lookup RQ (accepted: request_accept) here: its handler in this thread's kept read transaction
 * *KEEP (store_read_begin: begun the first time, reset after), with RULES copied into rq->rules.
 * The result into rq->job.result; no reply is called. The thread must hold no transaction.
 */
void request_lookup(struct request *rq, const struct rules *rules, struct store_txn **keep);

/* Free RQ and all it holds. */
void request_free(struct request *rq);
