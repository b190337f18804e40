/*
 * peerconn.c: see peerconn.h.
 *
 * Bytes from the socket go into TLS; plaintext comes out into `in`, from which frames are taken.
 * Whatever TLS has to send after any call is flushed to the socket at once (flush_tls); each
 * uv_write owns its buffer until its callback. A frame header announcing more than LD_FRAME_MAX
 * closes the connection before anything is allocated for the body.
 */
#include "peerconn.h"
#include "blockcache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "hostport.h"
#include "logging.h"
#include "lderr.h"
#include "pbwire.h"

#define READ_CHUNK 65536

struct peer_conn {
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_getaddrinfo_t resolve;
	uv_shutdown_t shutdown;
	struct tls_ctx *tls_ctx;
	struct tls_conn *tls;
	const struct peer_conn_ops *ops;
	void *data;
	bool dialed, ready, closing, paused, tcp_open;
	bool resolving; /* a getaddrinfo request is out: the handle closes when it returns */
	char remote[96];
	char close_reason[256];
	Ld__CloseCode close_code;
	uint8_t *in; /* plaintext not yet framed */
	size_t in_len, in_cap;
	size_t queued;
	char rbuf[READ_CHUNK];
};

struct conn_write {
	uv_write_t req;
	struct peer_conn *conn;
	size_t len;
	char data[];
};

/*
 * The shape of a batch as our senders write it: an Envelope whose only field is `batch`, a batch
 * with log_id, prev_seq and last_seq at most once each and its events, nothing else. Counts the
 * events into *N and points *BATCH at the batch's bytes within BODY. False for anything else
 * (which protobuf-c then unpacks, or refuses).
 */
static bool batch_shape(const uint8_t *body, size_t len, struct pbwire_field *batch, size_t *n)
{
	const uint8_t *p = body, *end = body + len;
	if (pbwire_next(&p, end, batch) != 1 || batch->number != 2 || batch->type != 2 || p != end)
		return false;
	struct pbwire_field f;
	unsigned seen = 0; /* bit k: field k met */
	int rc;
	*n = 0;
	p = batch->value;
	end = batch->value + batch->len;
	while ((rc = pbwire_next(&p, end, &f)) == 1) {
		static const unsigned type[] = {[1] = 2, [2] = 0, [3] = 0, [4] = 2};
		if (f.number < 1 || f.number > 4 || f.type != type[f.number])
			return false;
		if (f.number == 4)
			(*n)++;
		else if (seen & 1u << f.number)
			return false;
		seen |= 1u << f.number;
	}
	return rc == 0;
}

/*
 * Decode a batch of batch_shape's (BATCH within BODY, N events) into M's arena: the body copied
 * once, each event's bytes pointing into that copy where protobuf-c would copy each on its own.
 */
static int batch_in_place(struct peer_msg *m, const uint8_t *body, size_t len,
			  const struct pbwire_field *batch, size_t n)
{
	ProtobufCAllocator *a = &m->arena.allocator;
	uint8_t *copy = a->alloc(a->allocator_data, len);
	Ld__Envelope *env = a->alloc(a->allocator_data, sizeof(*env));
	Ld__EventBatch *b = a->alloc(a->allocator_data, sizeof(*b));
	ProtobufCBinaryData *events = n ? a->alloc(a->allocator_data, n * sizeof(*events)) : NULL;
	if (!copy || !env || !b || (n && !events))
		return LD_EINPUT; /* over the unpack budget */
	memcpy(copy, body, len);
	ld__envelope__init(env);
	ld__event_batch__init(b);
	env->msg_case = LD__ENVELOPE__MSG_BATCH;
	env->batch = b;
	b->events = events;
	const uint8_t *p = copy + (batch->value - body), *end = p + batch->len;
	struct pbwire_field f;
	while (pbwire_next(&p, end, &f) == 1) { /* batch_shape read it whole */
		if (f.number == 1)
			b->log_id = (ProtobufCBinaryData){.len = f.len, .data = (uint8_t *)f.value};
		else if (f.number == 2)
			b->prev_seq = f.varint;
		else if (f.number == 3)
			b->last_seq = f.varint;
		else
			events[b->n_events++] =
			    (ProtobufCBinaryData){.len = f.len, .data = (uint8_t *)f.value};
	}
	m->env = env;
	return 0;
}

/* Large messages' blocks, kept for the next (a catch-up's batches come by the hundred): a batch
 * of 4,096 imported members' events is 1 MiB on the wire and takes a block of 2 MiB; a link has
 * at most 4 unacknowledged. */
