/*
 * ctl.c: see ctl.h.
 *
 * Threads. The loop thread accepts connections and hands each to one of the control threads
 * (`ld-ctl`, one per CPU, at least two; LIUDONGD_CTL_THREADS=N sets N) in turn; a connection then
 * lives on its thread's own uv loop for good. That thread reads its frames, unpacks them and
 * checks every request's text (request_accept: up to a whole import file, never on the loop
 * thread) and answers a lookup (a read command that is not a scan, commands.h) in place: its
 * handler runs in the thread's kept LMDB read transaction (store_read_begin: reset between
 * requests, renewed for the next), and the answer is packed and written to the socket, with no
 * other thread woken. Any other request (a write, a scan, a `loop` command, an unknown command) is
 * forwarded to the loop thread, which dispatches it as before (request_dispatch: the writer, the
 * reader pool, or run at once); its answer comes back to the connection's thread through that
 * thread's uv_async_t and is written there. So a scan never holds up the lookups of any connection,
 * and the loop thread never holds up a lookup.
 *
 * Each connection keeps one input buffer; bytes are appended as they arrive and frames are taken
 * from its front. A frame longer than LD_CTL_FRAME_MAX closes the connection before anything is
 * allocated for it. Requests unpack with a budget, so a hostile client cannot make the daemon
 * allocate more than CTL_UNPACK_BUDGET for one. Requests are answered one at a time, in order: a
 * connection has one request in flight; a client that piles up more than PIPELINE_MAX unanswered
 * bytes is not read until it is answered; a thread answers at most CTL_TURN_MAX requests of one
 * connection in a row, then lets the others' go first (an idle handle brings it back). While a
 * forwarded request is in flight its connection is never closed under it: a close (the client
 * went away) waits for its reply.
 *
 * The [rules] a request sees are the daemon's: forwarded requests copy them on the loop thread
 * (request_dispatch); a control thread keeps its own copy, replaced when SIGHUP reloads them
 * (ctl_reload: a generation counter, read without a lock per request).
 *
 * Stop: ctl_close, on the loop thread once the writer and the readers have stopped, refuses the
 * requests still queued for the loop thread (the daemon is stopping), then has every control
 * thread send the answers it has, close its connections and leave its loop, and joins them.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.pb-c.h"
#include "daemon.h"
#include "frame.h"
#include "lderr.h"
#include "logging.h"
#include "request.h"
#include "status.h"

#define CTL_UNPACK_BUDGET (3 * LD_CTL_FRAME_MAX)
#define CTL_UNPACK_BLOCK  512 /* a request's first bytes unpacked (pb_budget_init_block) */
#define CTL_READ_CHUNK	  65536
#define CTL_IN_KEEP	  (16 * CTL_READ_CHUNK) /* a connection's read buffer is kept up to this */
#define POPULATE_STEP	  (16u << 20)		/* a large buffer's pages made ahead of its bytes */
#define PIPELINE_MAX	  (1u << 20)		/* unanswered bytes a client may pile up */
#define CTL_TURN_MAX	  32			/* requests of one connection answered in a row */
#define CTL_THREADS_MAX	  16
#define CTL_OUT_KEEP	  65536 /* a thread's answer buffer is kept up to this size */

struct ctl_conn;

/* A control thread: its loop and the connections it owns. */
struct ctl_thread {
	struct ctl_server *server;
	pthread_t thread;
	uv_loop_t loop;
	uv_async_t async; /* new connections, answers from the loop thread, stop */
	uv_idle_t idle;	  /* while connections wait for their next turn */
	pthread_mutex_t lock;
	/* Under lock. */
	int *fds; /* accepted connections to take on */
	size_t n_fds, cap_fds;
	struct request *replies, **replies_tail; /* answered on the loop thread, to send */
	bool stop;
	/* The thread's own. */
	struct ctl_conn *conns; /* doubly linked */
	struct ctl_conn *turns; /* connections with frames left over (CTL_TURN_MAX) */
	struct store_txn *txn;	/* the kept read transaction (store_read_begin) */
	struct rules rules;	/* the daemon's, as of rules_gen */
	unsigned rules_gen;	/* the server's generation copied into rules */
	uint8_t *out;		/* answers are packed here */
	size_t out_cap;
	char *text; /* and their JSON text written here */
	size_t text_cap;
	bool started; /* the thread was created (joined at close) */
};

