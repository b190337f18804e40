/*
 * test_frame.c: length-framed messages and the protobuf-c budget allocator.
 *
 * frame_peek is driven over byte buffers in every state a stream can be in (empty, part of a
 * header, part of a body, one frame, two frames back to back, an oversize header); the blocking
 * frame_write_fd / frame_read_fd pair is driven over a socketpair, including a peer that hangs up
 * in the middle of a frame and a writer whose peer has gone (in a child process, since that one can
 * end in SIGPIPE). The budget allocator is checked on a control-socket Request: over
 * budget it refuses and gives back every byte, within budget it accounts for every byte until
 * free_unpacked.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.pb-c.h"
#include "frame.h"
#include "pballoc.h"

/* ------------------------------------------------------------------------------------------ */
/* frame_peek                                                                                  */

static void header_is_big_endian_length(void **state)
{
	uint8_t hdr[LD_FRAME_HEADER];

	(void)state;
	frame_header(0x01020304u, hdr);
	assert_int_equal(hdr[0], 0x01);
	assert_int_equal(hdr[1], 0x02);
	assert_int_equal(hdr[2], 0x03);
	assert_int_equal(hdr[3], 0x04);
}

static void peek_empty_and_partial_header_wait(void **state)
{
	uint8_t buf[LD_FRAME_HEADER];
	const uint8_t *body = NULL;
	size_t body_len = 12345;

	(void)state;
	frame_header(3, buf);
	assert_int_equal(frame_peek(buf, 0, LD_FRAME_MAX, &body, &body_len), -EAGAIN);
	for (size_t n = 1; n < LD_FRAME_HEADER; n++)
		assert_int_equal(frame_peek(buf, n, LD_FRAME_MAX, &body, &body_len), -EAGAIN);
	assert_null(body);
	assert_int_equal(body_len, 12345);
}

static void peek_partial_body_waits(void **state)
{
	uint8_t buf[LD_FRAME_HEADER + 5];
	const uint8_t *body = NULL;
	size_t body_len = 0;

	(void)state;
	frame_header(5, buf);
	memcpy(buf + LD_FRAME_HEADER, "hello", 5);
	for (size_t n = LD_FRAME_HEADER; n < sizeof(buf); n++)
		assert_int_equal(frame_peek(buf, n, LD_FRAME_MAX, &body, &body_len), -EAGAIN);
	assert_null(body);
}

static void peek_exact_frame_points_into_buffer(void **state)
{
	uint8_t buf[LD_FRAME_HEADER + 5];
	const uint8_t *body = NULL;
	size_t body_len = 0;

	(void)state;
	frame_header(5, buf);
	memcpy(buf + LD_FRAME_HEADER, "hello", 5);
	assert_int_equal(frame_peek(buf, sizeof(buf), LD_FRAME_MAX, &body, &body_len), 0);
	assert_ptr_equal(body, buf + LD_FRAME_HEADER);
	assert_int_equal(body_len, 5);
	assert_memory_equal(body, "hello", 5);
}

static void peek_zero_length_frame(void **state)
{
	uint8_t buf[LD_FRAME_HEADER];
	const uint8_t *body = NULL;
	size_t body_len = 99;

	(void)state;
	frame_header(0, buf);
	assert_int_equal(frame_peek(buf, sizeof(buf), LD_FRAME_MAX, &body, &body_len), 0);
	assert_int_equal(body_len, 0);
	assert_ptr_equal(body, buf + LD_FRAME_HEADER);
}

static void peek_two_frames_back_to_back(void **state)
{
	uint8_t buf[2 * LD_FRAME_HEADER + 3 + 4];
	const uint8_t *body;
	size_t body_len, off;

	(void)state;
	frame_header(3, buf);
	memcpy(buf + LD_FRAME_HEADER, "one", 3);
	frame_header(4, buf + LD_FRAME_HEADER + 3);
	memcpy(buf + 2 * LD_FRAME_HEADER + 3, "four", 4);

	assert_int_equal(frame_peek(buf, sizeof(buf), LD_FRAME_MAX, &body, &body_len), 0);
	assert_int_equal(body_len, 3);
	assert_memory_equal(body, "one", 3);
	off = LD_FRAME_HEADER + body_len;

	assert_int_equal(frame_peek(buf + off, sizeof(buf) - off, LD_FRAME_MAX, &body, &body_len),
			 0);
	assert_int_equal(body_len, 4);
	assert_memory_equal(body, "four", 4);
	off += LD_FRAME_HEADER + body_len;
	assert_int_equal(off, sizeof(buf));
	assert_int_equal(frame_peek(buf + off, 0, LD_FRAME_MAX, &body, &body_len), -EAGAIN);
}

