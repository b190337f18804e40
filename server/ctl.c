/*
 * ctl.c: see ctl.h.
 *
 * Each connection keeps one input buffer; bytes are appended as they arrive and frames are taken
 * from its front. A frame longer than LD_CTL_FRAME_MAX closes the connection before anything is
 * allocated for it. Requests unpack with a budget, so a hostile client cannot make the daemon
 * allocate more than CTL_UNPACK_BUDGET for one. Requests are answered one at a time, in order.
 *
 * A read is answered by the reader thread that ran it (request.h, readers.h): the answer is
 * written to the socket from there when the socket takes it whole and no earlier answer is still
 * being written, so the client does not wait for the loop thread to go round. Otherwise, and for
 * every other request, the loop thread writes it. While a request is in flight the connection is
 * never closed under it: a close (the client went away) waits for the request's reply, so a
 * reader thread never writes to a descriptor that was closed and perhaps reused.
 */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.pb-c.h"
#include "daemon.h"
#include "frame.h"
#include "lderr.h"
#include "logging.h"
#include "readers.h"
#include "request.h"
#include "status.h"

#define CTL_UNPACK_BUDGET (3 * LD_CTL_FRAME_MAX)
#define CTL_READ_CHUNK	  65536
#define PIPELINE_MAX	  (1u << 20) /* unanswered bytes a client may pile up */

struct ctl_conn;

struct ctl_server {
	uv_pipe_t *listener; /* NULL once closed; freed by its close callback */
	struct daemon *daemon;
	char path[LD_PATH_MAX];
	dev_t dev; /* the socket file we made, removed at stop only if still there */
	ino_t ino;
	struct ctl_conn *conns; /* doubly linked */
};

struct ctl_conn {
	uv_pipe_t pipe;
	struct ctl_server *server;
	struct ctl_conn *prev, *next;
	uint8_t *buf;
	size_t len, cap;
	uint32_t uid;
	struct request *inflight;
	unsigned writes; /* uv_write requests not finished */
	bool reading;	 /* uv_read_start is in effect */
	bool closing;
};

struct ctl_write {
	uv_write_t req;
	struct ctl_conn *conn;
	uint8_t *data;
};

static void conn_process(struct ctl_conn *c);

static void conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	free(c->buf);
	free(c);
}

static void conn_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->server->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	if (c->inflight) {
		/* conn_reply closes it, once the request is done with the descriptor. */
		if (c->reading)
			uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = false;
		readers_wake(c->server->daemon->readers, &c->inflight->read);
		return;
	}
	uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
	struct ctl_conn *c = h->data;
	if (c->cap - c->len < CTL_READ_CHUNK) {
		size_t cap = c->cap ? c->cap * 2 : CTL_READ_CHUNK * 2;
		if (cap > LD_CTL_FRAME_MAX + LD_FRAME_HEADER + CTL_READ_CHUNK)
			cap = LD_CTL_FRAME_MAX + LD_FRAME_HEADER + CTL_READ_CHUNK;
		uint8_t *b = cap > c->cap ? realloc(c->buf, cap) : NULL;
		if (b) {
			c->buf = b;
			c->cap = cap;
		}
	}
	*out = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = s->data;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	/* The client sent more: the reply in flight must not wait for the loop to go round. */
	if (c->inflight)
		readers_wake(c->server->daemon->readers, &c->inflight->read);
	/*
	 * Reading goes on while a request is in flight (no epoll change per request); a client that
	 * piles up more than PIPELINE_MAX unanswered bytes is made to wait.
	 */
	if (c->inflight && c->len > PIPELINE_MAX) {
		uv_read_stop(s);
		c->reading = false;
	}
	conn_process(c);
}

static void on_written(uv_write_t *w, int status)
{
	struct ctl_write *cw = w->data;
	cw->conn->writes--;
	free(cw->data);
	free(cw);
}

/*
 * Send bytes OFF to LEN of DATA (taken: freed here or when written): at once if the socket takes
 * them all (the usual case: no write request, no change to what the loop polls for), else the
 * rest through uv_write.
 */
static void conn_send(struct ctl_conn *c, uint8_t *data, size_t off, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)data + off, (unsigned)(len - off));
	int n = c->writes ? 0 : uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
	if (n == UV_EAGAIN)
		n = 0;
	if (n >= 0 && (size_t)n < len - off) {
		off += (size_t)n;
		struct ctl_write *cw = malloc(sizeof(*cw));
		if (cw) {
			cw->data = data;
			cw->conn = c;
			cw->req.data = cw;
			b = uv_buf_init((char *)data + off, (unsigned)(len - off));
			if (uv_write(&cw->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) == 0) {
				c->writes++;
				return; /* on_written frees CW and DATA */
			}
			free(cw);
		}
		n = UV_EPIPE;
	}
	free(data);
	if (n < 0)
		conn_close(c);
}

/*
 * Make RQ's answer ready to send: the Response frame (header and packed body) into rq->answer.
 * Touches RQ only: it runs on a reader thread for reads (request.h), on the loop thread for the
 * others. On failure to allocate, rq->answer stays NULL and the connection will be closed.
 */