struct ctl_server {
	uv_pipe_t *listener; /* NULL once closed; freed by its close callback */
	struct daemon *daemon;
	char path[LD_PATH_MAX];
	dev_t dev; /* the socket file we made, removed at stop only if still there */
	ino_t ino;
	struct ctl_thread *threads;
	unsigned n_threads;
	unsigned next_thread; /* loop thread: the next to take a connection */
	uv_async_t forward;   /* loop thread: requests forwarded to it */
	pthread_mutex_t lock;
	/* Under lock. */
	struct request *forwards, **forwards_tail;
	bool closed; /* nothing more is forwarded: refused as the daemon stopping */
	struct rules rules;
	atomic_uint rules_gen; /* written under lock, read without it */
};

struct ctl_conn {
	uv_pipe_t pipe;
	struct ctl_thread *thread;
	struct ctl_conn *prev, *next;
	struct ctl_conn *turn_next; /* in thread->turns */
	uint8_t *buf;
	size_t len, cap;
	size_t made; /* BUF's first MADE bytes have their pages (populate) */
	uint32_t uid;
	struct request *inflight;  /* a forwarded request not answered yet */
	struct request *attaching; /* unpacked; its attachment (ctl.proto) not yet whole */
	unsigned writes;	   /* uv_write requests not finished */
	bool reading;		   /* uv_read_start is in effect */
	bool waiting_turn;	   /* in thread->turns */
	bool eof;		   /* the client sent all it will (it may still read) */
	bool closing;
};

struct ctl_write {
	uv_write_t req;
	struct ctl_conn *conn;
	uint8_t *data;
};

static void conn_process(struct ctl_conn *c);
static void thread_on_idle(uv_idle_t *h);

static void conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	request_free(c->attaching);
	free(c->buf);
	free(c);
}

static void conn_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct ctl_thread *t = c->thread;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	if (c->waiting_turn) {
		struct ctl_conn **p = &t->turns;
		while (*p && *p != c)
			p = &(*p)->turn_next;
		if (*p) /* else in thread_on_idle's list, which skips it */
			*p = c->turn_next;
		c->waiting_turn = false;
	}
	if (c->reading)
		uv_read_stop((uv_stream_t *)&c->pipe);
	c->reading = false;
	if (c->inflight)
		return; /* conn_reply closes it, once the request is back */
	uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

/*
 * After a large frame (an import's file) was taken out of C's buffer: give its room back, so the
 * request's copy is the only one held while it runs.
 */
static void conn_shrink(struct ctl_conn *c)
{
	if (c->cap <= CTL_IN_KEEP || c->len > CTL_IN_KEEP / 2)
		return;
	uint8_t *b = realloc(c->buf, CTL_IN_KEEP);
	if (b) {
		c->buf = b;
		c->cap = CTL_IN_KEEP;
		c->made = c->len;
	}
}

/*
 * RQ's attachment is the whole frame at the front of C's buffer (BODY_LEN bytes after its
 * header): RQ takes the buffer as it is, the text NUL-terminated in place (no copy of a
 * register's megabytes), and C reads on into a new buffer holding what came after it.
 * Returns 0 or -ENOMEM (C and RQ unchanged).
 */
static int conn_take_attachment(struct ctl_conn *c, struct request *rq, size_t body_len)
{
	size_t used = LD_FRAME_HEADER + body_len, rest = c->len - used;
	size_t cap = rest > CTL_READ_CHUNK * 2 ? rest : CTL_READ_CHUNK * 2;
	uint8_t *next = malloc(cap), *buf = c->buf;
	if (next && c->cap == used)
		buf = realloc(c->buf, used + 1); /* no room left for the NUL */
	if (!next || !buf) {
		free(next);
		return -ENOMEM;
	}
	memcpy(next, buf + used, rest);
	buf[used] = '\0';
	rq->attached_buf = buf;
	rq->attached = (const char *)buf + LD_FRAME_HEADER;
	rq->attached_len = body_len;
	c->buf = next;
	c->cap = cap;
	c->made = rest;
	c->len = rest;
	return 0;
}

/*
 * Give C's buffer its pages up to POPULATE_STEP bytes past what it holds, in one call, before the
 * socket's bytes are copied in: faulted in one page at a time instead, they cost an import's file
 * more than its copy. A kernel that cannot (before Linux 5.14) leaves them to be faulted in.
 */
