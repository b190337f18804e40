/*
 * datalock.c: see datalock.h.
 *
 * flock, not fcntl record locks: LMDB takes fcntl locks on its own lock file, and closing any
 * descriptor of a file drops every fcntl lock the process has on it; a flock belongs to the open
 * file description and goes away only when it is closed or the process dies (kill -9 included),
 * so a crash never leaves the directory locked. The file is never removed: removing it while a
 * second daemon has it open but not yet locked would let two daemons lock two different files.
 */
#include "datalock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "config.h"
#include "lderr.h"

/* The pid written in the lock file FD, or 0. */
static pid_t read_holder(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	long pid = strtol(text, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

int datalock_take(const char *dir, int *fd, pid_t *holder)
{
	char path[LD_PATH_MAX];
	*fd = -1;
	*holder = 0;
	if (snprintf(path, sizeof(path), "%s/liudongd.lock", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return lderr_from_errno(errno);
	if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
		int rc = errno == EWOULDBLOCK ? LD_ELOCKED : -errno;
		if (rc == LD_ELOCKED)
			*holder = read_holder(lfd);
		close(lfd);
		return rc;
	}
	char text[32];
	int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	errno = 0;
	if (ftruncate(lfd, 0) != 0 || pwrite(lfd, text, (size_t)len, 0) != len) {
		int rc = errno ? -errno : -EIO;
		close(lfd);
		return rc;
	}
	*fd = lfd;
	return 0;
}

void datalock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
