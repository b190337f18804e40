/*
 * sync_internal.h: the sync engine's own structures and the functions its files share (sync.h is
 * the public API). Everything here runs on the loop thread, except writer jobs' run functions.
 *
 * A `sync_peer` is a pinned site (from `liudong peer add` or a [peer] section); it lives until the
 * daemon stops, even if removed (then it is only marked absent). A `link` is one connection's sync
 * state; it is freed when its connection has closed and no writer job refers to it any more. A
 * link is its peer's `link` (the one used for sending) from the moment it is identified until it
 * begins to close (link_closing), not until it has closed.
 *
 * The files: sync.c (start, stop, the connection callbacks and message dispatch), sync_peers.c
 * (registry, reload, links, keys, saved acks), sync_dial.c (dialing, backoff, listener, liveness
 * ticks), sync_hello.c (pinning, the duplicate-connection rule, Hello and version negotiation),
 * sync_send.c (outbox, window, lag, what the peer reports quarantined), sync_apply.c (applying
 * the peer's batches through the writer, acks), sync_status.c (the status JSON).
 */
#pragma once

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "daemon.h"
#include "eventlog.h"
#include "peer.pb-c.h"
#include "peerconn.h"
#include "protover.h"
#include "siteid.h"
#include "store.h"
#include "sync.h"
#include "tls.h"

/*
 * MAX_APPLYING, DECODED_AHEAD, MAX_HELD: a received batch is held as its message (up to
 * BATCH_BYTES, a 2 MiB block) until its commit is durable (its Ack is sent then) and, decoded, in a
 * block of 4 MiB for 4,096 imported members until the writer has run it. Reading from a peer goes
 * on while fewer than MAX_APPLYING of its batches wait for the writer and fewer than MAX_HELD are
 * not yet done: so while the writer commits (and fsyncs) the batches it ran, the next is read and
 * decoded, and the writer finds it ready instead of waiting ~10 ms for it after every commit. Two
 * waiting and four held: B's catch-up of 100,000 8 % faster and of 500,000 22 % than three waiting
 * with reading paused through the commit, its peak during a catch-up of 1,000,000 4 MiB lower
 * (three and six: 16 % faster, but a peak of 62.8 MiB; BENCHMARKS.md, 2026-12-02). The writer
 * decodes itself what is over DECODED_AHEAD, so it is no less than MAX_APPLYING. WINDOW is no
 * less than MAX_HELD, or the sender would hold back what B may take.
 */
#define WINDOW		 4	    /* unacknowledged batches per peer */
#define BATCH_EVENTS	 4096	    /* events per batch, at most */
#define BATCH_FIRST	 256	    /* events in a link's first batch; each next one holds twice */
#define BATCH_BYTES	 (2u << 20) /* bytes of events per batch, at most */
#define MAX_APPLYING	 2	    /* batches at the writer before reading pauses */
#define DECODED_AHEAD	 2	    /* batches decoded ahead of the writer, at most */
#define MAX_HELD	 4	    /* batches let in and not yet done, before reading pauses */
#define MAX_QUEUED	 (8u << 20) /* bytes queued to a socket before sending pauses */
#define SEND_TRIM_BYTES	 (2u << 20) /* the sender drops the store's mapped pages this often */
#define HELLO_TIMEOUT_MS 20000
#define PING_IDLE_MS	 90000
#define SILENCE_MS	 300000
#define BACKOFF_MIN_MS	 1000
#define BACKOFF_MAX_MS	 300000
#define SKEW_WARN_MS	 (5 * 60 * 1000)
#define MAX_REPORTED	 4096 /* quarantined events taken from one Ack */

enum peer_state {
	PEER_DOWN = 0,
	PEER_CONNECTING,
	PEER_HANDSHAKING,
	PEER_CATCHING_UP,
	PEER_LIVE,
	PEER_REFUSED,
};

extern const char *const sync_state_names[];

struct link;

struct sync_peer {
	struct sync *sync;
	struct sync_peer *next;
	char name[LD_NAME_MAX];
	uint8_t id[LD_SITE_ID_BYTES];
	char address[LD_NAME_MAX];
	bool present;	/* in the current list of peers */
	bool listed;	/* seen while re-reading the list (sync_reload) */
	bool key_known; /* its public key is stored */
	enum peer_state state;
	Ld__CloseCode refused_code; /* why it refused us before Hello (state refused); 0: none */
	char last_error[256];
	/* Its wall clock minus ours, from its last Hello or Pong (doctor); skew_known: it sent one
	 */
	int64_t skew_ms;
	bool skew_known;
	int64_t last_contact_ms;
	struct link *link;    /* the connection in use (identified), or NULL */
	struct link *dialing; /* our own dial in progress, not yet identified */
	uv_timer_t dial_timer;
	unsigned backoff_ms;
	/* Sender: our log as the peer has it. */
	uint64_t acked_seq, sent_seq;
	uint64_t acked_saved; /* acked_seq as last written to the peer's cursor */
	bool saving_ack;      /* a writer job is writing it */
	/* `status`: lag_count outbox entries in (lag_from, lag_to], if lag_known */
	uint64_t lag_from, lag_to, lag_count;
	bool lag_known;
	unsigned inflight;
	/* Receiver: the peer's log as we have it. */
	uint64_t applied_seq, their_head;
};