static void conn_populate(struct ctl_conn *c)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	size_t to = c->len + POPULATE_STEP < c->cap ? c->len + POPULATE_STEP : c->cap;
	if (c->made >= to)
		return;
	uintptr_t from = ((uintptr_t)c->buf + c->made + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)c->buf + to) & ~(page - 1);
#ifdef MADV_POPULATE_WRITE
	if (end > from)
		(void)madvise((void *)from, end - from, MADV_POPULATE_WRITE);
#endif
	c->made = to;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
	struct ctl_conn *c = h->data;
	if (c->cap - c->len < CTL_READ_CHUNK) {
		size_t cap = c->cap ? c->cap * 2 : CTL_READ_CHUNK * 2;
		/* A frame announced larger (an import's file): room for all of it at once. */
		size_t frame = LD_FRAME_HEADER + frame_announced(c->buf, c->len) + CTL_READ_CHUNK;
		if (frame > cap)
			cap = frame;
		if (cap > LD_CTL_FRAME_MAX + LD_FRAME_HEADER + CTL_READ_CHUNK)
			cap = LD_CTL_FRAME_MAX + LD_FRAME_HEADER + CTL_READ_CHUNK;
		uint8_t *b = cap > c->cap ? realloc(c->buf, cap) : NULL;
		if (b) {
			c->made = b == c->buf ? c->made : c->len;
			c->buf = b;
			c->cap = cap;
		}
	}
	if (c->cap > CTL_IN_KEEP) /* only a large frame's */
		conn_populate(c);
	*out = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

/*
 * The client sent all it will (it shut its side, or went away): close once every request it
 * sent is answered and written (a client that half-closes still reads its answers).
 */
static void conn_end(struct ctl_conn *c)
{
	if (!c->closing && !c->inflight && !c->waiting_turn && !c->writes)
		conn_close(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = s->data;
	if (n == UV_EOF) {
		c->eof = true;
		uv_read_stop(s);
		c->reading = false;
		conn_end(c);
		return;
	}
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	/*
	 * Reading goes on while a request is in flight (no epoll change per request); a client that
	 * piles up more than PIPELINE_MAX unanswered bytes is made to wait.
	 */
	if ((c->inflight || c->waiting_turn) && c->len > PIPELINE_MAX) {
		uv_read_stop(s);
		c->reading = false;
	}
	if (!c->waiting_turn)
		conn_process(c);
}

static void on_written(uv_write_t *w, int status)
{
	struct ctl_write *cw = w->data;
	struct ctl_conn *c = cw->conn;
	c->writes--;
	free(cw->data);
	free(cw);
	if (c->eof && status == 0)
		conn_end(c);
}

/*
 * Send LEN bytes of DATA: at once if the socket takes them all (the usual case: no write
 * request, no change to what the loop polls for), else the rest through uv_write (copied when
 * OWNED is false; freed when written if it is true).
 */
static void conn_send(struct ctl_conn *c, uint8_t *data, size_t len, bool owned)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	int n = c->writes ? 0 : uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
	if (n == UV_EAGAIN)
		n = 0;
	if (n >= 0 && (size_t)n < len) {
		size_t rest = len - (size_t)n;
		uint8_t *copy = owned ? data : malloc(rest);
		struct ctl_write *cw = copy ? malloc(sizeof(*cw)) : NULL;
		if (cw) {
			if (!owned)
				memcpy(copy, data + n, rest);
			cw->data = copy;
			cw->conn = c;
			cw->req.data = cw;
			b = uv_buf_init((char *)copy + (owned ? (size_t)n : 0), (unsigned)rest);
			if (uv_write(&cw->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) == 0) {
				c->writes++;
				return; /* on_written frees CW and the data */
			}
			free(cw);
		}
		if (!owned)
			free(copy);
		n = UV_EPIPE;
	}
	if (owned)
		free(data);
	if (n < 0)
		conn_close(c);
}

/*
 * RQ's result as JSON text into *TEXT of *CAP bytes (grown with realloc when short), with no
 * allocation when it fits. Returns the text, or NULL when memory ran out.
 */