static void conn_prepare(struct request *rq)
{
	Ld__Response resp = LD__RESPONSE__INIT;
	int result = rq->job.result;
	resp.status = (int32_t)status_from_error(result);
	char *json = NULL;
	char **warnings = NULL;
	if (result == 0) {
		if (rq->raw_json) {
			resp.json = rq->raw_json; /* built as text by a command with a big answer */
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
	free(rq->answer);
	rq->answer = malloc(LD_FRAME_HEADER + len);
	rq->answer_len = rq->answer_sent = 0;
	if (rq->answer) {
		frame_header((uint32_t)len, rq->answer);
		ld__response__pack(&resp, (uint8_t *)rq->answer + LD_FRAME_HEADER);
		rq->answer_len = LD_FRAME_HEADER + len;
	}
	free(warnings);
	free(json);
	/*
	 * Write it at once if allowed (conn_process: no earlier answer is still being written; the
	 * descriptor stays open until conn_reply). What the socket does not take, or a failure, is
	 * left to conn_reply on the loop thread.
	 */
	if (rq->answer && rq->fd >= 0) {
		ssize_t n = send(rq->fd, rq->answer, rq->answer_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			rq->answer_sent = (size_t)n;
	}
}

/*
 * Send the response to RQ (if its connection is still there), free RQ, go on with the next
 * request. Loop thread.
 */
static void conn_reply(struct request *rq)
{
	struct ctl_conn *c = rq->conn;
	c->inflight = NULL;
	if (c->closing) { /* conn_close waited for this request */
		request_free(rq);
		uv_close((uv_handle_t *)&c->pipe, conn_closed);
		return;
	}
	if (!rq->answer && !rq->answer_len)
		conn_prepare(rq); /* not a read: prepared here */
	if (rq->answer) {
		uint8_t *data = rq->answer;
		rq->answer = NULL;
		if (rq->answer_sent < rq->answer_len)
			conn_send(c, data, rq->answer_sent, rq->answer_len);
		else
			free(data);
	} else {
		conn_close(c);
	}
	request_free(rq);
	if (!c->closing)
		conn_process(c);
}

/* Take the next whole frame from the buffer and dispatch it; read more if there is none. */
static void conn_process(struct ctl_conn *c)
{
	if (c->closing || c->inflight)
		return;
	const uint8_t *body;
	size_t body_len;
	int rc = frame_peek(c->buf, c->len, LD_CTL_FRAME_MAX, &body, &body_len);
	if (rc == -EAGAIN) {
		if (!c->reading && uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) == 0)
			c->reading = true;
		return;
	}
	if (rc) {
		log_warn("ctl: closing a client that sent a frame over %u bytes", LD_CTL_FRAME_MAX);
		conn_close(c);
		return;
	}
	struct request *rq = calloc(1, sizeof(*rq));
	if (!rq) {
		conn_close(c);
		return;
	}
	pb_budget_init(&rq->budget, CTL_UNPACK_BUDGET);
	rq->req = ld__request__unpack(&rq->budget.allocator, body_len, body);
	size_t used = LD_FRAME_HEADER + body_len;
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	if (!rq->req || !rq->req->command) {
		log_warn("ctl: closing a client that sent a request that does not decode");
		request_free(rq);
		conn_close(c);
		return;
	}
	rq->daemon = c->server->daemon;
	rq->uid = c->uid;
	rq->conn = c;
	rq->reply = conn_reply;
	rq->prepare = conn_prepare;
	uv_os_fd_t fd;
	rq->fd = !c->writes && uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 ? fd : -1;
	rq->read.wake = c->len > 0; /* more is waiting: see readers.h */
	rq->result = json_object();
	rq->warnings = json_array();
	c->inflight = rq;
	request_dispatch(rq);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl_server *s = server->data;
	if (status < 0)
		return;
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->server = s;
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		uv_close((uv_handle_t *)&c->pipe, conn_closed);
		return;
	}
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		c->uid = (uint32_t)cred.uid;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	conn_process(c);
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
	if (!s || !listener) {
		free(s);
		free(listener);
		return -ENOMEM;
	}
	s->daemon = d;
	strncpy(s->path, path, sizeof(s->path) - 1);
	int rc = uv_pipe_init(d->loop, listener, 0);
	if (rc) {
		free(listener);
		free(s);
		return rc;
	}
	listener->data = s;
	mode_t old = umask(0117); /* the socket is made 0660 */
	rc = uv_pipe_bind(listener, path);
	umask(old);
	/* The group before anyone may connect: [site] socket_group's members may, and only they. */
	if (rc == 0 && group != (gid_t)-1 && chown(path, (uid_t)-1, group) != 0) {
		rc = errno == EPERM ? LD_EFORBIDDEN : lderr_from_errno(errno);
		unlink(path);
	}
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)listener, 128, on_connection);
	if (rc) {
		uv_close((uv_handle_t *)listener, listener_closed);
		free(s);
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
	while (s->conns)
		conn_close(s->conns);
	free(s);
}
