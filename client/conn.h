/*
 * conn.h: the CLI's side of the control socket: connect, send one Request, read its Response.
 * Blocking. A connection may carry many requests, answered in order (a listing's pages).
 */
#pragma once

#include "ctl.pb-c.h"
#include "lderr.h"

/*
 * Connect to the daemon at PATH. Returns a file descriptor (the caller closes it), or the
 * system's -errno as connect(2) gave it (this is the edge: the caller words it): -ENOENT no
 * socket file, -ECONNREFUSED nothing listens on it, -EACCES no permission, -ENAMETOOLONG.
 */
int conn_open(const char *path);

/*
 * Send REQ on FD and read the answer into *resp (the caller frees it with
 * ld__response__free_unpacked(*resp, NULL)). Returns 0, -EPIPE if the daemon closed the
 * connection, LD_ECORRUPT if the answer does not decode, or -errno.
 */
int conn_call(int fd, const Ld__Request *req, Ld__Response **resp);

/*
 * Send REQ on FD; with REQ->attach set, the parameter of that name follows as a frame of its own
 * (ctl.proto). Returns 0, -EMSGSIZE if it is over the frame limit, -EPIPE, or -errno.
 */
int conn_send(int fd, const Ld__Request *req);

/*
 * Read the answer to the oldest request sent on FD into *resp (the caller frees it with
 * ld__response__free_unpacked(*resp, NULL)). Returns 0, -EPIPE if the daemon closed the
 * connection, LD_ECORRUPT if the answer does not decode, or -errno.
 */
int conn_receive(int fd, Ld__Response **resp);
