/*
 * bench_show.c: how many read requests the daemon answers (issue 12, "Reads on every core").
 *
 *   bench_show --socket PATH --ids FILE [--clients N] [--seconds S] [--warmup W] [--seed K]
 *              [--command NAME] [--json]
 *     N threads (default 8), each with its own control connection, send `member.show ID` (or
 *     --command NAME with the id as its argument) of identity numbers drawn at random from FILE
 *     (one per line, members that exist at the site), one request outstanding per connection,
 *     for W seconds of warm-up (default 1, not counted) and then S seconds (default 10). Every
 *     answer must have status 0 and a JSON object: the first that does not is printed and the
 *     run exits 1. Reports requests/s and the p50, p99 and max of the per-request latency.
 *
 * The client side is kept lean, as it shares the CPUs with the daemon: one write(2) per request
 * (frame header and body in one buffer), a poll(2) and reads into a buffer kept per thread (one
 * read(2) per answer when it has arrived whole), latencies counted in a histogram of 1 µs buckets.
 *
 * One line per run on stdout, for people, or one JSON object with --json. Exit 0, 1 on a failed
 * request, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "conn.h"
#include "ctl.pb-c.h"
#include "frame.h"
#include "lderr.h"

#define HIST_US	   100000 /* latencies up to 100 ms in 1 µs buckets; longer ones in the last */
#define ID_MAX	   32
#define READ_CHUNK 65536

struct opts {
	const char *socket;
	const char *ids_path;
	const char *command;
	unsigned long clients;
	uint64_t seconds;
	uint64_t warmup;
	uint64_t seed;
	bool json;
};

struct ids {
	char (*id)[ID_MAX];
	size_t n;
};

struct client {
	pthread_t thread;
	const struct opts *o;
	const struct ids *ids;
	pthread_barrier_t *start;
	int fd;
	uint64_t rng;
	uint8_t *in; /* answers are read into this */
	size_t in_cap;
	uint32_t *hist; /* HIST_US + 1 buckets */
	uint64_t done;	/* answered in the measured period */
	uint64_t max_ns;
	int failed;
};

