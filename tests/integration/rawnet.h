/*
 * rawnet.h: plain sockets for the hostile test programs (hostile_client, hostile_peer): a
 * connection to HOST:PORT or to a unix socket, every byte of a buffer written, a monotonic clock.
 * Blocking sockets, no TLS, nothing of the protocol.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock. */
int64_t rawnet_mono_ms(void);

/*
 * A TCP connection to ADDRESS ("HOST:PORT", the last colon splits; HOST may be a name): its file
 * descriptor (close-on-exec; the caller closes it), or LD_EINPUT if ADDRESS has no colon,
 * -EHOSTUNREACH if HOST does not resolve, else a negative code (lderr_from_errno).
 */
int rawnet_dial_tcp(const char *address);

/*
 * A connection to the unix socket at PATH: its file descriptor (close-on-exec; the caller closes
 * it), or -ENAMETOOLONG, or a negative code (lderr_from_errno).
 */
int rawnet_dial_unix(const char *path);

/*
 * Write the LEN bytes at BUF on FD (again after EINTR; no SIGPIPE). Returns 0, or a negative code
 * (lderr_from_errno); if SENT is not NULL, it receives how many bytes were written either way.
 */
int rawnet_send_all(int fd, const void *buf, size_t len, size_t *sent);
