/*
 * sync.c: see sync.h. Start and stop, and the connection callbacks (sync_link_ops) that hand each
 * message to the part that handles it; the rest is in sync_*.c (sync_internal.h says which).
 */
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logging.h"
#include "sync_internal.h"
#include "syncapply.h"
#include "writer.h"

static void maybe_finish_stop(struct sync *s);

static void link_message(struct peer_conn *c, struct peer_msg *m)
{
	struct link *l = peer_conn_data(c);
	struct sync_peer *p = l->peer;
	Ld__Envelope *env = m->env;
	l->last_rx_ms = clock_mono_ms();
	if (!p) {
		peer_msg_free(m);
		return;
	}
	p->last_contact_ms = clock_now_ms(); /* wall clock: shown in status */
	if (env->msg_case == LD__ENVELOPE__MSG_CLOSE) {
		char reason[400];
		Ld__CloseCode code = env->close->code;
		snprintf(reason, sizeof(reason), "%s closed the connection: %s", p->name,
			 env->close->reason ? env->close->reason : "");
		if (code != LD__CLOSE_CODE__DUPLICATE_CONNECTION) {
			if (!l->hello_done && p->link == l) {
				p->state = PEER_REFUSED;
				p->refused_code = code;
			}
			log_warn("sync: %s", reason);
		}
		peer_msg_free(m);
		peer_conn_close(c, code, reason, false);
		return;
	}
	if (p->link != l) {
		peer_msg_free(m);
		return;
	}
	if (!l->hello_done && env->msg_case != LD__ENVELOPE__MSG_HELLO) {
		peer_msg_free(m);
		link_close(l, LD__CLOSE_CODE__BAD_MESSAGE, "a message came before Hello");
		return;
	}
	switch (env->msg_case) {
	case LD__ENVELOPE__MSG_HELLO:
		on_hello(l, env->hello);
		break;
	case LD__ENVELOPE__MSG_BATCH:
		on_batch(l, m);
		return; /* the job owns M */
	case LD__ENVELOPE__MSG_ACK:
		if (env->ack->log_id.len == LD_LOG_ID_BYTES &&
		    memcmp(env->ack->log_id.data, l->sync->log_id, LD_LOG_ID_BYTES) == 0) {
			if (env->ack->n_quarantined && l->protocol >= 2)
				peer_record_reported(p, env->ack);
			if (env->ack->seq > p->acked_seq)
				p->acked_seq = env->ack->seq;
			if (p->inflight)
				p->inflight--;
			peer_fill(p);
		}
		break;
	case LD__ENVELOPE__MSG_PING: {
		Ld__Pong pong = LD__PONG__INIT;
		pong.wall_clock_ms = clock_now_ms();
		Ld__Envelope out = LD__ENVELOPE__INIT;
		out.msg_case = LD__ENVELOPE__MSG_PONG;
		out.pong = &pong;
		link_send(l, &out);
		break;
	}
	case LD__ENVELOPE__MSG_PONG:
		/* A site that does not send its clock sends 0 (proto3's default). */
		if (env->pong->wall_clock_ms)
			peer_note_clock(p, env->pong->wall_clock_ms, clock_now_ms());
		break;
	default:
		break;
	}
	peer_msg_free(m);
}

/*
 * The connection starts to close: from now on nothing is sent on it, so it stops being P's link
 * at once (peer_fill and the acks look at p->link), not only once it has closed.
 */
static void link_closing(struct peer_conn *c, Ld__CloseCode code, const char *reason)
{
	struct link *l = peer_conn_data(c);
	struct sync_peer *p = l->peer;
	if (!p || p->link != l)
		return;
	l->was_current = true;
	p->link = NULL;
	p->inflight = 0;
	if (p->state != PEER_REFUSED)
		p->state = PEER_DOWN;
	if (code != LD__CLOSE_CODE__DUPLICATE_CONNECTION || !p->last_error[0])
		peer_error(p, "%s", reason);
	log_info("sync: %s disconnected: %s", p->name, reason);
}

static void link_closed(struct peer_conn *c, Ld__CloseCode code, const char *reason)
{
	struct link *l = peer_conn_data(c);
	struct sync *s = l->sync;
	struct sync_peer *p = l->peer;
	l->conn = NULL;
	if (p && p->dialing == l)
		p->dialing = NULL;
	if (p && !l->was_current && !p->link && p->state != PEER_REFUSED) {
		/* A dial that failed, or a connection that closed before it was identified. */
		p->state = PEER_DOWN;
		peer_error(p, "%s", reason);
	}
	if (p && !p->link)
		peer_schedule(p);
	link_unref(l);
	maybe_finish_stop(s);
}

const struct peer_conn_ops sync_link_ops = {
    .ready = link_ready,
    .message = link_message,
    .closing = link_closing,
    .closed = link_closed,
};

int sync_start(struct daemon *d, struct sync **out)
{
	struct sync *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->d = d;
	struct store_txn *txn;
	int rc = store_begin(d->store, false, &txn);
	if (rc == 0) {
		rc = meta_log_id(txn, s->log_id);
		store_abort(txn);
	}
	if (rc == 0)
		rc = tls_ctx_new(d->identity, &s->tls);
	if (rc) {
		free(s);
		return rc;
	}
	uv_timer_init(d->loop, &s->tick);
	s->tick.data = s;
	uv_timer_start(&s->tick, on_tick, 1000, 1000);
	*out = s;
	if (d->config.listen[0]) {
		rc = listen_on(s, d->config.listen);
		if (rc) {
			log_error("cannot listen for peers on %s: %s", d->config.listen,
				  uv_strerror(rc));
			return rc; /* the caller stops S */
		}
	}
	sync_reload(s);
	return 0;
}

static void handle_closed(uv_handle_t *h)
{
	struct sync *s = h->data;
	s->closing_handles--;
	maybe_finish_stop(s);
}

static void dial_timer_closed(uv_handle_t *h)
{
	struct sync *s = ((struct sync_peer *)h->data)->sync;
	s->closing_handles--;
	maybe_finish_stop(s);
}

static void maybe_finish_stop(struct sync *s)
{
	if (!s || !s->stopping || s->closing_handles)
		return;
	for (struct link *l = s->links; l; l = l->next) {
		if (l->conn)
			return;
	}
	void (*cb)(void *) = s->stop_cb;
	s->stop_cb = NULL;
	if (cb)
		cb(s->stop_data);
}

void sync_stop(struct sync *s, void (*cb)(void *data), void *data)
{
	s->stopping = true;
	s->stop_cb = cb;
	s->stop_data = data;
	s->closing_handles++;
	uv_close((uv_handle_t *)&s->tick, handle_closed);
	if (s->listening) {
		s->closing_handles++;
		uv_close((uv_handle_t *)&s->listener, handle_closed);
	}
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present)
			peer_save_ack(p); /* the writer stops after sync: the job runs */
		s->closing_handles++;
		uv_close((uv_handle_t *)&p->dial_timer, dial_timer_closed);
	}
	for (struct link *l = s->links; l; l = l->next)
		link_close(l, LD__CLOSE_CODE__SHUTTING_DOWN, "the site is stopping");
}

void sync_free(struct sync *s)
{
	if (!s)
		return;
	while (s->peers) {
		struct sync_peer *p = s->peers;
		s->peers = p->next;
		free(p);
	}
	while (s->links) {
		struct link *l = s->links;
		s->links = l->next;
		free(l);
	}
	tls_ctx_free(s->tls);
	free(s);
}
