/*
 * ctl.h: the control socket: a unix socket (mode 0660) where `liudong` sends framed ctl.proto
 * Requests and reads one Response for each, in order. A connection has at most one request in
 * flight; reading pauses until it is answered. Connections are served by control threads of
 * their own (ctl.c): lookups are answered there, everything else goes through the loop thread.
 */
#pragma once

#include <sys/types.h>
#include <uv.h>

struct daemon;
struct ctl_server;
struct rules;

/*
 * Listen on PATH. A socket there that no daemon answers on (left by one that died) is replaced;
 * nothing else at PATH is ever removed. The socket is mode 0660, of GROUP unless GROUP is
 * (gid_t)-1 (then the daemon's group). *out is the caller's until ctl_close. Returns 0;
 * LD_EFORBIDDEN (the socket could not be given GROUP: the daemon is neither root nor in it);
 * -ENAMETOOLONG (PATH does not fit a sockaddr_un: 107 bytes at most); LD_ELOCKED (a daemon
 * answers on PATH, or may: the connection was not refused); LD_EEXIST (a file, directory,
 * symlink or anything but a socket is at PATH); or another -errno.
 */
int ctl_listen(struct daemon *d, const char *path, gid_t group, struct ctl_server **out);

/*
 * Stop accepting and remove the socket file (if it is still the one we made); connections go on
 * until ctl_close.
 */
void ctl_stop_listening(struct ctl_server *s);

/*
 * Close every connection, stop and join the control threads, and free S once its handles are
 * closed (when the loop next runs). Loop thread, once the writer and the readers have stopped:
 * requests still queued for the loop thread are answered as the daemon stopping.
 */
void ctl_close(struct ctl_server *s);

/* The rules reloaded on SIGHUP (copied: RULES stays the caller's), for the next lookups of every
 * control thread. Loop thread. */
void ctl_reload(struct ctl_server *s, const struct rules *rules);