static const char *json_text(struct request *rq, char **text, size_t *cap)
{
	size_t need = json_dumpb(rq->result, *text, *cap, JSON_COMPACT);
	if (need == 0)
		return NULL;
	if (need >= *cap) {
		char *b = realloc(*text, need + 1);
		if (!b)
			return NULL;
		*text = b;
		*cap = need + 1;
		if (json_dumpb(rq->result, *text, *cap, JSON_COMPACT) != need)
			return NULL;
	}
	(*text)[need] = '\0';
	return *text;
}

/*
 * Pack RQ's answer, the Response frame (header and body), into *BUF of *CAP bytes (grown with
 * realloc when short; *BUF may be NULL). The JSON text goes through *TEXT of *TEXT_CAP bytes
 * likewise when TEXT is not NULL (else it is allocated and freed here). Touches RQ and the
 * buffers only: it runs on whatever thread ran the request. Returns the frame's length, or 0
 * when memory ran out.
 */
static size_t conn_pack(struct request *rq, uint8_t **buf, size_t *cap, char **text,
			size_t *text_cap)
{
	Ld__Response resp = LD__RESPONSE__INIT;
	int result = rq->job.result;
	resp.status = (int32_t)status_from_error(result);
	char *json = NULL;
	char **warnings = NULL;
	if (result == 0) {
		if (rq->raw_json) {
			resp.json = rq->raw_json; /* built as text by a command with a big answer */
		} else if (text) {
			const char *t = json_text(rq, text, text_cap);
			resp.json = t ? (char *)t : "{}";
		} else {
			json = json_dumps(rq->result, JSON_COMPACT);
			resp.json = json ? json : "{}";
		}
	} else {
		if (!rq->error[0] || resp.status == LD_EXIT_INTERNAL)
			log_error("ctl: %s failed: %s%s%s", rq->req->command, lderr_str(result),
				  rq->error[0] ? ": " : "", rq->error);
		request_explain(rq);
		resp.error = rq->error;
	}
	size_t n_warn = json_array_size(rq->warnings);
	if (n_warn) {
		warnings = calloc(n_warn, sizeof(*warnings));
		for (size_t i = 0; warnings && i < n_warn; i++)
			warnings[i] = (char *)json_string_value(json_array_get(rq->warnings, i));
		resp.n_warnings = warnings ? n_warn : 0;
		resp.warnings = warnings;
	}
	size_t len = ld__response__get_packed_size(&resp);
	if (len > LD_CTL_FRAME_MAX) {
		log_warn("ctl: %s: the answer (%zu bytes) is over the %u MiB limit",
			 rq->req->command, len, LD_CTL_FRAME_MAX >> 20);
		resp.status = LD_EXIT_INVALID;
		resp.json = NULL;
		resp.n_warnings = 0;
		resp.error = "the answer is over 64 MiB; narrow the request (for export, the "
			     "CLI pages; for other lists, filter by branch or state)";
		len = ld__response__get_packed_size(&resp);
	}
	size_t total = 0;
	if (*cap < LD_FRAME_HEADER + len) {
		uint8_t *b = realloc(*buf, LD_FRAME_HEADER + len);
		if (b) {
			*buf = b;
			*cap = LD_FRAME_HEADER + len;
		}
	}
	if (*cap >= LD_FRAME_HEADER + len) {
		frame_header((uint32_t)len, *buf);
		ld__response__pack(&resp, *buf + LD_FRAME_HEADER);
		total = LD_FRAME_HEADER + len;
	}
	free(warnings);
	free(json);
	return total;
}

/*
 * A forwarded request's answer, made ready where it ran (a reader thread for scans: the JSON
 * text and the packing stay off the loop thread). Touches RQ only.
 */
static void conn_prepare(struct request *rq)
{
	size_t cap = 0;
	uint8_t *buf = NULL;
	rq->answer_len = conn_pack(rq, &buf, &cap, NULL, NULL);
	free(rq->answer);
	rq->answer = buf;
	if (!rq->answer_len) {
		free(rq->answer);
		rq->answer = NULL;
	}
}

/* Send RQ's answer on its connection, then free RQ. RQ's thread. */
static void conn_answer(struct ctl_conn *c, struct request *rq)
{
	struct ctl_thread *t = c->thread;
	if (rq->answer) {
		uint8_t *data = rq->answer;
		rq->answer = NULL;
		conn_send(c, data, rq->answer_len, true);
	} else {
		size_t len = conn_pack(rq, &t->out, &t->out_cap, &t->text, &t->text_cap);
		if (len)
			conn_send(c, t->out, len, false);
		else
			conn_close(c);
		if (t->out_cap > CTL_OUT_KEEP) { /* a big answer's buffers are not kept */
			free(t->out);
			t->out = NULL;
			t->out_cap = 0;
			free(t->text);
			t->text = NULL;
			t->text_cap = 0;
		}
	}
	request_free(rq);
}

