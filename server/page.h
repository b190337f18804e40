/*
 * page.h: answers in pages. A list that grows with the site (due, member list and find, history,
 * audit) is answered a page at a time: at most `limit` rows (the request's, default
 * PAGE_ROWS_DEFAULT, at most PAGE_ROWS_MAX), about PAGE_BYTES of JSON, and PAGE_SCAN entries looked
 * at, with a `next` cursor the client sends back as `after` for the page that follows (null: that
 * was the last). So neither the daemon's memory nor the 64 MiB frame depends on the site's size,
 * and no request holds the thread that answers it for long. Each page is read in its own read
 * transaction: the pages of one listing are not one snapshot.
 *
 * A cursor that holds a member's key is sealed (AES-256-GCM under a key made once per daemon
 * process): it carries no identity number to the client, and one that was not made here (or was
 * made before the daemon restarted) is refused. Safe from any thread: nothing here is shared but
 * that key, made once.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "request.h"

#define PAGE_ROWS_DEFAULT 1000
#define PAGE_ROWS_MAX	  10000
#define PAGE_BYTES	  (1u << 20)
#define PAGE_SCAN	  20000
#define PAGE_KEY_MAX	  128	/* the longest table key a cursor holds */
#define PAGE_SEALED_MAX	  16384 /* the most a sealed cursor holds (due's site-rule tallies) */

struct page {
	size_t limit;	/* rows */
	size_t rows;	/* rows taken */
	size_t bytes;	/* about how much JSON they make */
	size_t scanned; /* entries looked at */
};

/*
 * Start a page for RQ: its `limit` parameter (1 to PAGE_ROWS_MAX) or the default. Returns 0, or
 * LD_EINPUT (said with request_fail) for a limit that is not one.
 */
int page_begin(struct request *rq, struct page *pg);

/* True when PG holds as many rows, bytes or looked-at entries as a page may. */
bool page_full(const struct page *pg);

/* Count one row of about BYTES of JSON into PG. */
void page_take(struct page *pg, size_t bytes);

/* About how many bytes of compact JSON V makes (strings counted with their escapes). */
size_t page_json_bytes(const json_t *v);

/*
 * Seal DATA (LEN bytes, at most PAGE_SEALED_MAX) with the listing's TAG (one letter: which listing
 * and phase) into *out as text (malloc'd: the caller frees it). Returns 0, -ENOMEM, or -EIO (the
 * cipher failed).
 */
int page_seal(char tag, const void *data, size_t len, char **out);

/*
 * Open the cursor TEXT a client sent back: its tag into *tag and its data into *data (malloc'd,
 * the caller frees it) and *len. Returns 0, -ENOMEM, or LD_EINPUT (said with request_fail on RQ:
 * not a cursor of this daemon, or of a daemon since restarted).
 */
int page_open(struct request *rq, const char *text, char *tag, unsigned char **data, size_t *len);

/* Set "next" in RQ's result: the sealed TAG and KEY, or null if KEY is NULL. 0, -ENOMEM or -EIO. */
int page_next(struct request *rq, char tag, const void *key, size_t len);
