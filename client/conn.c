/* conn.c: see conn.h. */
#include "conn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "lderr.h"

int conn_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lderr_from_errno(errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/*
 * A request packed for sending, as segments: protobuf-c hands pack_to_buffer each field's bytes;
 * short runs are copied into BLOCK, long ones (a register's text) are only pointed to, so that a
 * file of many megabytes is not copied once more to be sent.
 */
#define SEG_REF_MIN 65536

/* The socket's send buffer asked for while an attachment is sent. */
#define ATTACH_SNDBUF (4 << 20)

struct seg {
	const uint8_t *p; /* NULL: the bytes are at BLOCK + OFF */
	size_t off, len;
};

struct segs {
	ProtobufCBuffer base; /* first: pack_to_buffer's callbacks get &base */
	struct seg *v;
	size_t n, cap;
	uint8_t *block;
	size_t used, block_cap;
	size_t total;
	bool failed;
};

static struct seg *segs_next(struct segs *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct seg *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	return &s->v[s->n++];
}

static void segs_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	struct segs *s = (struct segs *)b;
	s->total += len;
	if (s->failed || len == 0)
		return;
	if (len >= SEG_REF_MIN) {
		struct seg *g = segs_next(s);
		if (!g) {
			s->failed = true;
			return;
		}
		*g = (struct seg){.p = data, .len = len};
		return;
	}
	if (s->used + len > s->block_cap) {
		size_t cap = s->block_cap ? s->block_cap * 2 : 4096;
		while (cap < s->used + len)
			cap *= 2;
		uint8_t *nb = realloc(s->block, cap);
		if (!nb) {
			s->failed = true;
			return;
		}
		s->block = nb;
		s->block_cap = cap;
	}
	memcpy(s->block + s->used, data, len);
	struct seg *last = s->n ? &s->v[s->n - 1] : NULL;
	if (last && !last->p && last->off + last->len == s->used) {
		last->len += len; /* goes on from the run before */
	} else {
		struct seg *g = segs_next(s);
		if (!g) {
			s->failed = true;
			return;
		}
		*g = (struct seg){.off = s->used, .len = len};
	}
	s->used += len;
}

int conn_send(int fd, const Ld__Request *req)
{
	/* An attached parameter (ctl.proto) leaves the message: its text follows as a frame. */
	Ld__Request bare = *req;
	Ld__Param **kept = NULL;
	const char *attached = NULL;
	if (req->attach && req->attach[0]) {
		if (!(kept = malloc((req->n_params + 1) * sizeof(*kept))))
			return -ENOMEM;
		bare.params = kept;
		bare.n_params = 0;
		for (size_t i = 0; i < req->n_params; i++) {
			if (!attached && strcmp(req->params[i]->key, req->attach) == 0)
				attached = req->params[i]->value;
			else
				kept[bare.n_params++] = req->params[i];
		}
	}
	size_t att_len = attached ? strlen(attached) : 0;
	struct segs s = {.base = {.append = segs_append}};
	ld__request__pack_to_buffer(&bare, &s.base);
	int rc = s.failed						    ? -ENOMEM
		 : s.total > LD_CTL_FRAME_MAX || att_len > LD_CTL_FRAME_MAX ? -EMSGSIZE
									    : 0;
	struct iovec *iov = rc ? NULL : calloc(s.n + 3, sizeof(*iov));
	if (!rc && !iov)
		rc = -ENOMEM;
	if (!rc) {
		uint8_t hdr[LD_FRAME_HEADER], att_hdr[LD_FRAME_HEADER];
		size_t n = 0;
		frame_header((uint32_t)s.total, hdr);
		iov[n++] = (struct iovec){.iov_base = hdr, .iov_len = sizeof(hdr)};
		for (size_t i = 0; i < s.n; i++)
			iov[n++] = (struct iovec){
			    .iov_base = (void *)(s.v[i].p ? s.v[i].p : s.block + s.v[i].off),
			    .iov_len = s.v[i].len};
		if (attached) {
			/* A register's megabytes go in fewer, larger steps (up to the system's cap,
			 * net.core.wmem_max): each step wakes the daemon to read it. */
			int sndbuf = ATTACH_SNDBUF;
			if (att_len > (size_t)sndbuf)
				(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
						 sizeof(sndbuf));
			frame_header((uint32_t)att_len, att_hdr);
			iov[n++] = (struct iovec){.iov_base = att_hdr, .iov_len = sizeof(att_hdr)};
			iov[n++] = (struct iovec){.iov_base = (void *)attached, .iov_len = att_len};
		}
		rc = frame_writev_fd(fd, iov, n);
	}
	free(iov);
	free(s.v);
	free(s.block);
	free(kept);
	return rc;
}

int conn_receive(int fd, Ld__Response **resp)
{
	uint8_t *body;
	size_t body_len;
	int rc = frame_read_fd(fd, LD_CTL_FRAME_MAX, &body, &body_len);
	if (rc)
		return rc;
	*resp = ld__response__unpack(NULL, body_len, body);
	free(body);
	return *resp ? 0 : LD_ECORRUPT;
}

int conn_call(int fd, const Ld__Request *req, Ld__Response **resp)
{
	int rc = conn_send(fd, req);
	return rc ? rc : conn_receive(fd, resp);
}
