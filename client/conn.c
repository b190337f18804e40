/* conn.c: see conn.h. */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

int conn_send(int fd, const Ld__Request *req)
{
	size_t len = ld__request__get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	ld__request__pack(req, buf);
	int rc = frame_write_fd(fd, buf, len);
	free(buf);
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
