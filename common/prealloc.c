/*
 * prealloc.c: zeros written ahead of LMDB's last page (see prealloc.h).
 */
#include "prealloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREALLOC_MIN  ((size_t)1 << 20)
#define PREALLOC_MAX  ((size_t)8 << 20)
#define PREALLOC_PAGE 4096 /* bytes per write: LMDB's page size on Linux */
/*
 * At most this much per write transaction (1 MiB, 256 writes): small commits (the case the zeros
 * are for) stay well ahead of LMDB, and a bulk write (an import's part of thousands of members)
 * does not write its megabytes twice, once as zeros a page at a time and once as data: it extends
 * the file itself.
 */
#define PREALLOC_STEP PREALLOC_MIN

int prealloc_ahead(struct prealloc *p, int fd, size_t used, size_t map_size)
{
	static const uint8_t zeros[PREALLOC_PAGE];
	bool bulk = p->used_seen && used >= p->used_seen + PREALLOC_STEP;
	p->used_seen = used;
	if (bulk)
		return 0;
	size_t ahead = used / 4;
	if (ahead < PREALLOC_MIN)
		ahead = PREALLOC_MIN;
	if (ahead > PREALLOC_MAX)
		ahead = PREALLOC_MAX;
	if (p->file_size >= used + ahead / 2)
		return 0;
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return 0; /* nothing written: LMDB extends the file itself */
	size_t from = (size_t)sb.st_size, to = used + ahead;
	if (to > from + PREALLOC_STEP)
		to = from + PREALLOC_STEP;
	if (to > map_size)
		to = map_size;
	p->file_size = from;
	if (to <= from)
		return 0;
	size_t at = from;
	int rc = 0;
	while (at < to) {
		size_t len = to - at < sizeof(zeros) ? to - at : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, len, (off_t)at);
		if (w <= 0) {
			rc = w < 0 ? -errno : -ENOSPC;
			break;
		}
		at += (size_t)w;
	}
	p->file_size = at;
	/* Start the writeback now, so the next commits do not wait for these zeros. */
	if (at > from)
		sync_file_range(fd, (off_t)from, (off_t)(at - from), SYNC_FILE_RANGE_WRITE);
	return rc ? rc : 1;
}