struct apply_job;

struct link {
	struct sync *sync;
	struct link *next;
	struct peer_conn *conn; /* NULL once closed */
	struct sync_peer *peer; /* once identified */
	bool hello_done;
	int64_t opened_ms, last_rx_ms, last_tx_ms; /* monotonic (clock_mono_ms) */
	unsigned applying;     /* its batches let in and not yet run by the writer */
	unsigned held;	       /* its batches let in and not yet done (run, maybe not committed) */
	unsigned batches_sent; /* batches of events sent on it (their size grows: peer_fill) */
	struct apply_job *decoding; /* its batches not yet at the writer, in order (sync_apply.c) */
	unsigned refs;		    /* writer jobs holding the link */
	bool was_current;	    /* it was its peer's link when it began to close */
	unsigned protocol;	    /* the version both sides speak, once Hello is done */
};

struct sync {
	struct daemon *d;
	struct tls_ctx *tls;
	uv_tcp_t listener;
	bool listening;
	uv_timer_t tick;
	struct sync_peer *peers;
	struct link *links;
	uint8_t log_id[LD_LOG_ID_BYTES];
	bool stopping;
	unsigned closing_handles;
	void (*stop_cb)(void *data);
	void *stop_data;
	size_t read_since_trim; /* bytes of events the sender read from the map since it trimmed */
	atomic_uint decoded_live; /* batches decoded ahead and not yet applied (sync_apply.c) */
};

/* The connection callbacks of every link (sync.c). */
extern const struct peer_conn_ops sync_link_ops;

/* sync_peers.c */
void peer_error(struct sync_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct link *link_new(struct sync *s);
void link_unref(struct link *l);
int link_send(struct link *l, const Ld__Envelope *env);
void link_close(struct link *l, Ld__CloseCode code, const char *reason);
struct sync_peer *peer_by_id(struct sync *s, const uint8_t *id);
struct sync_peer *peer_by_name(struct sync *s, const char *name);
void peer_store_key(struct sync_peer *p, const uint8_t *spki, size_t len);
void peer_save_ack(struct sync_peer *p);

/* sync_dial.c */
void peer_dial(struct sync_peer *p);
void peer_schedule(struct sync_peer *p);
int listen_on(struct sync *s, const char *address);
void on_tick(uv_timer_t *t);

/* sync_hello.c */
void link_ready(struct peer_conn *c, const uint8_t *spki, size_t len);
void on_hello(struct link *l, const Ld__Hello *h);
/* P's wall clock read THEIRS_MS when ours read NOW_MS (a Pong): its skew, saturated. */
void peer_note_clock(struct sync_peer *p, int64_t theirs_ms, int64_t now_ms);

/* What a peer's Hello says, judged against this site (hello_judge). */
struct hello_verdict {
	uint32_t version;	   /* the highest version both speak; 0: none (refuse) */
	struct proto_range theirs; /* the range the Hello announces */
	bool same_site;		   /* its site_id is PEER_ID (else: refuse) */
	int64_t skew_ms;	   /* its wall clock minus ours, saturated to +-INT64_MAX */
	bool knows_our_log;	   /* its peer_log_id is our log */
	bool other_log;		   /* it names another log of ours: resend everything */
	bool beyond_head;	   /* it claims a seq of ours past our head: resend everything */
	uint64_t acked;		   /* where sending resumes */
};

/*
 * Judge H from the peer PEER_ID, with OUR_LOG, OUR_HEAD (our log's last seq) and NOW_MS (our wall
 * clock) into *V. Pure: on_hello acts on the verdict.
 */
void hello_judge(const Ld__Hello *h, const uint8_t peer_id[LD_SITE_ID_BYTES],
		 const uint8_t our_log[LD_LOG_ID_BYTES], uint64_t our_head, int64_t now_ms,
		 struct hello_verdict *v);

/* sync_send.c */
void peer_fill(struct sync_peer *p);
uint64_t peer_lag_exact(struct sync_peer *p, struct store_txn *txn, uint64_t head);
void advance_idle_peers(struct sync *s);
void peer_record_reported(struct sync_peer *p, const Ld__Ack *ack);
/*
 * The events of ours ACK (from a peer) says it quarantined, as the sender records them: at most
 * MAX_REPORTED, only seqs 1..ack->seq, each reason cut to APPLY_REASON_MAX bytes. Into LIST (room
 * for min(n_quarantined, MAX_REPORTED)) with the reasons in REASONS (that many APPLY_REASON_MAX
 * bytes, the caller's); LIST[i].reason points into REASONS. Returns how many were taken.
 */
struct reported_event;
size_t ack_reported_events(const Ld__Ack *ack, struct reported_event *list, char *reasons);

/* sync_apply.c */
void on_batch(struct link *l, struct peer_msg *m);