static void peek_oversize_header_refused_before_body(void **state)
{
	uint8_t buf[LD_FRAME_HEADER];
	const uint8_t *body = NULL;
	size_t body_len = 0;

	(void)state;
	/* Only the header has arrived: the verdict must not wait for 4 MiB + 1 of body. */
	frame_header(LD_FRAME_MAX + 1, buf);
	assert_int_equal(frame_peek(buf, sizeof(buf), LD_FRAME_MAX, &body, &body_len), -EMSGSIZE);
	assert_null(body);

	/* Exactly max is allowed: it waits for the body. */
	frame_header(LD_FRAME_MAX, buf);
	assert_int_equal(frame_peek(buf, sizeof(buf), LD_FRAME_MAX, &body, &body_len), -EAGAIN);

	/* A caller-chosen smaller max is honoured too. */
	frame_header(17, buf);
	assert_int_equal(frame_peek(buf, sizeof(buf), 16, &body, &body_len), -EMSGSIZE);

	/* The largest header there is. */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(frame_peek(buf, sizeof(buf), LD_FRAME_MAX, &body, &body_len), -EMSGSIZE);
}

/* ------------------------------------------------------------------------------------------ */
/* frame_write_fd / frame_read_fd                                                              */

static int pair_setup(void **state)
{
	int *sv = malloc(2 * sizeof(int));

	if (!sv || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		free(sv);
		return -1;
	}
	*state = sv;
	return 0;
}

static int pair_teardown(void **state)
{
	int *sv = *state;

	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(sv);
	return 0;
}

static void fd_round_trip(void **state)
{
	int *sv = *state;
	uint8_t *body = NULL;
	size_t len = 0;

	assert_int_equal(frame_write_fd(sv[0], "ping", 4), 0);
	assert_int_equal(frame_write_fd(sv[0], "", 0), 0);
	assert_int_equal(frame_write_fd(sv[0], "pong!", 5), 0);

	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(body, "ping", 4);
	free(body);

	body = NULL;
	len = 99;
	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), 0);
	assert_int_equal(len, 0);
	assert_non_null(body); /* the caller frees it, as for any other frame */
	free(body);

	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(body, "pong!", 5);
	free(body);
}

struct big_write {
	int fd;
	const uint8_t *body;
	size_t len;
	int rc;
};

static void *big_writer(void *arg)
{
	struct big_write *bw = arg;

	bw->rc = frame_write_fd(bw->fd, bw->body, bw->len);
	return NULL;
}

/* A frame of exactly LD_FRAME_MAX, larger than any socket buffer: written from another thread. */
static void fd_round_trip_largest_frame(void **state)
{
	int *sv = *state;
	uint8_t *sent = malloc(LD_FRAME_MAX);
	uint8_t *body = NULL;
	size_t len = 0;
	pthread_t t;

	assert_non_null(sent);
	for (size_t i = 0; i < LD_FRAME_MAX; i++)
		sent[i] = (uint8_t)(i * 31 + 7);
	struct big_write bw = {.fd = sv[0], .body = sent, .len = LD_FRAME_MAX, .rc = 1};
	assert_int_equal(pthread_create(&t, NULL, big_writer, &bw), 0);
	int rc = frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(bw.rc, 0);
	assert_int_equal(rc, 0);
	assert_int_equal(len, LD_FRAME_MAX);
	assert_memory_equal(body, sent, LD_FRAME_MAX);
	free(body);
	free(sent);
}

static void write_refuses_oversize_body(void **state)
{
	int *sv = *state;
	static const uint8_t nothing[1];

	/* Refused before a byte is written: the peer's stream stays clean. */
	assert_int_equal(frame_write_fd(sv[0], nothing, (size_t)LD_CTL_FRAME_MAX + 1), -EMSGSIZE);
	assert_int_equal(frame_write_fd(sv[0], "ok", 2), 0);

	uint8_t *body = NULL;
	size_t len = 0;
	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(body, "ok", 2);
	free(body);
}