static struct block_cache blocks = BLOCK_CACHE_INIT(8u << 20);

/* A message with a block of at least CAP bytes, its arena not yet made; NULL if out of memory. */
static struct peer_msg *msg_alloc(size_t cap)
{
	size_t size = sizeof(struct peer_msg) + cap;
	struct peer_msg *m = block_cache_get(&blocks, &size);
	if (m)
		m->cap = size - sizeof(*m);
	return m;
}

void peer_msg_cache_trim(void)
{
	block_cache_trim(&blocks);
}

int peer_msg_unpack(const uint8_t *body, size_t len, struct peer_msg **out)
{
	*out = NULL;
	struct pbwire_field batch;
	size_t n = 0;
	bool fast = batch_shape(body, len, &batch, &n);
	/* A batch read in place takes its bytes, a pointer and a length for each event; protobuf-c
	 * unpacks one to about that, the events copied one by one: a block half as large again
	 * holds it. What does not fit spills to the heap, within the budget. */
	size_t cap = fast ? len + n * sizeof(ProtobufCBinaryData) + 1024 : len + len / 2 + 1024;
	if (cap > PEER_UNPACK_BUDGET)
		return LD_EINPUT; /* events of a few bytes each, by the million */
	struct peer_msg *m = msg_alloc(cap);
	if (!m)
		return -ENOMEM;
	m->env = NULL;
	pb_arena_init(&m->arena, m->block, m->cap);
	pb_arena_limit(&m->arena, PEER_UNPACK_BUDGET);
	int rc = 0;
	if (fast)
		rc = batch_in_place(m, body, len, &batch, n);
	else if (!(m->env = ld__envelope__unpack(&m->arena.allocator, len, body)))
		rc = LD_EINPUT;
	if (rc) {
		peer_msg_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void peer_msg_free(struct peer_msg *m)
{
	if (!m)
		return;
	pb_arena_reset(&m->arena); /* the Envelope with it */
	block_cache_put(&blocks, m, sizeof(*m) + m->cap);
}

void *peer_conn_data(const struct peer_conn *c)
{
	return c->data;
}

void peer_conn_set_data(struct peer_conn *c, void *data)
{
	c->data = data;
}

bool peer_conn_dialed(const struct peer_conn *c)
{
	return c->dialed;
}

const char *peer_conn_remote(const struct peer_conn *c)
{
	return c->remote;
}

size_t peer_conn_queued(const struct peer_conn *c)
{
	return c->queued;
}

static void conn_free(uv_handle_t *h)
{
	struct peer_conn *c = h->data;
	c->ops->closed(c, c->close_code, c->close_reason[0] ? c->close_reason : "closed");
	tls_conn_free(c->tls);
	free(c->in);
	free(c);
}

/* Free a connection that never got far enough to report anything. */
static void conn_free_silent(uv_handle_t *h)
{
	struct peer_conn *c = h->data;
	tls_conn_free(c->tls);
	free(c->in);
	free(c);
}

static void conn_fail(struct peer_conn *c, const char *reason)
{
	peer_conn_close(c, LD__CLOSE_CODE__CLOSE_UNSPECIFIED, reason, false);
}

static void on_write(uv_write_t *req, int status)
{
	struct conn_write *w = req->data;
	w->conn->queued -= w->len;
	if (status < 0 && status != UV_ECANCELED)
		conn_fail(w->conn, uv_strerror(status));
	free(w);
}

/* Send whatever TLS produced. */
static int flush_tls(struct peer_conn *c)
{
	size_t pending;
	while (c->tcp_open && (pending = tls_pending(c->tls)) > 0) {
		struct conn_write *w = malloc(sizeof(*w) + pending);
		if (!w)
			return -ENOMEM;
		w->len = tls_take_out(c->tls, w->data, pending);
		w->conn = c;
		w->req.data = w;
		uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
		int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
		if (rc) {
			free(w);
			return rc;
		}
		c->queued += w->len;
	}
	return 0;
}

/* Take every whole frame out of `in` and hand it up. */
static void take_frames(struct peer_conn *c)
{
	size_t off = 0;
	while (!c->closing) {
		const uint8_t *body;
		size_t len;
		int rc = frame_peek(c->in + off, c->in_len - off, LD_FRAME_MAX, &body, &len);
		if (rc == -EAGAIN)
			break;
		if (rc) {
			peer_conn_close(c, LD__CLOSE_CODE__BAD_MESSAGE,
					"the peer sent a frame over 4 MiB", false);
			return;
		}
		struct peer_msg *m;
		rc = peer_msg_unpack(body, len, &m);
		off += LD_FRAME_HEADER + len;
		if (rc == -ENOMEM) {
			conn_fail(c, "out of memory");
			return;
		}
		if (rc) {
			peer_conn_close(c, LD__CLOSE_CODE__BAD_MESSAGE,
					"the peer sent a message that does not decode", true);
			return;
		}
		c->ops->message(c, m);
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

/* Decrypt what TLS can give into `in`. Returns 0 or a failure already acted on. */
static int drain_plaintext(struct peer_conn *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < READ_CHUNK) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 2 * READ_CHUNK;
			if (cap > LD_FRAME_MAX + LD_FRAME_HEADER + 2 * READ_CHUNK)
				cap = LD_FRAME_MAX + LD_FRAME_HEADER + 2 * READ_CHUNK;
			if (cap > c->in_cap) {
				uint8_t *b = realloc(c->in, cap);
				if (!b) {
					conn_fail(c, "out of memory");
					return -ENOMEM;
				}
				c->in = b;
				c->in_cap = cap;
			}
		}
		int n = tls_read(c->tls, c->in + c->in_len, c->in_cap - c->in_len);
		if (n == 0)
			return 0;
		if (n < 0) {
			conn_fail(c, n == -EPIPE ? "the peer closed the connection"
						 : tls_error(c->tls));
			return n;
		}
		c->in_len += (size_t)n;
		take_frames(c);
		if (c->closing)
			return -EPIPE;
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
	struct peer_conn *c = h->data;
	*out = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct peer_conn *c = s->data;
	if (n == 0)
		return;
	if (n < 0) {
		conn_fail(c, n == UV_EOF ? "the peer closed the connection" : uv_strerror((int)n));
		return;
	}
	if (tls_feed(c->tls, buf->base, (size_t)n) != 0) {
		conn_fail(c, "out of memory");
		return;
	}
	if (!c->ready) {
		int rc = tls_handshake(c->tls);
		flush_tls(c);
		if (rc == -EAGAIN)
			return;
		if (rc) {
			char why[300];
			snprintf(why, sizeof(why), "TLS handshake with %s failed: %s", c->remote,
				 tls_error(c->tls));
			conn_fail(c, why);
			return;
		}
		uint8_t *spki;
		size_t len;
		rc = tls_peer_spki(c->tls, &spki, &len);
		if (rc) {
			conn_fail(c, "the peer's certificate has no Ed25519 key");
			return;
		}
		c->ready = true;
		c->ops->ready(c, spki, len);
		free(spki);
		if (c->closing)
			return;
	}
	if (drain_plaintext(c) == 0)
		flush_tls(c);
}

static int start_tls(struct peer_conn *c, struct tls_ctx *tls)
{
	int rc = tls_conn_new(tls, !c->dialed, &c->tls);
	if (rc)
		return rc;
	rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (rc)
		return rc;
	if (c->dialed) {
		tls_handshake(c->tls); /* the ClientHello */
		flush_tls(c);
	}
	return 0;
}

static struct peer_conn *conn_new(uv_loop_t *loop, const struct peer_conn_ops *ops, void *data)
{
	struct peer_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ops = ops;
	c->data = data;
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	c->tcp_open = true;
	return c;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct peer_conn *c = req->data;
	if (c->closing)
		return;
	if (status < 0) {
		char why[200];
		snprintf(why, sizeof(why), "cannot connect to %s: %s", c->remote,
			 uv_strerror(status));
		conn_fail(c, why);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (start_tls(c, c->tls_ctx) != 0)
		conn_fail(c, "cannot start TLS");
}

static void conn_finish_close(struct peer_conn *c);

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct peer_conn *c = req->data;
	c->resolving = false;
	if (c->closing) {
		uv_freeaddrinfo(res);
		conn_finish_close(c);
		return;
	}
	if (status < 0 || !res) {
		char why[200];
		snprintf(why, sizeof(why), "cannot resolve %s: %s", c->remote, uv_strerror(status));
		uv_freeaddrinfo(res);
		conn_fail(c, why);
		return;
	}
	c->connect.data = c;
	int rc = uv_tcp_connect(&c->connect, &c->tcp, res->ai_addr, on_connect);
	uv_freeaddrinfo(res);
	if (rc) {
		char why[200];
		snprintf(why, sizeof(why), "cannot connect to %s: %s", c->remote, uv_strerror(rc));
		conn_fail(c, why);
	}
}

int peer_conn_dial(uv_loop_t *loop, struct tls_ctx *tls, const char *address,
		   const struct peer_conn_ops *ops, void *data, struct peer_conn **out)
{
	struct hostport hp;
	if (hostport_parse(address, &hp, NULL) != 0)
		return LD_EINPUT;
	struct peer_conn *c = conn_new(loop, ops, data);
	if (!c)
		return -ENOMEM;
	c->dialed = true;
	snprintf(c->remote, sizeof(c->remote), "%s", address);
	c->tls_ctx = tls;
	c->resolve.data = c;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	int rc = uv_getaddrinfo(loop, &c->resolve, on_resolved, hp.host, hp.port_text, &hints);
	if (rc) {
		c->closing = true;
		c->tcp_open = false;
		uv_close((uv_handle_t *)&c->tcp, conn_free_silent);
		return rc;
	}
	c->resolving = true;
	*out = c;
	return 0;
}

int peer_conn_accept(uv_stream_t *server, struct tls_ctx *tls, const struct peer_conn_ops *ops,
		     void *data, struct peer_conn **out)
{
	struct peer_conn *c = conn_new(server->loop, ops, data);
	if (!c)
		return -ENOMEM;
	int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
	struct sockaddr_storage sa;
	int salen = sizeof(sa);
	if (rc == 0 && uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen) == 0) {
		char ip[64] = "?";
		int port = 0;
		if (sa.ss_family == AF_INET) {
			uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
		} else if (sa.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
		}
		snprintf(c->remote, sizeof(c->remote), "%s:%d", ip, port);
	}
	if (rc == 0) {
		uv_tcp_nodelay(&c->tcp, 1);
		rc = start_tls(c, tls);
	}
	if (rc) {
		c->closing = true;
		c->tcp_open = false;
		uv_close((uv_handle_t *)&c->tcp, conn_free_silent);
		return rc;
	}
	*out = c;
	return 0;
}

/* Pack ENV into a frame and hand it to TLS and the socket. Returns 0 or -errno; closes nothing. */
static int conn_send(struct peer_conn *c, const Ld__Envelope *env)
{
	size_t len = ld__envelope__get_packed_size(env);
	if (len > LD_FRAME_MAX)
		return -EMSGSIZE;
	uint8_t stack[4096];
	uint8_t *buf =
	    len + LD_FRAME_HEADER <= sizeof(stack) ? stack : malloc(len + LD_FRAME_HEADER);
	if (!buf)
		return -ENOMEM;
	frame_header((uint32_t)len, buf);
	ld__envelope__pack(env, buf + LD_FRAME_HEADER);
	int rc = tls_write(c->tls, buf, len + LD_FRAME_HEADER);
	if (buf != stack)
		free(buf);
	if (rc == 0)
		rc = flush_tls(c);
	return rc;
}

int peer_conn_send(struct peer_conn *c, const Ld__Envelope *env)
{
	if (c->closing || !c->ready)
		return -EPIPE;
	int rc = conn_send(c, env);
	if (rc && rc != -EMSGSIZE)
		conn_fail(c, rc == -EPROTO ? tls_error(c->tls) : "write failed");
	return rc;
}

void peer_conn_pause(struct peer_conn *c, bool paused)
{
	if (c->closing || c->paused == paused)
		return;
	c->paused = paused;
	if (paused)
		uv_read_stop((uv_stream_t *)&c->tcp);
	else
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct peer_conn *c = req->data;
	uv_close((uv_handle_t *)&c->tcp, conn_free);
}

/* Close the handle; written data (a Close frame, say) goes out first when the queue is small. */
static void conn_finish_close(struct peer_conn *c)
{
	uv_read_stop((uv_stream_t *)&c->tcp);
	bool was_open = c->tcp_open;
	c->tcp_open = false;
	c->shutdown.data = c;
	if (was_open && c->tls && c->queued < 65536 &&
	    uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) == 0)
		return;
	uv_close((uv_handle_t *)&c->tcp, conn_free);
}

void peer_conn_close(struct peer_conn *c, Ld__CloseCode code, const char *reason, bool send_close)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	c->ops->closing(c, code, c->close_reason);
	if (send_close && c->ready && c->tcp_open) {
		Ld__Close cl = LD__CLOSE__INIT;
		cl.reason = c->close_reason;
		cl.code = code;
		Ld__Envelope env = LD__ENVELOPE__INIT;
		env.msg_case = LD__ENVELOPE__MSG_CLOSE;
		env.close = &cl;
		conn_send(c, &env); /* best effort: the connection closes anyway */
	}
	if (c->resolving) {
		uv_cancel((uv_req_t *)&c->resolve); /* on_resolved finishes the close */
		return;
	}
	conn_finish_close(c);
}
