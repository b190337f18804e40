/* rawnet.c: see rawnet.h. */
#include "rawnet.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lderr.h"

int64_t rawnet_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rawnet_dial_tcp(const char *address)
{
	char host[256];
	snprintf(host, sizeof(host), "%s", address);
	char *colon = strrchr(host, ':');
	if (!colon)
		return LD_EINPUT;
	*colon = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	int rc = fd < 0 ? lderr_from_errno(errno) : 0;
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		rc = lderr_from_errno(errno);
		close(fd);
	}
	freeaddrinfo(ai);
	return rc ? rc : fd;
}

int rawnet_dial_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lderr_from_errno(errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int rc = lderr_from_errno(errno);
		close(fd);
		return rc;
	}
	return fd;
}

int rawnet_send_all(int fd, const void *buf, size_t len, size_t *sent)
{
	const uint8_t *p = buf;
	size_t off = 0;
	int rc = 0;
	while (off < len) {
		ssize_t w = send(fd, p + off, len - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = lderr_from_errno(errno);
			break;
		}
		off += (size_t)w;
	}
	if (sent)
		*sent = off;
	return rc;
}
