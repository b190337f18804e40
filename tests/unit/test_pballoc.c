/*
 * test_pballoc.c: unit tests of common/pballoc.c: the budget refuses what is over it, with or
 * without a block of the caller's to cut from first; the arena unpacks a message from its block
 * or, when it does not fit, from the heap, and gives it all back at once (ASan's leak check sees
 * the heap part freed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pballoc.h"
#include "record.pb-c.h"

/* Branch 001 named NAME, packed into BUF (at least strlen(NAME) + 64 bytes). */
static size_t packed_branch(const char *name, uint8_t *buf)
{
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	b.code = "001";
	b.name = (char *)name;
	return ld__branch_info__pack(&b, buf);
}

/* A branch name longer than any arena block here: "第一支部" (12 bytes) COPIES times. */
static const char *long_name(char *out, size_t copies)
{
	out[0] = '\0';
	for (size_t i = 0; i < copies; i++)
		memcpy(out + i * 12, "第一支部", 13);
	return out;
}

static void arena_unpacks_from_block_and_heap(void **state)
{
	(void)state;
	static uint8_t buf[70000];
	static char name[5462 * 12 + 1]; /* 65,544 bytes: 64 times the block */
	unsigned char block[1024];
	struct pb_arena a;
	pb_arena_init(&a, block, sizeof(block));

	/* Small: from the block. */
	size_t n = packed_branch("第一支部", buf);
	Ld__BranchInfo *b = ld__branch_info__unpack(&a.allocator, n, buf);
	assert_non_null(b);
	assert_string_equal(b->code, "001");
	assert_string_equal(b->name, "第一支部");
	assert_true((unsigned char *)b->name >= block &&
		    (unsigned char *)b->name < block + sizeof(block));
	assert_null(a.spill);

	/* Larger than the block: its name from the heap, the rest still usable. */
	n = packed_branch(long_name(name, 5462), buf);
	Ld__BranchInfo *big = ld__branch_info__unpack(&a.allocator, n, buf);
	assert_non_null(big);
	assert_string_equal(big->name, name);
	assert_non_null(a.spill);
	assert_string_equal(b->name, "第一支部"); /* the first is untouched */
	pb_arena_reset(&a);
	assert_null(a.spill);
	assert_int_equal(a.used, 0);

	/* A bad message: NULL, and what it took goes back with the reset. */
	uint8_t bad[] = {0x12, 0x40, 'a'};
	assert_null(ld__branch_info__unpack(&a.allocator, sizeof(bad), bad));
	pb_arena_reset(&a);
}

static void arena_block_of_nothing(void **state)
{
	(void)state;
	struct pb_arena a;
	unsigned char one[1];
	pb_arena_init(&a, one + 1, 0);
	uint8_t buf[128];
	size_t n = packed_branch("第二支部", buf);
	Ld__BranchInfo *b = ld__branch_info__unpack(&a.allocator, n, buf);
	assert_non_null(b);
	assert_string_equal(b->name, "第二支部");
	pb_arena_reset(&a);
}

static void budget_refuses_over_limit(void **state)
{
	(void)state;
	static uint8_t buf[70000];
	static char name[700 * 12 + 1]; /* 8,400 bytes: over the budget */
	struct pb_budget bu;
	pb_budget_init(&bu, 4096);
	size_t n = packed_branch("第一支部", buf);
	Ld__BranchInfo *b = ld__branch_info__unpack(&bu.allocator, n, buf);
	assert_non_null(b);
	ld__branch_info__free_unpacked(b, &bu.allocator);
	assert_int_equal(bu.used, 0);
	n = packed_branch(long_name(name, 700), buf);
	assert_null(ld__branch_info__unpack(&bu.allocator, n, buf));
	assert_int_equal(bu.used, 0);
}

/* An arena with a limit refuses what would take it over, whether from its block or the heap. */
static void arena_refuses_over_its_limit(void **state)
{
	(void)state;
	static uint8_t buf[70000];
	static char name[700 * 12 + 1]; /* 8,400 bytes */
	unsigned char block[16384];
	struct pb_arena a;

	/* Within the block: the limit is what counts, not the block's size. */
	pb_arena_init(&a, block, sizeof(block));
	pb_arena_limit(&a, 4096);
	size_t n = packed_branch("第一支部", buf);
	assert_non_null(ld__branch_info__unpack(&a.allocator, n, buf));
	pb_arena_reset(&a);
	n = packed_branch(long_name(name, 700), buf);
	assert_null(ld__branch_info__unpack(&a.allocator, n, buf));
	pb_arena_reset(&a);
	pb_arena_limit(&a, 16384);
	assert_non_null(ld__branch_info__unpack(&a.allocator, n, buf));
	pb_arena_reset(&a);

	/* Spilling to the heap: the block and the heap count together. */
	pb_arena_init(&a, block, 1024);
	pb_arena_limit(&a, 8000);
	assert_null(ld__branch_info__unpack(&a.allocator, n, buf));
	assert_true(a.spilled <= 8000);
	pb_arena_reset(&a);
	assert_int_equal(a.spilled, 0);
	pb_arena_limit(&a, 20000);
	Ld__BranchInfo *b = ld__branch_info__unpack(&a.allocator, n, buf);
	assert_non_null(b);
	assert_string_equal(b->name, name);
	assert_non_null(a.spill);
	pb_arena_reset(&a);
}

/*
 * A budget with a block: a small message is cut from the block (no malloc: its fields point
 * into it), a larger one spills to the heap and is freed by free_unpacked (ASan's leak check), and
 * the limit holds for both alike.
 */
static void budget_block_first(void **state)
{
	(void)state;
	static uint8_t buf[70000];
	static char name[700 * 12 + 1];
	unsigned char block[512];
	struct pb_budget bu;
	pb_budget_init_block(&bu, 4096, block, sizeof(block));
	size_t n = packed_branch("第一支部", buf);
	Ld__BranchInfo *b = ld__branch_info__unpack(&bu.allocator, n, buf);
	assert_non_null(b);
	assert_true((unsigned char *)b >= block && (unsigned char *)b < block + sizeof(block));
	assert_true((unsigned char *)b->name >= block &&
		    (unsigned char *)b->name < block + sizeof(block));
	assert_string_equal(b->name, "第一支部");
	assert_true(bu.used > 0);
	ld__branch_info__free_unpacked(b, &bu.allocator);
	assert_int_equal(bu.used, 0);

	/* 1,200 bytes of name: more than the block has left, within the budget. */
	n = packed_branch(long_name(name, 100), buf);
	b = ld__branch_info__unpack(&bu.allocator, n, buf);
	assert_non_null(b);
	assert_int_equal(strlen(b->name), 1200);
	assert_false((unsigned char *)b->name >= block &&
		     (unsigned char *)b->name < block + sizeof(block));
	ld__branch_info__free_unpacked(b, &bu.allocator);
	assert_int_equal(bu.used, 0);

	n = packed_branch(long_name(name, 700), buf); /* 8,400 bytes: over the budget */
	assert_null(ld__branch_info__unpack(&bu.allocator, n, buf));
	assert_int_equal(bu.used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(arena_unpacks_from_block_and_heap),
	    cmocka_unit_test(arena_block_of_nothing),
	    cmocka_unit_test(budget_refuses_over_limit),
	    cmocka_unit_test(arena_refuses_over_its_limit),
	    cmocka_unit_test(budget_block_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