/* 0: warming up, 1: measuring, 2: stop. */
static atomic_int phase;

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Write all LEN bytes of BUF to FD. Returns 0 or -errno. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one whole answer frame into C's buffer; its body is C->in + LD_FRAME_HEADER. */
static int read_frame(struct client *c, size_t *body_len)
{
	size_t have = 0;
	for (;;) {
		const uint8_t *body;
		int rc = frame_peek(c->in, have, LD_CTL_FRAME_MAX, &body, body_len);
		if (rc == 0)
			return have == LD_FRAME_HEADER + *body_len ? 0 : -EPROTO;
		if (rc != -EAGAIN)
			return rc;
		size_t want = have < LD_FRAME_HEADER ? READ_CHUNK : 0;
		if (have >= LD_FRAME_HEADER) {
			uint32_t len = (uint32_t)c->in[0] << 24 | (uint32_t)c->in[1] << 16 |
				       (uint32_t)c->in[2] << 8 | c->in[3];
			want = LD_FRAME_HEADER + (size_t)len;
		}
		if (want > c->in_cap) {
			uint8_t *b = realloc(c->in, want);
			if (!b)
				return -ENOMEM;
			c->in = b;
			c->in_cap = want;
		}
		/*
		 * Wait in poll, not in read: a reader blocked in read(2) on a unix socket is woken
		 * (for nothing) each time the daemon reads from it, as its wait queue is shared
		 * with the writers'; poll's waits are woken only for what they wait for.
		 */
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
		ssize_t n = read(c->fd, c->in + have, c->in_cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		have += (size_t)n;
	}
}

/* One request for a random member; its latency into *lat. */
static int client_show(struct client *c, uint64_t *lat)
{
	const char *id = c->ids->id[xorshift(&c->rng) % c->ids->n];
	Ld__Param param = LD__PARAM__INIT;
	Ld__Param *pp = &param;
	param.key = "arg";
	param.value = (char *)id;
	Ld__Request req = LD__REQUEST__INIT;
	req.version = 1;
	req.command = (char *)c->o->command;
	req.operator_ = "bench";
	req.n_params = 1;
	req.params = &pp;
	uint8_t out[512];
	size_t len = ld__request__get_packed_size(&req);
	if (len + LD_FRAME_HEADER > sizeof(out))
		return -E2BIG;
	frame_header((uint32_t)len, out);
	ld__request__pack(&req, out + LD_FRAME_HEADER);

	uint64_t t0 = bench_now_ns();
	int rc = write_all(c->fd, out, LD_FRAME_HEADER + len);
	size_t body_len = 0;
	if (rc == 0)
		rc = read_frame(c, &body_len);
	*lat = bench_now_ns() - t0;
	if (rc) {
		fprintf(stderr, "bench_show: %s %s: connection failed: %s\n", c->o->command, id,
			lderr_str(rc));
		return rc;
	}
	Ld__Response *resp = ld__response__unpack(NULL, body_len, c->in + LD_FRAME_HEADER);
	if (!resp) {
		fprintf(stderr, "bench_show: %s %s: the answer does not decode\n", c->o->command,
			id);
		return -EPROTO;
	}
	if (resp->status != 0 || !resp->json || resp->json[0] != '{') {
		fprintf(stderr, "bench_show: %s %s: status %d: %s\n", c->o->command, id,
			resp->status, resp->error ? resp->error : "(no JSON object)");
		rc = -EPROTO;
	}
	ld__response__free_unpacked(resp, NULL);
	return rc;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	pthread_barrier_wait(c->start);
	int p;
	while ((p = atomic_load_explicit(&phase, memory_order_relaxed)) != 2) {
		uint64_t lat;
		if (client_show(c, &lat) != 0) {
			c->failed = 1;
			atomic_store(&phase, 2);
			break;
		}
		if (p != 1)
			continue;
		uint64_t us = lat / 1000;
		c->hist[us < HIST_US ? us : HIST_US]++;
		if (lat > c->max_ns)
			c->max_ns = lat;
		c->done++;
	}
	return NULL;
}

/* The nearest-rank percentile P of the DONE latencies counted in HIST, in milliseconds. */
static double percentile_ms(const uint64_t *hist, uint64_t done, double p)
{
	if (!done)
		return 0;
	uint64_t rank = (uint64_t)((p / 100.0) * (double)done + 0.999999);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t us = 0; us <= HIST_US; us++) {
		seen += hist[us];
		if (seen >= rank)
			return ((double)us + 0.5) / 1000.0; /* the bucket's middle */
	}
	return (double)HIST_US / 1000.0;
}

static int ids_load(const char *path, struct ids *ids)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "bench_show: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	size_t cap = 0;
	char line[256];
	ids->id = NULL;
	ids->n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (strlen(line) >= ID_MAX) {
			fprintf(stderr, "bench_show: %s: '%s' is not an identity number\n", path,
				line);
			fclose(f);
			return LD_EINPUT;
		}
		if (ids->n == cap) {
			cap = cap ? 2 * cap : 1024;
			char(*grown)[ID_MAX] = realloc(ids->id, cap * sizeof(*ids->id));
			if (!grown) {
				fclose(f);
				return -ENOMEM;
			}
			ids->id = grown;
		}
		snprintf(ids->id[ids->n++], ID_MAX, "%.*s", ID_MAX - 1, line);
	}
	fclose(f);
	if (!ids->n) {
		fprintf(stderr, "bench_show: %s holds no identity numbers\n", path);
		return LD_EINPUT;
	}
	return 0;
}

