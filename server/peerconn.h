/*
 * peerconn.h: one connection to a peer site: TCP through libuv, TLS 1.3 through memory BIOs
 * (tls.h), frames of peer.proto Envelopes. It knows nothing of sync: it reports the peer's key
 * once the handshake is done, hands up each Envelope, and says why it closed.
 *
 * Lifecycle: peer_conn_dial or peer_conn_accept -> (TLS handshake) -> ops->ready -> any number of
 * ops->message -> ops->closing, exactly once, as soon as the connection starts to close (from then
 * on nothing can be sent on it) -> ops->closed, exactly once, after which the connection is freed.
 * ops->closing and ops->closed are also called if the connection fails before it is ready.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "pballoc.h"
#include "peer.pb-c.h"
#include "tls.h"

struct peer_conn;

/* The most memory one Envelope may take unpacked (a frame is at most 4 MiB). */
#define PEER_UNPACK_BUDGET (24u << 20)

/*
 * An Envelope received, unpacked into an arena of its own (one allocation for a whole batch of
 * events, within the unpack budget): free with peer_msg_free. A batch in the shape our senders
 * write is read in place: its bytes copied into the arena once, each event pointing into them.
 */
struct peer_msg {
	struct pb_arena arena;
	Ld__Envelope *env;
	size_t cap;	       /* the block's size */
	unsigned char block[]; /* the arena's first block */
};

/*
 * Unpack the Envelope BODY (LEN bytes, borrowed) into a new message *OUT, the caller's
 * (peer_msg_free). Returns 0, LD_EINPUT if it does not decode (or would take more than the unpack
 * budget), -ENOMEM.
 */
int peer_msg_unpack(const uint8_t *body, size_t len, struct peer_msg **out);

/* Free M (NULL is fine). A large message's block may be kept for the next (peer_msg_cache_trim). */
void peer_msg_free(struct peer_msg *m);

/*
 * Give back the blocks of large messages peer_msg_free kept: a batch's block is megabytes, and a
 * fresh one costs a page fault per page its bytes are copied into, so the last few are reused.
 * Those are kept while large messages keep coming: the blocks go at the first call after one
 * with none made in between (the daemon's trim timer calls this). Any thread may call it.
 */
void peer_msg_cache_trim(void);

struct peer_conn_ops {
	/* The handshake is done; SPKI (LEN bytes) is the peer's public key, valid during the call.
	 */
	void (*ready)(struct peer_conn *c, const uint8_t *spki, size_t len);
	/* An Envelope arrived; MSG is the callee's (peer_msg_free). */
	void (*message)(struct peer_conn *c, struct peer_msg *msg);
	/*
	 * The connection started to close, for CODE and REASON (never NULL; valid during the call):
	 * peer_conn_send fails from now on. Called from inside peer_conn_close (so also from inside
	 * a failing peer_conn_send) or from the loop.
	 */
	void (*closing)(struct peer_conn *c, Ld__CloseCode code, const char *reason);
	/* The connection closed (as for closing). C is freed after this returns. */
	void (*closed)(struct peer_conn *c, Ld__CloseCode code, const char *reason);
};

/*
 * Dial ADDRESS ("HOST:PORT") on LOOP. OPS and DATA are kept; *out is valid until ops->closed.
 * Returns 0 (then exactly one ops->closed will follow, after ready or not), or -errno at once
 * (then no callback is called).
 */
int peer_conn_dial(uv_loop_t *loop, struct tls_ctx *tls, const char *address,
		   const struct peer_conn_ops *ops, void *data, struct peer_conn **out);

/* Accept a connection waiting on SERVER. As peer_conn_dial. */
int peer_conn_accept(uv_stream_t *server, struct tls_ctx *tls, const struct peer_conn_ops *ops,
		     void *data, struct peer_conn **out);

/* The DATA given at dial or accept, and a way to change it. */
void *peer_conn_data(const struct peer_conn *c);
void peer_conn_set_data(struct peer_conn *c, void *data);

/* True if this side dialed. */
bool peer_conn_dialed(const struct peer_conn *c);

/* "127.0.0.1:7701": the remote address, for logs. */
const char *peer_conn_remote(const struct peer_conn *c);

/*
 * Send ENV (packed now; ENV stays the caller's). Returns 0, -EMSGSIZE, -EPIPE if closing, or
 * another -errno after which the connection is closing (ops->closing was called).
 */
int peer_conn_send(struct peer_conn *c, const Ld__Envelope *env);

/* Bytes queued to the socket and not yet written. */
size_t peer_conn_queued(const struct peer_conn *c);

/* Stop or restart reading (back-pressure while applying batches). */
void peer_conn_pause(struct peer_conn *c, bool paused);

/*
 * Close C: if SEND_CLOSE and the handshake is done, first send Close{CODE, REASON}. ops->closing
 * is called before this returns, ops->closed follows (later, from the loop), both with CODE and
 * REASON. Safe to call more than once: only the first call counts.
 */
void peer_conn_close(struct peer_conn *c, Ld__CloseCode code, const char *reason, bool send_close);