/* A forwarded request is back (its thread): send its answer, go on with the next. */
static void conn_reply(struct request *rq)
{
	struct ctl_conn *c = rq->conn;
	c->inflight = NULL;
	if (c->closing) { /* conn_close waited for this request */
		request_free(rq);
		uv_close((uv_handle_t *)&c->pipe, conn_closed);
		return;
	}
	conn_answer(c, rq);
	if (!c->closing)
		conn_process(c);
}

/* Loop thread (request_dispatch's reply): send RQ back to its connection's thread. */
static void reply_home(struct request *rq)
{
	struct ctl_thread *t = ((struct ctl_conn *)rq->conn)->thread;
	pthread_mutex_lock(&t->lock);
	rq->next = NULL;
	*t->replies_tail = rq;
	t->replies_tail = &rq->next;
	pthread_mutex_unlock(&t->lock);
	uv_async_send(&t->async);
}

/* Hand RQ to the loop thread; when the daemon is stopping, answer it so at once. RQ's thread. */
static void conn_forward(struct ctl_conn *c, struct request *rq)
{
	struct ctl_server *s = c->thread->server;
	pthread_mutex_lock(&s->lock);
	bool closed = s->closed;
	if (!closed) {
		rq->next = NULL;
		*s->forwards_tail = rq;
		s->forwards_tail = &rq->next;
	}
	pthread_mutex_unlock(&s->lock);
	if (closed) {
		rq->job.result = LD_ESTOPPING;
		c->inflight = NULL;
		conn_answer(c, rq);
		return;
	}
	uv_async_send(&s->forward);
}

/* Loop thread: dispatch the forwarded requests. */
static void on_forward(uv_async_t *a)
{
	struct ctl_server *s = a->data;
	pthread_mutex_lock(&s->lock);
	struct request *rq = s->forwards;
	s->forwards = NULL;
	s->forwards_tail = &s->forwards;
	pthread_mutex_unlock(&s->lock);
	while (rq) {
		struct request *next = rq->next;
		rq->next = NULL;
		request_dispatch(rq);
		rq = next;
	}
}

/* The thread's copy of the rules, brought up to date with the server's. RQ's thread. */
static const struct rules *thread_rules(struct ctl_thread *t)
{
	struct ctl_server *s = t->server;
	unsigned gen = atomic_load_explicit(&s->rules_gen, memory_order_acquire);
	if (gen != t->rules_gen) {
		pthread_mutex_lock(&s->lock);
		t->rules = s->rules;
		t->rules_gen = atomic_load_explicit(&s->rules_gen, memory_order_relaxed);
		pthread_mutex_unlock(&s->lock);
	}
	return &t->rules;
}

/* Leave C's remaining frames for its next turn (after the thread's other connections). */
static void conn_wait_turn(struct ctl_conn *c)
{
	struct ctl_thread *t = c->thread;
	if (c->waiting_turn)
		return;
	c->waiting_turn = true;
	c->turn_next = NULL;
	struct ctl_conn **p = &t->turns;
	while (*p)
		p = &(*p)->turn_next;
	*p = c;
	if (!uv_is_active((uv_handle_t *)&t->idle))
		uv_idle_start(&t->idle, thread_on_idle);
}

/*
 * Take the whole frames from the buffer and answer them in order: lookups at once, here; any
 * other request is forwarded, and the rest waits for its answer. Read more once no whole frame
 * is left.
 */
