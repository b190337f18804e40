/*
 * sync.h: the sync engine: keeps every pinned peer site in step with this one.
 *
 * For each peer: dial it (if it has an address) and accept it; after TLS, pin its key to the
 * site id we hold for it; exchange Hello (logs, cursors); then stream our events that concern it
 * (the `outbox`) in EventBatches, with a bounded window of unacknowledged batches, and apply the
 * batches it sends through the writer, acknowledging each after its commit. Reconnect with capped
 * exponential backoff and jitter; Ping when idle, drop when silent. All of it on the loop thread.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "lderr.h"

struct daemon;
struct sync;

/* Start: TLS context, listener (if [site] listen is set), peers from the store and config. */
int sync_start(struct daemon *d, struct sync **out);

/* Re-read the peers (after peer add/remove or SIGHUP): connect new ones, drop removed ones. */
void sync_reload(struct sync *s);

/* Local events were committed: push them to the peers they concern. */
void sync_poke(struct sync *s);

/* `peer resync NAME`: send that peer everything that concerns it again. Returns 0 or LD_ENOTFOUND.
 */
int sync_resync(struct sync *s, const char *name);

/* The status of every peer as CLI.md's `status` prints it: a JSON array the caller owns. */
json_t *sync_status(struct sync *s);

/* What `doctor` needs to know of one peer: a copy, taken on the loop thread. */
struct sync_peer_report {
	char name[128];
	char address[128];
	const char *state;   /* as status shows it: "down", "live", "refused", ... (static) */
	bool linked;	     /* connected, Hello done */
	bool connected_once; /* we heard from it since start (last_contact) */
	bool unpinned;	     /* it refused us: our key is not pinned there */
	bool incompatible;   /* it refused us: no protocol version in common */
	char last_error[256];
	bool skew_known; /* it sent its wall clock */
	int64_t skew_ms; /* its wall clock minus ours */
	uint64_t lag;	 /* our events it has not acknowledged */
	uint64_t behind; /* its events (by seq) we have not applied, as far as we know its head */
};

/*
 * The present peers of S into *out (malloc'd, the caller frees; NULL when *n is 0), their lag
 * counted in TXN (a read transaction of the caller's). Loop thread. Returns 0 or -ENOMEM.
 */
int sync_report(struct sync *s, struct store_txn *txn, struct sync_peer_report **out, size_t *n);

/*
 * Close every connection, timer and the listener, then call CB(DATA). Writer jobs of S may still
 * be out: free S with sync_free only after the writer has stopped.
 */
void sync_stop(struct sync *s, void (*cb)(void *data), void *data);

/* Free S (NULL allowed) after sync_stop's callback and after the writer stopped. */
void sync_free(struct sync *s);
