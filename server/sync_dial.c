/*
 * sync_dial.c: getting connected and staying so: dialing a peer's address with capped exponential
 * backoff and jitter (1 s to 5 min), the listener that accepts peers, and the tick (once a
 * second) that drops a link without Hello after 20 s or silent for 300 s and pings one idle for
 * 90 s. Intervals are measured on the monotonic clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logging.h"
#include "sync_internal.h"
#include "hostport.h"

static void on_dial_timer(uv_timer_t *t)
{
	peer_dial(t->data);
}

/* Try again later: capped exponential backoff with ±25% jitter. */
void peer_schedule(struct sync_peer *p)
{
	if (p->sync->stopping || !p->present || !p->address[0] || p->link || p->dialing)
		return;
	unsigned base = p->backoff_ms ? p->backoff_ms : BACKOFF_MIN_MS;
	unsigned jitter = base / 4;
	unsigned delay = base - jitter + (jitter ? (unsigned)(rand() % (int)(2 * jitter + 1)) : 0);
	p->backoff_ms = base * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : base * 2;
	uv_timer_start(&p->dial_timer, on_dial_timer, delay, 0);
}

void peer_dial(struct sync_peer *p)
{
	struct sync *s = p->sync;
	if (s->stopping || !p->present || !p->address[0] || p->link || p->dialing)
		return;
	struct link *l = link_new(s);
	if (!l)
		return;
	l->peer = p;
	int rc = peer_conn_dial(s->d->loop, s->tls, p->address, &sync_link_ops, l, &l->conn);
	if (rc) {
		peer_error(p, "cannot dial %s: %s", p->address, uv_strerror(rc));
		l->conn = NULL;
		link_unref(l);
		peer_schedule(p);
		return;
	}
	p->dialing = l;
	if (p->state != PEER_REFUSED)
		p->state = PEER_CONNECTING;
}

static void on_peer_connection(uv_stream_t *server, int status)
{
	struct sync *s = server->data;
	if (status < 0 || s->stopping)
		return;
	struct link *l = link_new(s);
	if (!l)
		return;
	if (peer_conn_accept(server, s->tls, &sync_link_ops, l, &l->conn) != 0) {
		l->conn = NULL;
		link_unref(l);
	}
}

int listen_on(struct sync *s, const char *address)
{
	struct hostport hp;
	if (hostport_parse(address, &hp, NULL) != 0)
		return UV_EINVAL;
	struct sockaddr_storage sa;
	int rc;
	if (strchr(hp.host, ':'))
		rc = uv_ip6_addr(hp.host, hp.port, (struct sockaddr_in6 *)&sa);
	else
		rc = uv_ip4_addr(hp.host, hp.port, (struct sockaddr_in *)&sa);
	if (rc)
		return rc;
	uv_tcp_init(s->d->loop, &s->listener);
	s->listener.data = s;
	s->listening = true;
	rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&sa, 0);
	/*
	 * A deep accept queue: with 64, a burst of connections (400 idle ones, say) overflowed it,
	 * the kernel dropped SYNs, and every connection behind them, a good peer's too, waited
	 * for a SYN retransmit: 1 to 6 s. 511 is libuv's and nginx's usual; somaxconn caps it.
	 */
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, 511, on_peer_connection);
	return rc;
}

void on_tick(uv_timer_t *t)
{
	struct sync *s = t->data;
	int64_t now = clock_mono_ms();
	advance_idle_peers(s);
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present)
			peer_save_ack(p);
	}
	for (struct link *l = s->links; l; l = l->next) {
		if (!l->conn)
			continue;
		if (!l->hello_done && now - l->opened_ms > HELLO_TIMEOUT_MS) {
			link_close(l, LD__CLOSE_CODE__HELLO_TIMEOUT, "no Hello within 20 seconds");
		} else if (now - l->last_rx_ms > SILENCE_MS) {
			link_close(l, LD__CLOSE_CODE__SILENCE,
				   "no word from the peer for 300 seconds");
		} else if (l->hello_done && now - l->last_tx_ms > PING_IDLE_MS) {
			Ld__Ping ping = LD__PING__INIT;
			ping.wall_clock_ms = clock_now_ms();
			Ld__Envelope env = LD__ENVELOPE__INIT;
			env.msg_case = LD__ENVELOPE__MSG_PING;
			env.ping = &ping;
			link_send(l, &env);
		}
	}
}