static void conn_process(struct ctl_conn *c)
{
	struct ctl_thread *t = c->thread;
	for (unsigned turn = 0; !c->closing && !c->inflight; turn++) {
		const uint8_t *body;
		size_t body_len;
		int rc = frame_peek(c->buf, c->len, LD_CTL_FRAME_MAX, &body, &body_len);
		if (rc == -EAGAIN && c->eof) {
			conn_end(c);
			return;
		}
		if (rc == -EAGAIN) {
			if (!c->reading &&
			    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) == 0)
				c->reading = true;
			return;
		}
		if (rc) {
			log_warn("ctl: closing a client that sent a frame over %u bytes",
				 LD_CTL_FRAME_MAX);
			conn_close(c);
			return;
		}
		struct request *rq = c->attaching;
		if (rq) { /* this frame is its attachment */
			c->attaching = NULL;
			if (conn_take_attachment(c, rq, body_len) != 0) {
				request_free(rq);
				conn_close(c);
				return;
			}
		} else {
			if (turn == CTL_TURN_MAX) {
				conn_wait_turn(c);
				return;
			}
			/* The request unpacks into a block right after it: no malloc for a usual
			 * one. */
			rq = calloc(1, sizeof(*rq) + CTL_UNPACK_BLOCK);
			if (!rq) {
				conn_close(c);
				return;
			}
			pb_budget_init_block(&rq->budget, CTL_UNPACK_BUDGET, rq + 1,
					     CTL_UNPACK_BLOCK);
			rq->req = ld__request__unpack(&rq->budget.allocator, body_len, body);
			size_t used = LD_FRAME_HEADER + body_len;
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			if (!rq->req || !rq->req->command) {
				log_warn("ctl: closing a client that sent a request that does not "
					 "decode");
				request_free(rq);
				conn_close(c);
				return;
			}
			if (rq->req->attach && rq->req->attach[0]) {
				c->attaching = rq; /* the next frame is its attachment */
				continue;
			}
			conn_shrink(c);
		}
		rq->daemon = t->server->daemon;
		rq->uid = c->uid;
		rq->conn = c;
		rq->result = json_object();
		rq->warnings = json_array();
		if (request_accept(rq) != 0) { /* bad text: answered here, whatever the command */
			conn_answer(c, rq);
			continue;
		}
		if (request_lookup_here(rq)) {
			request_lookup(rq, thread_rules(t), &t->txn);
			conn_answer(c, rq);
			continue;
		}
		rq->reply = reply_home;
		rq->prepare = conn_prepare;
		c->inflight = rq;
		conn_forward(c, rq);
	}
}

static void thread_on_idle(uv_idle_t *h)
{
	struct ctl_thread *t = h->data;
	struct ctl_conn *c = t->turns;
	t->turns = NULL;
	uv_idle_stop(h);
	while (c) {
		struct ctl_conn *next = c->turn_next;
		c->turn_next = NULL;
		if (c->waiting_turn) { /* not closed meanwhile */
			c->waiting_turn = false;
			conn_process(c);
		}
		c = next;
	}
}

/* Take on accepted connection FD (this thread's from now on). */
static void conn_open(struct ctl_thread *t, int fd)
{
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->thread = t;
	uv_pipe_init(&t->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_pipe_open(&c->pipe, fd) != 0) {
		close(fd);
		uv_close((uv_handle_t *)&c->pipe, conn_closed);
		return;
	}
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		c->uid = (uint32_t)cred.uid;
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	conn_process(c);
}

static void thread_on_async(uv_async_t *a)
{
	struct ctl_thread *t = a->data;
	pthread_mutex_lock(&t->lock);
	int *fds = t->fds;
	size_t n_fds = t->n_fds;
	t->fds = NULL;
	t->n_fds = t->cap_fds = 0;
	struct request *rq = t->replies;
	t->replies = NULL;
	t->replies_tail = &t->replies;
	bool stop = t->stop;
	pthread_mutex_unlock(&t->lock);

	while (rq) {
		struct request *next = rq->next;
		rq->next = NULL;
		conn_reply(rq);
		rq = next;
	}
	for (size_t i = 0; i < n_fds; i++) {
		if (stop)
			close(fds[i]);
		else
			conn_open(t, fds[i]);
	}
	free(fds);
	if (stop && !uv_is_closing((uv_handle_t *)a)) {
		while (t->conns)
			conn_close(t->conns);
		uv_close((uv_handle_t *)&t->async, NULL);
		uv_close((uv_handle_t *)&t->idle, NULL);
	}
}

static void *thread_main(void *arg)
{
	struct ctl_thread *t = arg;
	pthread_setname_np(pthread_self(), "ld-ctl");
	uv_run(&t->loop, UV_RUN_DEFAULT);
	store_read_free(t->txn);
	t->txn = NULL;
	free(t->out);
	t->out = NULL;
	free(t->text);
	t->text = NULL;
	return NULL;
}

