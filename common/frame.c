/* frame.c: see frame.h. */
#include "frame.h"
#include "lderr.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
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

int frame_peek(const uint8_t *buf, size_t len, size_t max, const uint8_t **body, size_t *body_len)
{
	if (len < LD_FRAME_HEADER)
		return -EAGAIN;
	uint32_t n =
	    (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n > max)
		return -EMSGSIZE;
	if (len - LD_FRAME_HEADER < n)
		return -EAGAIN;
	*body = buf + LD_FRAME_HEADER;
	*body_len = n;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	bool socket = true;
	while (len > 0) {
		/* send() with MSG_NOSIGNAL: a closed peer is -EPIPE, not a SIGPIPE that kills us.
		 */
		ssize_t n = socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n < 0 && socket && errno == ENOTSOCK) {
			socket = false;
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return lderr_from_errno(errno);
		}
		p += n;
		len -= (size_t)n;
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
	int rc = write_all(fd, hdr, sizeof(hdr));
	if (rc == 0)
		rc = write_all(fd, body, len);
	return rc;
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