static void read_after_peer_closed_mid_body_is_epipe(void **state)
{
	int *sv = *state;
	uint8_t hdr[LD_FRAME_HEADER];
	uint8_t *body = NULL;
	size_t len = 0;

	frame_header(10, hdr);
	assert_int_equal(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(write(sv[0], "abc", 3), 3);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), -EPIPE);
	assert_null(body);
}

static void read_after_peer_closed_mid_header_is_epipe(void **state)
{
	int *sv = *state;
	uint8_t hdr[LD_FRAME_HEADER];
	uint8_t *body = NULL;
	size_t len = 0;

	frame_header(10, hdr);
	assert_int_equal(write(sv[0], hdr, 2), 2);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), -EPIPE);
	assert_null(body);
}

static void read_after_clean_close_is_epipe(void **state)
{
	int *sv = *state;
	uint8_t *body = NULL;
	size_t len = 0;

	assert_int_equal(frame_write_fd(sv[0], "last", 4), 0);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), 0);
	assert_int_equal(len, 4);
	free(body);
	body = NULL;
	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), -EPIPE);
	assert_null(body);
}

/*
 * Writing to a peer that has gone is an error the caller sees (-EPIPE, frame.h: "Returns 0 or
 * -errno"), not the death of the process by SIGPIPE. The write runs in a child process with
 * SIGPIPE at its default action, as in the `liudong` CLI, so a kill cannot take the suite down.
 */
