/*
 * bench_pages.c: the helpers of bench/run_pages.sh (issue 12: answers in pages).
 *
 *   bench_pages pay --socket PATH --ids FILE --count M [--months K] [--clients N]
 *     Records M dues receipts at a running liudongd: `dues.pay` (voluntary, 1.00 yuan, one month
 *     each) for the members whose identity numbers FILE lists (one a line), K receipts each (months
 *     2026-01, 2026-02, ...; default 2), from N connections at once (default 8) so the writer
 *     groups them in few commits. Every request must answer status 0. Prints the receipts/s.
 *
 *   bench_pages probe --socket PATH --until FILE
 *     Sends `site` on one connection over and over (1 ms apart) until FILE exists, then prints
 *     how many it sent and the p50, p99 and max of their latency: how long a user's `liudong site`
 *     waits while something else runs on the daemon.
 *
 * Exit 0, 1 on a failed request, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "conn.h"
#include "ctl.pb-c.h"
#include "lderr.h"

#define IDNO_LEN 18

struct opts {
	const char *mode, *socket, *ids, *until;
	uint64_t count, months, clients;
};

/* Send COMMAND with the N KEY=VALUE pairs KV on FD; 0 if it answered status 0. */
static int call(int fd, const char *command, const char *const (*kv)[2], size_t n)
{
	Ld__Param params[8];
	Ld__Param *pp[8];
	for (size_t i = 0; i < n; i++) {
		ld__param__init(&params[i]);
		params[i].key = (char *)kv[i][0];
		params[i].value = (char *)kv[i][1];
		pp[i] = &params[i];
	}
	Ld__Request req = LD__REQUEST__INIT;
	req.version = 1;
	req.command = (char *)command;
	req.operator_ = "bench";
	req.n_params = n;
	req.params = pp;
	Ld__Response *resp;
	int rc = conn_call(fd, &req, &resp);
	if (rc) {
		fprintf(stderr, "bench_pages: %s: connection failed: %s\n", command, lderr_str(rc));
		return rc;
	}
	if (resp->status != 0) {
		fprintf(stderr, "bench_pages: %s: status %d: %s\n", command, resp->status,
			resp->error ? resp->error : "");
		rc = -EPROTO;
	}
	ld__response__free_unpacked(resp, NULL);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* pay                                                                                            */

struct payer {
	pthread_t thread;
	const struct opts *o;
	const char *ids;       /* IDNO_LEN + 1 bytes each */
	uint64_t first, count; /* receipts: member (r / months), month (r % months) */
	int fd;
	int rc;
};

static atomic_bool pay_failed;

static void *payer_main(void *arg)
{
	struct payer *p = arg;
	for (uint64_t r = p->first; r < p->first + p->count && !atomic_load(&pay_failed); r++) {
		char id[IDNO_LEN + 1], month[16];
		memcpy(id, p->ids + (r / p->o->months) * (IDNO_LEN + 1), IDNO_LEN);
		id[IDNO_LEN] = '\0';
		uint64_t m = r % p->o->months;
		snprintf(month, sizeof(month), "%04d-%02d", 2026 + (int)(m / 12),
			 1 + (int)(m % 12));
		const char *const kv[][2] = {
		    {"arg", id}, {"from", month}, {"amount", "1.00"}, {"voluntary", ""}};
		if ((p->rc = call(p->fd, "dues.pay", kv, 4)) != 0) {
			atomic_store(&pay_failed, true);
			break;
		}
	}
	return NULL;
}

static int run_pay(const struct opts *o)
{
	FILE *f = fopen(o->ids, "r");
	if (!f) {
		fprintf(stderr, "bench_pages: cannot read %s: %s\n", o->ids, strerror(errno));
		return 1;
	}
	uint64_t members = (o->count + o->months - 1) / o->months;
	char *ids = malloc(members * (IDNO_LEN + 1));
	char line[64];
	uint64_t n = 0;
	while (ids && n < members && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) != IDNO_LEN)
			continue;
		memcpy(ids + n * (IDNO_LEN + 1), line, IDNO_LEN + 1);
		n++;
	}
	fclose(f);
	if (!ids || n < members) {
		fprintf(stderr, "bench_pages: %s lists %" PRIu64 " members; %" PRIu64 " needed\n",
			o->ids, n, members);
		free(ids);
		return 1;
	}
	struct payer *p = calloc(o->clients, sizeof(*p));
	if (!p) {
		free(ids);
		return 1;
	}
	double t0 = bench_mono_s();
	uint64_t next = 0;
	int rc = 0;
	unsigned long started = 0;
	for (uint64_t t = 0; t < o->clients; t++) {
		p[t].o = o;
		p[t].ids = ids;
		p[t].first = next;
		p[t].count = o->count / o->clients + (t < o->count % o->clients);
		next += p[t].count;
		p[t].fd = conn_open(o->socket);
		if (p[t].fd < 0 || pthread_create(&p[t].thread, NULL, payer_main, &p[t]) != 0) {
			fprintf(stderr, "bench_pages: cannot start client %" PRIu64 "\n", t);
			if (p[t].fd >= 0)
				close(p[t].fd);
			atomic_store(&pay_failed, true);
			rc = 1;
			break;
		}
		started++;
	}
	for (unsigned long t = 0; t < started; t++) {
		pthread_join(p[t].thread, NULL);
		close(p[t].fd);
		if (p[t].rc)
			rc = 1;
	}
	double secs = bench_mono_s() - t0;
	if (rc == 0)
		printf("pay  receipts %" PRIu64 "  members %" PRIu64 "  clients %" PRIu64
		       "  %.2f s  %.0f receipts/s\n",
		       o->count, members, o->clients, secs, (double)o->count / secs);
	free(p);
	free(ids);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* probe                                                                                          */

