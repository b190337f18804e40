/*
 * test_prealloc.c: unit tests of common/prealloc.c, the zeros a synced store keeps written ahead
 * of LMDB's last page (and the raw LMDB floor of bench/lmdb_replay.c writes the same way): how
 * far ahead, at most how much per write transaction, none after a bulk commit, never past the
 * map, real blocks rather than a hole, and a failed write reported, not hidden.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prealloc.h"

#define MIB ((size_t)1 << 20)

struct file {
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct file *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/test_prealloc.XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct file *f = *state;
	close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

static size_t size_of(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	return (size_t)st.st_size;
}

/* A new store: 1 MiB of zeros (the least), in real blocks; no more while LMDB stays well within. */
static void test_small_store(void **state)
{
	struct file *f = *state;
	struct prealloc p = {0};
	assert_int_equal(prealloc_ahead(&p, f->fd, 8 * 4096, 256 * MIB), 1);
	assert_int_equal(size_of(f->fd), MIB);
	struct stat st;
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_true((size_t)st.st_blocks * 512 >= MIB);
	assert_int_equal(prealloc_ahead(&p, f->fd, 9 * 4096, 256 * MIB), 0);
	assert_int_equal(size_of(f->fd), MIB);
	/* LMDB came within half of the distance ahead: the file grows again. */
	assert_int_equal(prealloc_ahead(&p, f->fd, MIB - 4096, 256 * MIB), 1);
	assert_true(size_of(f->fd) >= MIB - 4096 + MIB);
}

/* A large store keeps a quarter of its size ahead, at most 8 MiB, at most 1 MiB a transaction. */
static void test_large_store_steps(void **state)
{
	struct file *f = *state;
	struct prealloc p = {0};
	size_t used = 40 * MIB;
	assert_int_equal(ftruncate(f->fd, (off_t)used), 0);
	int writes = 0;
	for (int i = 0; i < 20; i++) {
		size_t before = size_of(f->fd);
		int rc = prealloc_ahead(&p, f->fd, used, 256 * MIB);
		assert_true(rc == 0 || rc == 1);
		assert_int_equal(rc == 1, size_of(f->fd) > before);
		assert_true(size_of(f->fd) - before <= MIB);
		writes += rc;
		used += 4096; /* small commits */
	}
	assert_true(writes >= 4 && writes < 20); /* 1 MiB at a time, then none while well ahead */
	assert_true(size_of(f->fd) >= used + 4 * MIB);
	assert_true(size_of(f->fd) <= used + 8 * MIB + MIB);
}

/* After a bulk commit (1 MiB or more since the last write transaction) nothing is written. */
static void test_none_after_bulk(void **state)
{
	struct file *f = *state;
	struct prealloc p = {0};
	assert_int_equal(prealloc_ahead(&p, f->fd, 4096, 256 * MIB), 1);
	size_t first = size_of(f->fd);
	assert_int_equal(prealloc_ahead(&p, f->fd, 6 * MIB, 256 * MIB), 0);
	assert_int_equal(size_of(f->fd), first);
	/* The next small commit's transaction finds zeros written again. */
	assert_int_equal(prealloc_ahead(&p, f->fd, 6 * MIB + 4096, 256 * MIB), 1);
	assert_true(size_of(f->fd) > first);
}

/* Never past the map: LMDB cannot use what lies beyond it. */
static void test_not_past_map(void **state)
{
	struct file *f = *state;
	struct prealloc p = {0};
	assert_int_equal(prealloc_ahead(&p, f->fd, 4096, 512 * 1024), 1);
	assert_int_equal(size_of(f->fd), 512 * 1024);
}

/* A write that fails (here: a file open read-only) is reported; nothing is pretended. */
static void test_failed_write(void **state)
{
	struct file *f = *state;
	int ro = open(f->path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	struct prealloc p = {0};
	assert_int_equal(prealloc_ahead(&p, ro, 4096, 256 * MIB), -EBADF);
	assert_int_equal(size_of(ro), 0);
	close(ro);
	/* Once it works again, the zeros are written. */
	assert_int_equal(prealloc_ahead(&p, f->fd, 8192, 256 * MIB), 1);
	assert_int_equal(size_of(f->fd), MIB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_small_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_store_steps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_none_after_bulk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_past_map, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