static void sleep_s(uint64_t s)
{
	struct timespec ts = {.tv_sec = (time_t)s};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* CPU seconds (user and system) this process has used, all threads. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int run(const struct opts *o)
{
	struct ids ids;
	if (ids_load(o->ids_path, &ids) != 0)
		return 1;
	unsigned long n = o->clients;
	struct client *cl = calloc(n, sizeof(*cl));
	uint64_t *hist = calloc(HIST_US + 1, sizeof(*hist));
	if (!cl || !hist) {
		fprintf(stderr, "bench_show: out of memory\n");
		return 1;
	}
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (unsigned long t = 0; t < n; t++) {
		cl[t].o = o;
		cl[t].ids = &ids;
		cl[t].start = &start;
		cl[t].rng = o->seed * 0x9E3779B97F4A7C15ull + t + 1;
		cl[t].hist = calloc(HIST_US + 1, sizeof(*cl[t].hist));
		cl[t].in = malloc(READ_CHUNK);
		cl[t].in_cap = READ_CHUNK;
		cl[t].fd = conn_open(o->socket);
		if (!cl[t].hist || !cl[t].in) {
			fprintf(stderr, "bench_show: out of memory\n");
			return 1;
		}
		if (cl[t].fd < 0) {
			fprintf(stderr, "bench_show: cannot connect to %s: %s\n", o->socket,
				strerror(-cl[t].fd));
			return 1;
		}
	}
	for (unsigned long t = 0; t < n; t++) {
		int err = pthread_create(&cl[t].thread, NULL, client_main, &cl[t]);
		if (err) {
			fprintf(stderr, "bench_show: cannot start a client thread: %s\n",
				strerror(err));
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	sleep_s(o->warmup);
	int expected = 0;
	atomic_compare_exchange_strong(&phase, &expected, 1);
	double t0 = bench_mono_s(), cpu0 = cpu_s();
	sleep_s(o->seconds);
	expected = 1;
	atomic_compare_exchange_strong(&phase, &expected, 2);
	double secs = bench_mono_s() - t0, cpu = cpu_s() - cpu0;
	uint64_t done = 0, max_ns = 0;
	int failed = 0;
	for (unsigned long t = 0; t < n; t++) {
		pthread_join(cl[t].thread, NULL);
		close(cl[t].fd);
		for (size_t us = 0; us <= HIST_US; us++)
			hist[us] += cl[t].hist[us];
		done += cl[t].done;
		failed |= cl[t].failed;
		if (cl[t].max_ns > max_ns)
			max_ns = cl[t].max_ns;
		free(cl[t].hist);
		free(cl[t].in);
	}
	double rate = secs > 0 ? (double)done / secs : 0;
	double p50 = percentile_ms(hist, done, 50), p99 = percentile_ms(hist, done, 99);
	if (o->json)
		printf("{\"bench\":\"show\",\"command\":\"%s\",\"clients\":%lu,\"members\":%zu,"
		       "\"done\":%" PRIu64
		       ",\"failed\":%d,\"seconds\":%.3f,\"requests_per_s\":%.1f,"
		       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"client_cpu_us\":%.1f}\n",
		       o->command, n, ids.n, done, failed, secs, rate, p50, p99,
		       (double)max_ns / 1e6, done ? cpu * 1e6 / (double)done : 0);
	else
		printf("%s  clients %-3lu requests %-9" PRIu64 " %6.2f s  %9.1f requests/s  p50 "
		       "%.3f ms  p99 %.3f ms  max %.3f ms  client CPU %.1f µs/request%s\n",
		       o->command, n, done, secs, rate, p50, p99, (double)max_ns / 1e6,
		       done ? cpu * 1e6 / (double)done : 0, failed ? "  (FAILED)" : "");
	pthread_barrier_destroy(&start);
	free(cl);
	free(hist);
	free(ids.id);
	return failed ? 1 : 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench_show --socket PATH --ids FILE [--clients N] [--seconds S] "
		     "[--warmup W] [--seed K] [--command NAME] [--json]\n");
}

int main(int argc, char **argv)
{
	struct opts o = {
	    .clients = 8, .seconds = 10, .warmup = 1, .seed = 1, .command = "member.show"};
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},  {"ids", required_argument, NULL, 'i'},
	    {"clients", required_argument, NULL, 'c'}, {"seconds", required_argument, NULL, 't'},
	    {"warmup", required_argument, NULL, 'w'},  {"seed", required_argument, NULL, 'r'},
	    {"command", required_argument, NULL, 'm'}, {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	int ch;
	uint64_t v;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o.socket = optarg;
			break;
		case 'i':
			o.ids_path = optarg;
			break;
		case 'm':
			o.command = optarg;
			break;
		case 'c':
			if (bench_parse_u64("bench_show", "clients", optarg, 1, &v) || v > 1024)
				return 2;
			o.clients = (unsigned long)v;
			break;
		case 't':
			if (bench_parse_u64("bench_show", "seconds", optarg, 1, &o.seconds))
				return 2;
			break;
		case 'w':
			if (bench_parse_u64("bench_show", "warmup", optarg, 0, &o.warmup))
				return 2;
			break;
		case 'r':
			if (bench_parse_u64("bench_show", "seed", optarg, 0, &o.seed))
				return 2;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.socket || !o.ids_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	return run(&o);
}
