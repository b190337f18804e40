/*
 * datalock.h: the lock that makes a data directory one daemon's: an exclusive flock on
 * DIR/liudongd.lock, held for the life of the process, with the holder's pid written in the file
 * so that a second daemon can name it.
 */
#pragma once

#include <sys/types.h>
#include "lderr.h"

/*
 * Take the lock on data directory DIR (must exist). On success *fd is the lock file's descriptor,
 * the caller's until datalock_release (or the process's end, which releases it too). Returns 0;
 * LD_ELOCKED if another process holds it, with *holder its pid as written in the file (0 if
 * unknown); or -errno if the file cannot be opened or written.
 */
int datalock_take(const char *dir, int *fd, pid_t *holder);

/* Release the lock taken by datalock_take (FD < 0: nothing). The file stays: see datalock.c. */
void datalock_release(int fd);