static int run_probe(const struct opts *o)
{
	int fd = conn_open(o->socket);
	if (fd < 0) {
		fprintf(stderr, "bench_pages: cannot connect to %s\n", o->socket);
		return 1;
	}
	size_t cap = 1 << 16, n = 0;
	uint64_t *lat = malloc(cap * sizeof(*lat));
	int rc = 0;
	while (lat && access(o->until, F_OK) != 0) {
		uint64_t t0 = bench_now_ns();
		if ((rc = call(fd, "site", NULL, 0)) != 0)
			break;
		if (n == cap) {
			uint64_t *grown = realloc(lat, 2 * cap * sizeof(*lat));
			if (!grown)
				break;
			lat = grown;
			cap *= 2;
		}
		lat[n++] = bench_now_ns() - t0;
		usleep(1000);
	}
	close(fd);
	if (!lat || rc) {
		free(lat);
		return 1;
	}
	qsort(lat, n, sizeof(*lat), bench_cmp_u64);
	double p50 = n ? (double)lat[n / 2] / 1e6 : 0;
	double p99 = n ? (double)lat[(n * 99) / 100] / 1e6 : 0;
	double max = n ? (double)lat[n - 1] / 1e6 : 0;
	printf("probe  site requests %zu  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", n, p50, p99,
	       max);
	free(lat);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_pages pay --socket PATH --ids FILE --count M [--months K] "
			"[--clients N]\n"
			"       bench_pages probe --socket PATH --until FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = {.months = 2, .clients = 8};
	if (argc < 2)
		return usage();
	o.mode = argv[1];
	static const struct option longopts[] = {{"socket", required_argument, NULL, 's'},
						 {"ids", required_argument, NULL, 'i'},
						 {"count", required_argument, NULL, 'n'},
						 {"months", required_argument, NULL, 'm'},
						 {"clients", required_argument, NULL, 'c'},
						 {"until", required_argument, NULL, 'u'},
						 {NULL, 0, NULL, 0}};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'i':
			o.ids = optarg;
			break;
		case 'u':
			o.until = optarg;
			break;
		case 'n':
			rc = bench_parse_u64("bench_pages", "count", optarg, 1, &o.count);
			break;
		case 'm':
			rc = bench_parse_u64("bench_pages", "months", optarg, 1, &o.months);
			break;
		case 'c':
			rc = bench_parse_u64("bench_pages", "clients", optarg, 1, &o.clients);
			break;
		default:
			return usage();
		}
		if (rc)
			return 2;
	}
	if (!o.socket)
		return usage();
	if (strcmp(o.mode, "pay") == 0 && o.ids && o.count)
		return run_pay(&o);
	if (strcmp(o.mode, "probe") == 0 && o.until)
		return run_probe(&o);
	return usage();
}
