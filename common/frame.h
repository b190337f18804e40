/*
 * frame.h: length-framed messages, on the control socket and between peers.
 *
 * A frame is a 4-byte big-endian length followed by that many bytes (one protobuf message). The
 * length is checked against a maximum before anything is allocated for the body.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define LD_FRAME_MAX	 (4u << 20)  /* 4 MiB: between sites */
#define LD_CTL_FRAME_MAX (64u << 20) /* 64 MiB: on the control socket (a whole register file) */
#define LD_FRAME_HEADER	 4

/* Write LEN as the 4-byte header into OUT. */
void frame_header(uint32_t len, uint8_t out[LD_FRAME_HEADER]);

/*
 * Look for one complete frame at the start of BUF (LEN bytes). On 0, *body points into BUF (not
 * copied) and *body_len is its length; the frame takes LD_FRAME_HEADER + *body_len bytes.
 * Returns -EAGAIN if BUF holds less than a whole frame, -EMSGSIZE if the header announces more
 * than MAX bytes (the stream is then unusable: close it).
 */
int frame_peek(const uint8_t *buf, size_t len, size_t max, const uint8_t **body, size_t *body_len);

/* The body length the header at the start of BUF (LEN bytes) announces; 0 if the header is cut. */
size_t frame_announced(const uint8_t *buf, size_t len);

/*
 * Blocking: write one frame with body BODY (LEN bytes, at most LD_CTL_FRAME_MAX) to FD (a socket or
 * any file). Returns 0, or -errno: -EPIPE if the peer closed (never a SIGPIPE), -EMSGSIZE.
 */
int frame_write_fd(int fd, const void *body, size_t len);

/*
 * Blocking: write the N buffers of IOV whole to FD (a socket or any file), in order: one frame or
 * more, their headers among them (frame_header). IOV is changed as it is written. Returns 0 or
 * -errno, as frame_write_fd.
 */
int frame_writev_fd(int fd, struct iovec *iov, size_t n);

/*
 * Blocking: read one frame from FD. *body is malloc'd, the caller frees it. Returns 0; -EPIPE if
 * the peer closed before a whole frame; -EMSGSIZE above MAX; -errno otherwise.
 */
int frame_read_fd(int fd, size_t max, uint8_t **body, size_t *len);