/* Loop thread: hand accepted FD to the next thread. */
static void thread_give(struct ctl_thread *t, int fd)
{
	pthread_mutex_lock(&t->lock);
	if (t->n_fds == t->cap_fds) {
		size_t cap = t->cap_fds ? 2 * t->cap_fds : 8;
		int *fds = realloc(t->fds, cap * sizeof(*fds));
		if (!fds) {
			pthread_mutex_unlock(&t->lock);
			close(fd);
			return;
		}
		t->fds = fds;
		t->cap_fds = cap;
	}
	t->fds[t->n_fds++] = fd;
	pthread_mutex_unlock(&t->lock);
	uv_async_send(&t->async);
}

static void on_accepted_closed(uv_handle_t *h)
{
	free(h);
}

/*
 * Loop thread: a client connected. libuv accepts it into a handle of this loop; its descriptor
 * is duplicated for the control thread that will own the connection, and the handle closed.
 */
static void on_connection(uv_stream_t *server, int status)
{
	struct ctl_server *s = server->data;
	if (status < 0)
		return;
	uv_pipe_t *p = malloc(sizeof(*p));
	if (!p)
		return;
	uv_pipe_init(server->loop, p, 0);
	int fd = -1;
	uv_os_fd_t afd;
	if (uv_accept(server, (uv_stream_t *)p) == 0 && uv_fileno((uv_handle_t *)p, &afd) == 0)
		fd = fcntl(afd, F_DUPFD_CLOEXEC, 0);
	uv_close((uv_handle_t *)p, on_accepted_closed);
	if (fd < 0)
		return;
	struct ctl_thread *t = &s->threads[s->next_thread++ % s->n_threads];
	thread_give(t, fd);
}

/* LIUDONGD_CTL_THREADS=N (1 to 16), else one per CPU, at least two. */
static unsigned ctl_thread_count(void)
{
	const char *text = getenv("LIUDONGD_CTL_THREADS");
	long n = text && text[0] ? strtol(text, NULL, 10) : 0;
	if (n <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 2)
			n = 2;
	}
	if (n > CTL_THREADS_MAX)
		n = CTL_THREADS_MAX;
	return (unsigned)n;
}

/* Stop every started thread and join it. Loop thread. */
static void threads_stop(struct ctl_server *s)
{
	for (unsigned i = 0; i < s->n_threads; i++) {
		struct ctl_thread *t = &s->threads[i];
		if (!t->started)
			continue;
		pthread_mutex_lock(&t->lock);
		t->stop = true;
		pthread_mutex_unlock(&t->lock);
		uv_async_send(&t->async);
	}
	for (unsigned i = 0; i < s->n_threads; i++) {
		struct ctl_thread *t = &s->threads[i];
		if (t->started)
			pthread_join(t->thread, NULL);
	}
}