static void write_to_closed_peer_is_epipe(void **state)
{
	int *sv = *state;
	int status = 0;

	close(sv[1]);
	sv[1] = -1;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		int rc = frame_write_fd(sv[0], "hello", 5);
		_exit(rc == -EPIPE ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("frame_write_fd killed the process with signal %d (SIGPIPE is %d)",
			 WTERMSIG(status), SIGPIPE);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void read_oversize_is_emsgsize(void **state)
{
	int *sv = *state;
	uint8_t hdr[LD_FRAME_HEADER];
	uint8_t *body = NULL;
	size_t len = 0;

	/* A header alone announcing max + 1: refused without waiting for or allocating the body. */
	frame_header(LD_FRAME_MAX + 1, hdr);
	assert_int_equal(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(frame_read_fd(sv[1], LD_FRAME_MAX, &body, &len), -EMSGSIZE);
	assert_null(body);

	/* The reader's own max applies, whatever the writer's. */
	assert_int_equal(frame_write_fd(sv[0], "0123456789", 10), 0);
	assert_int_equal(frame_read_fd(sv[1], 9, &body, &len), -EMSGSIZE);
	assert_null(body);
}

/* ------------------------------------------------------------------------------------------ */
/* pballoc                                                                                     */

/* A request with strings and a repeated field, so unpacking makes several allocations. */
static uint8_t *packed_request(size_t *len)
{
	Ld__Request req = LD__REQUEST__INIT;
	Ld__Param p[3] = {LD__PARAM__INIT, LD__PARAM__INIT, LD__PARAM__INIT};
	Ld__Param *pp[3] = {&p[0], &p[1], &p[2]};

	req.version = 1;
	req.command = "member.add";
	req.operator_ = "张三";
	p[0].key = "name";
	p[0].value = "李四";
	p[1].key = "idno";
	p[1].value = "11010519491231002X";
	p[2].key = "branch";
	p[2].value = "第一支部 with a longer value that needs its own allocation";
	req.n_params = 3;
	req.params = pp;
	*len = ld__request__get_packed_size(&req);
	uint8_t *buf = malloc(*len);
	if (buf)
		ld__request__pack(&req, buf);
	return buf;
}

static void budget_too_small_fails_and_gives_all_back(void **state)
{
	size_t len;
	uint8_t *buf = packed_request(&len);
	struct pb_budget b;

	(void)state;
	assert_non_null(buf);
	pb_budget_init(&b, 16);
	assert_null(ld__request__unpack(&b.allocator, len, buf));
	assert_int_equal(b.used, 0);
	free(buf);
}

static void budget_large_enough_succeeds_and_free_gives_back(void **state)
{
	size_t len;
	uint8_t *buf = packed_request(&len);
	struct pb_budget b;

	(void)state;
	assert_non_null(buf);
	pb_budget_init(&b, 8u << 20);
	Ld__Request *r = ld__request__unpack(&b.allocator, len, buf);
	assert_non_null(r);
	assert_true(b.used > 0);
	assert_true(b.used <= b.limit);
	assert_string_equal(r->command, "member.add");
	assert_string_equal(r->operator_, "张三");
	assert_int_equal(r->n_params, 3);
	assert_string_equal(r->params[1]->value, "11010519491231002X");
	ld__request__free_unpacked(r, &b.allocator);
	assert_int_equal(b.used, 0);
	free(buf);
}

/*
 * Every budget from 0 up to what the message needs: each one short of it fails part-way through
 * unpacking (after some allocations succeeded) and must still give back every byte.
 */
static void every_short_budget_gives_all_back(void **state)
{
	size_t len;
	uint8_t *buf = packed_request(&len);
	struct pb_budget b;

	(void)state;
	assert_non_null(buf);
	pb_budget_init(&b, 8u << 20);
	Ld__Request *r = ld__request__unpack(&b.allocator, len, buf);
	assert_non_null(r);
	size_t needed = b.used;
	ld__request__free_unpacked(r, &b.allocator);

	for (size_t limit = 0; limit < needed; limit++) {
		pb_budget_init(&b, limit);
		r = ld__request__unpack(&b.allocator, len, buf);
		if (r)
			ld__request__free_unpacked(r, &b.allocator);
		assert_null(r);
		assert_int_equal(b.used, 0);
	}
	pb_budget_init(&b, needed);
	r = ld__request__unpack(&b.allocator, len, buf);
	assert_non_null(r);
	assert_int_equal(b.used, needed);
	ld__request__free_unpacked(r, &b.allocator);
	assert_int_equal(b.used, 0);
	free(buf);
}

/* Random bytes: whether they decode or not, the budget is respected and every byte comes back. */
static void garbage_gives_all_back(void **state)
{
	uint8_t junk[256];
	struct pb_budget b;

	(void)state;
	for (unsigned seed = 1; seed <= 200; seed++) {
		uint32_t x = seed * 2654435761u;
		for (size_t i = 0; i < sizeof(junk); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			junk[i] = (uint8_t)x;
		}
		pb_budget_init(&b, 1024);
		Ld__Request *r = ld__request__unpack(&b.allocator, sizeof(junk), junk);
		assert_true(b.used <= b.limit);
		if (r)
			ld__request__free_unpacked(r, &b.allocator);
		assert_int_equal(b.used, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(header_is_big_endian_length),
	    cmocka_unit_test(peek_empty_and_partial_header_wait),
	    cmocka_unit_test(peek_partial_body_waits),
	    cmocka_unit_test(peek_exact_frame_points_into_buffer),
	    cmocka_unit_test(peek_zero_length_frame),
	    cmocka_unit_test(peek_two_frames_back_to_back),
	    cmocka_unit_test(peek_oversize_header_refused_before_body),
	    cmocka_unit_test_setup_teardown(fd_round_trip, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(fd_round_trip_largest_frame, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(write_refuses_oversize_body, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(read_after_peer_closed_mid_body_is_epipe, pair_setup,
					    pair_teardown),
	    cmocka_unit_test_setup_teardown(read_after_peer_closed_mid_header_is_epipe, pair_setup,
					    pair_teardown),
	    cmocka_unit_test_setup_teardown(read_after_clean_close_is_epipe, pair_setup,
					    pair_teardown),
	    cmocka_unit_test_setup_teardown(read_oversize_is_emsgsize, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(write_to_closed_peer_is_epipe, pair_setup,
					    pair_teardown),
	    cmocka_unit_test(budget_too_small_fails_and_gives_all_back),
	    cmocka_unit_test(budget_large_enough_succeeds_and_free_gives_back),
	    cmocka_unit_test(every_short_budget_gives_all_back),
	    cmocka_unit_test(garbage_gives_all_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
