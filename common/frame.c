/* frame.c: see frame.h. */
#include "frame.h"
#include "lderr.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void frame_header(uint32_t len, uint8_t out[LD_FRAME_HEADER])
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
}

size_t frame_announced(const uint8_t *buf, size_t len)
{
	if (len < LD_FRAME_HEADER)
		return 0;
	return (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
}

int frame_peek(const uint8_t *buf, size_t len, size_t max, const uint8_t **body, size_t *body_len)
{
	if (len < LD_FRAME_HEADER)
		return -EAGAIN;
	size_t n = frame_announced(buf, len);
	if (n > max)
		return -EMSGSIZE;
	if (len - LD_FRAME_HEADER < n)
		return -EAGAIN;
	*body = buf + LD_FRAME_HEADER;
	*body_len = n;
	return 0;
}

int frame_writev_fd(int fd, struct iovec *iov, size_t n)
{
	bool socket = true;
	while (n > 0) {
		/* sendmsg() with MSG_NOSIGNAL: a closed peer is -EPIPE, not a SIGPIPE that kills
		 * us; a file that is not a socket is written with writev(). */
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = n < IOV_MAX ? n : IOV_MAX};
		ssize_t w =
		    socket ? sendmsg(fd, &m, MSG_NOSIGNAL) : writev(fd, iov, (int)m.msg_iovlen);
		if (w < 0 && socket && errno == ENOTSOCK) {
			socket = false;
			continue;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return lderr_from_errno(errno);
		}
		size_t done = (size_t)w;
		while (n > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return lderr_from_errno(errno);
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int frame_write_fd(int fd, const void *body, size_t len)
{
	if (len > LD_CTL_FRAME_MAX)
		return -EMSGSIZE;
	uint8_t hdr[LD_FRAME_HEADER];
	frame_header((uint32_t)len, hdr);
	struct iovec iov[2] = {{.iov_base = hdr, .iov_len = sizeof(hdr)},
			       {.iov_base = (void *)body, .iov_len = len}};
	return frame_writev_fd(fd, iov, 2);
}

int frame_read_fd(int fd, size_t max, uint8_t **body, size_t *len)
{
	uint8_t hdr[LD_FRAME_HEADER];
	int rc = read_all(fd, hdr, sizeof(hdr));
	if (rc)
		return rc;
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (n > max)
		return -EMSGSIZE;
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return -ENOMEM;
	rc = read_all(fd, b, n);
	if (rc) {
		free(b);
		return rc;
	}
	*body = b;
	*len = n;
	return 0;
}