/* Free S's threads' resources (they were joined, or never started) and S. */
static void server_free(struct ctl_server *s)
{
	for (unsigned i = 0; i < s->n_threads; i++) {
		struct ctl_thread *t = &s->threads[i];
		if (t->started || t->loop.data == t) {
			/* A loop whose thread never ran: close its handles here. */
			if (!t->started) {
				uv_close((uv_handle_t *)&t->async, NULL);
				uv_close((uv_handle_t *)&t->idle, NULL);
				uv_run(&t->loop, UV_RUN_DEFAULT);
			}
			uv_loop_close(&t->loop);
			pthread_mutex_destroy(&t->lock);
		}
		for (size_t j = 0; j < t->n_fds; j++)
			close(t->fds[j]);
		free(t->fds);
	}
	free(s->threads);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void server_forward_closed(uv_handle_t *h)
{
	server_free(h->data);
}

/* Make S's threads' loops and start them. Returns 0 or -errno (what was made is left to
 * server_free after threads_stop). */
static int threads_start(struct ctl_server *s)
{
	for (unsigned i = 0; i < s->n_threads; i++) {
		struct ctl_thread *t = &s->threads[i];
		t->server = s;
		t->replies_tail = &t->replies;
		t->rules = s->rules;
		t->rules_gen = atomic_load(&s->rules_gen);
		int rc = uv_loop_init(&t->loop);
		if (rc)
			return rc;
		t->loop.data = t;
		pthread_mutex_init(&t->lock, NULL);
		uv_async_init(&t->loop, &t->async, thread_on_async);
		t->async.data = t;
		uv_idle_init(&t->loop, &t->idle);
		t->idle.data = t;
		rc = -pthread_create(&t->thread, NULL, thread_main, t);
		if (rc)
			return rc;
		t->started = true;
	}
	return 0;
}

/*
 * Whether a daemon answers on the socket at PATH: only a refused connection says no. Anything else
 * (accepted, a full backlog, permission denied) may be a live daemon: never remove its socket.
 */
static bool socket_alive(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return true;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	bool alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		     (errno != ECONNREFUSED && errno != ENOENT); /* ENOENT: gone meanwhile */
	close(fd);
	return alive;
}

static void listener_closed(uv_handle_t *h)
{
	free(h);
}

int ctl_listen(struct daemon *d, const char *path, gid_t group, struct ctl_server **out)
{
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return LD_EEXIST; /* not ours to remove, whatever it is */
		if (socket_alive(path))
			return LD_ELOCKED;
		if (unlink(path) != 0 && errno != ENOENT)
			return lderr_from_errno(
			    errno); /* a stale socket left by a daemon that died */
	} else if (errno != ENOENT) {
		return lderr_from_errno(errno);
	}
	struct ctl_server *s = calloc(1, sizeof(*s));
	uv_pipe_t *listener = malloc(sizeof(*listener));
	unsigned n = ctl_thread_count();
	struct ctl_thread *threads = calloc(n, sizeof(*threads));
	if (!s || !listener || !threads) {
		free(s);
		free(listener);
		free(threads);
		return -ENOMEM;
	}
	s->daemon = d;
	s->threads = threads;
	s->n_threads = n;
	s->forwards_tail = &s->forwards;
	s->rules = d->config.rules;
	pthread_mutex_init(&s->lock, NULL);
	strncpy(s->path, path, sizeof(s->path) - 1);
	int rc = uv_pipe_init(d->loop, listener, 0);
	if (rc) {
		free(listener);
		free(threads);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return rc;
	}
	listener->data = s;
	uv_async_init(d->loop, &s->forward, on_forward);
	s->forward.data = s;
	rc = threads_start(s);
	if (rc) {
		log_error("ctl: cannot start the control threads: %s", lderr_str(rc));
	} else {
		mode_t old = umask(0117); /* the socket is made 0660 */
		rc = uv_pipe_bind(listener, path);
		umask(old);
	}
	/* The group before anyone may connect: [site] socket_group's members may, and only they. */
	if (rc == 0 && group != (gid_t)-1 && chown(path, (uid_t)-1, group) != 0) {
		rc = errno == EPERM ? LD_EFORBIDDEN : lderr_from_errno(errno);
		unlink(path);
	}
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)listener, 128, on_connection);
	if (rc) {
		uv_close((uv_handle_t *)listener, listener_closed);
		threads_stop(s);
		uv_close((uv_handle_t *)&s->forward, server_forward_closed); /* frees S */
		return rc;
	}
	chmod(path, 0660);
	if (lstat(path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	s->listener = listener;
	*out = s;
	return 0;
}

void ctl_stop_listening(struct ctl_server *s)
{
	if (!s->listener)
		return;
	uv_close((uv_handle_t *)s->listener, listener_closed);
	s->listener = NULL;
	/* Remove the socket only if it is still ours (not one put there since by someone else). */
	struct stat st;
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
}

void ctl_close(struct ctl_server *s)
{
	ctl_stop_listening(s);
	pthread_mutex_lock(&s->lock);
	s->closed = true;
	struct request *rq = s->forwards;
	s->forwards = NULL;
	s->forwards_tail = &s->forwards;
	pthread_mutex_unlock(&s->lock);
	while (rq) { /* not dispatched: the writer and the readers have stopped */
		struct request *next = rq->next;
		rq->job.result = LD_ESTOPPING;
		reply_home(rq);
		rq = next;
	}
	threads_stop(s);
	uv_close((uv_handle_t *)&s->forward, server_forward_closed); /* frees S */
}

void ctl_reload(struct ctl_server *s, const struct rules *rules)
{
	pthread_mutex_lock(&s->lock);
	s->rules = *rules;
	atomic_fetch_add_explicit(&s->rules_gen, 1, memory_order_release);
	pthread_mutex_unlock(&s->lock);
}
