/*
 * prealloc.h: zeros written ahead of LMDB's last page in a synced store's data file.
 *
 * LMDB writes a page past the end of data.mdb by extending the file, and then the commit's
 * fdatasync also waits for the file system to journal the new size. So a synced store keeps zeros
 * written ahead of LMDB's last page (a quarter of the used size, at least 1 MiB, at most 8 MiB),
 * extended at the start of a top write transaction (while LMDB's writer lock is held, so no LMDB
 * write can overlap), and most small commits only overwrite blocks the file already has. After a
 * bulk commit (the used size grew by 1 MiB or more since the last write transaction) none are
 * written: LMDB extended the file itself, and writing megabytes twice (zeros, then data) only
 * costs the bulk writer time.
 *
 * One policy for the store (store.c) and for the raw LMDB floor it is measured against
 * (bench/lmdb_replay.c), so the floor writes what the store writes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct prealloc {
	size_t file_size; /* the data file's size as last extended or seen */
	size_t used_seen; /* LMDB's used size at the last write transaction's start */
};

/*
 * At the start of a top write transaction of a synced store: FD is its data file (borrowed),
 * USED the bytes LMDB's pages take (last page + 1, times the page size), MAP_SIZE the map's size
 * (no zeros past it). Writes the zeros the policy above asks for, a page per write (larger writes
 * raised both daemons' peak resident memory in a long catch-up by up to 18 MiB), and starts their
 * writeback. Returns 1 if zeros were written, 0 if none were due, or -errno of a write that
 * failed (a full disk: LMDB's own writes will say so; nothing is lost).
 */
int prealloc_ahead(struct prealloc *p, int fd, size_t used, size_t map_size);
