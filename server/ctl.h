/*
 * ctl.h: the control socket: a unix socket (mode 0660) where `liudong` sends framed ctl.proto
 * Requests and reads one Response for each, in order. A connection has at most one request in
 * flight; reading pauses until it is answered.
 */
#pragma once

#include <uv.h>

struct daemon;
struct ctl_server;

/*
 * Listen on PATH (a stale socket left by a dead daemon is replaced; a live one is -EADDRINUSE).
 * *out is the caller's until ctl_close. Returns 0 or -errno.
 */
int ctl_listen(struct daemon *d, const char *path, struct ctl_server **out);

/* Stop accepting and remove the socket file; connections go on until ctl_close. */
void ctl_stop_listening(struct ctl_server *s);

/* Close every connection and free S once all handles are closed. */
void ctl_close(struct ctl_server *s);
