/*
 * bench_add.c: how fast durable member adds are (issue 2, acceptance 7).
 *
 *   bench_add socket --socket PATH --clients N --count M [--id-offset K] [--sex M|F|mix]
 *                    [--branch CODE] [--interleave] [--json]
 *     N threads, each with its own control connection, send M `member.add` requests in all (one
 *     outstanding per connection) to a running liudongd; the branch (default "bench") must
 *     exist. Every request must answer status 0: the first that does not is printed and the run
 *     exits 1. Reports adds/s and the p50, p99 and max of the per-request latency. Each client
 *     takes a contiguous slice of the identity numbers, or with --interleave every N-th one.
 *
 *   bench_add raw --dir DIR --count M --per-commit K [--whole-add] [--id-offset K] [--json]
 *     Opens a fresh store in DIR with store_open's default (synced) flags and writes M packed
 *     member states of about 300 bytes, K per transaction, with nothing else running: the cost of
 *     one fsync'd commit per record (K=1) against batched commits (K=1000).
 *
 * Identity numbers are valid and distinct: area 110105, birth date 1940-01-01 plus (index / 1000)
 * days (index / 500 with a fixed --sex; the default is mix), a 3-digit sequence whose parity gives
 * the sex (odd male, even female), and the ISO 7064 MOD 11-2 check character. Members join 18 years
 * and 6 months after birth. INDEX runs from --id-offset, so successive runs against one site stay
 * distinct if their ranges do not overlap.
 *
 * One line per run on stdout, for people, or one JSON object with --json. Exit 0, 1 on a failed
 * request or store error, 2 on a usage error.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "ctl.pb-c.h"
#include "benchlib.h"
#include "date.h"
#include "domain.h"
#include "record.pb-c.h"
#include "audit.h"
#include "eventlog.h"
#include "store.h"
#include "lderr.h"

#define IDNO_LEN 18
#define N_PARAMS 10

struct opts {
	const char *mode;
	const char *socket;
	const char *dir;
	const char *branch;
	unsigned long clients;
	uint64_t count;
	uint64_t per_commit;
	uint64_t id_offset;
	char sex; /* 'M', 'F' or 0 (mix) */
	bool interleave;
	bool json;
	bool whole_add; /* raw: write everything a member add writes, not one member state */
};

/* Nearest-rank percentile P (0..100] of the N sorted values V, in milliseconds. */
static double percentile_ms(const uint64_t *v, uint64_t n, double p)
{
	if (n == 0)
		return 0;
	uint64_t rank = (uint64_t)((p / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1] / 1e6;
}

/* ---------------------------------------------------------------------------------------------- */
/* socket: member.add through liudongd                                                           */

struct client {
	pthread_t thread;
	const struct opts *o;
	pthread_barrier_t *start;
	int fd;
	uint64_t first;	  /* index of the first member */
	uint64_t stride;  /* between the indices of successive members */
	uint64_t count;	  /* members to add */
	uint64_t *lat_ns; /* COUNT latencies */
	uint64_t done;
	uint64_t failures;
};

static atomic_bool stop_all;

/* Send one member.add for member INDEX on C's connection. Returns 0, or -errno / failure. */
static int client_add(struct client *c, uint64_t index, uint64_t *lat)
{
	const struct opts *o = c->o;
	struct bench_member m;
	int rc = bench_member_make(index, o->sex, &m);
	if (rc) {
		fprintf(stderr, "bench_add: member %" PRIu64 " is too far on for valid dates\n",
			index);
		return rc;
	}
	char name[32], sex[2] = {m.sex, 0}, birth[LD_DATE_LEN], joined[LD_DATE_LEN];
	snprintf(name, sizeof(name), "测试党员%08" PRIu64, index);
	date_format(m.birth, birth);
	date_format(m.joined, joined);
	const char *kv[N_PARAMS][2] = {
	    {"id", m.id},	   {"name", name},
	    {"sex", sex},	   {"birth", birth},
	    {"joined", joined},	   {"kind", "full"},
	    {"branch", o->branch}, {"dues-category", "salaried"},
	    {"income", "6500.00"}, {"phone", "13800138000"},
	};
	Ld__Param params[N_PARAMS];
	Ld__Param *pp[N_PARAMS];
	for (int i = 0; i < N_PARAMS; i++) {
		ld__param__init(&params[i]);
		params[i].key = (char *)kv[i][0];
		params[i].value = (char *)kv[i][1];
		pp[i] = &params[i];
	}
	Ld__Request req = LD__REQUEST__INIT;
	req.version = 1;
	req.command = "member.add";
	req.operator_ = "bench";
	req.n_params = N_PARAMS;
	req.params = pp;

	Ld__Response *resp;
	uint64_t t0 = bench_now_ns();
	rc = conn_call(c->fd, &req, &resp);
	*lat = bench_now_ns() - t0;
	if (rc) {
		fprintf(stderr, "bench_add: member.add %s: connection failed: %s\n", m.id,
			lderr_str(rc));
		return rc;
	}
	if (resp->status != 0) {
		fprintf(stderr, "bench_add: member.add %s: status %d: %s\n", m.id, resp->status,
			resp->error ? resp->error : "");
		rc = -EPROTO;
	}
	ld__response__free_unpacked(resp, NULL);
	return rc;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	pthread_barrier_wait(c->start);
	for (uint64_t i = 0; i < c->count && !atomic_load(&stop_all); i++) {
		if (client_add(c, c->first + i * c->stride, &c->lat_ns[i]) != 0) {
			c->failures++;
			atomic_store(&stop_all, true);
			break;
		}
		c->done++;
	}
	return NULL;
}

static int run_socket(const struct opts *o)
{
	unsigned long n = o->clients;
	struct client *cl = calloc(n, sizeof(*cl));
	uint64_t *lat = malloc((o->count ? o->count : 1) * sizeof(*lat));
	pthread_barrier_t start;
	int rc = 0;
	unsigned long opened = 0;
	if (!cl || !lat) {
		fprintf(stderr, "bench_add: out of memory\n");
		free(cl);
		free(lat);
		return 1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);

	uint64_t next = 0;
	for (unsigned long t = 0; t < n; t++) {
		cl[t].o = o;
		cl[t].start = &start;
		cl[t].count = o->count / n + (t < o->count % n);
		cl[t].first = o->id_offset + (o->interleave ? t : next);
		cl[t].stride = o->interleave ? n : 1;
		cl[t].lat_ns = lat + next;
		next += cl[t].count;
		cl[t].fd = conn_open(o->socket);
		if (cl[t].fd < 0) {
			fprintf(stderr, "bench_add: cannot connect to %s: %s\n", o->socket,
				strerror(-cl[t].fd));
			rc = 1;
			break;
		}
		opened++;
	}
	if (rc) {
		for (unsigned long t = 0; t < opened; t++)
			close(cl[t].fd);
		pthread_barrier_destroy(&start);
		free(cl);
		free(lat);
		return rc;
	}
	for (unsigned long t = 0; t < n; t++) {
		int err = pthread_create(&cl[t].thread, NULL, client_main, &cl[t]);
		if (err) {
			fprintf(stderr, "bench_add: cannot start a client thread: %s\n",
				strerror(err));
			exit(1); /* the barrier cannot be released cleanly; nothing to save */
		}
	}
	pthread_barrier_wait(&start);
	double t0 = bench_mono_s();
	uint64_t done = 0, failures = 0;
	for (unsigned long t = 0; t < n; t++) {
		pthread_join(cl[t].thread, NULL);
		close(cl[t].fd);
	}
	double secs = bench_mono_s() - t0;
	/* Gather the latencies of requests that succeeded, contiguous from each client's slice. */
	for (unsigned long t = 0; t < n; t++) {
		memmove(lat + done, cl[t].lat_ns, cl[t].done * sizeof(*lat));
		done += cl[t].done;
		failures += cl[t].failures;
	}
	qsort(lat, done, sizeof(*lat), bench_cmp_u64);
	double rate = secs > 0 ? (double)done / secs : 0;
	double p50 = percentile_ms(lat, done, 50), p99 = percentile_ms(lat, done, 99);
	double max = done ? (double)lat[done - 1] / 1e6 : 0;
	if (o->json)
		printf("{\"bench\":\"member_add_socket\",\"clients\":%lu,\"count\":%" PRIu64
		       ",\"done\":%" PRIu64 ",\"failures\":%" PRIu64 ",\"seconds\":%.3f,"
		       "\"adds_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
		       n, o->count, done, failures, secs, rate, p50, p99, max);
	else
		printf("socket  clients %-3lu adds %-7" PRIu64 " failures %" PRIu64 "  %7.2f s  "
		       "%9.1f adds/s  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
		       n, done, failures, secs, rate, p50, p99, max);
	pthread_barrier_destroy(&start);
	free(cl);
	free(lat);
	return failures || done != o->count ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* raw: the store alone                                                                           */

/* The strings a member's info points to. */
struct info_text {
	char name[32];
	char sex[2];
};

/* The info of the INDEX-th member M, as `member add` would record it; strings live in TEXT. */
static void member_info(const struct bench_member *m, uint64_t index, struct info_text *text,
			Ld__MemberInfo *info)
{
	snprintf(text->name, sizeof(text->name), "测试党员%08" PRIu64, index);
	text->sex[0] = m->sex;
	text->sex[1] = '\0';
	ld__member_info__init(info);
	info->id = (char *)m->id;
	info->name = text->name;
	info->sex = text->sex;
	info->birth = m->birth;
	info->joined = m->joined;
	info->kind = "full";
	info->branch = "bench";
	info->dues_category = "salaried";
	info->income_fen = 650000;
	info->monthly_dues_fen = 9750;
	info->phone = "13800138000";
	info->set_dues_fen = -1;
}

/*
 * Pack a realistic member state for M into BUF (CAP bytes): an away member with his outflow
 * registration, as the members table holds it. Returns the packed length, or 0 if CAP is short.
 */
static size_t member_pack(const struct bench_member *m, uint64_t index, uint8_t *buf, size_t cap)
{
	uint8_t site_b[32];
	for (int i = 0; i < 32; i++)
		site_b[i] = (uint8_t)(0x50 + i);
	struct info_text text;
	Ld__MemberInfo info;
	member_info(m, index, &text, &info);
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	of.reason = "work";
	of.inflow_site.data = site_b;
	of.inflow_site.len = sizeof(site_b);
	of.inflow_name = "南山区委组织部";
	of.place = "广东省深圳市南山区科技园";
	of.fixed_place = true;
	of.from = m->joined + 3000;
	of.until = INT32_MIN;
	of.employer = "某某科技公司";
	of.outflow_name = "东城区委组织部";
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	st.info = &info;
	member_set_location(&st, LOC_AWAY);
	st.outflow = &of;
	st.first_seq = index * 2 + 1;
	st.last_seq = index * 2 + 2;
	size_t len = ld__member_state__get_packed_size(&st);
	if (len > cap)
		return 0;
	return ld__member_state__pack(&st, buf);
}

/*
 * Everything the daemon writes for one `member add`, through the same code: the member.registered
 * event (log entry, origins row, head, member state) and the audit row. SITE is the store's site.
 */
static int raw_whole_add(struct store_txn *txn, const uint8_t *site, const struct bench_member *m,
			 uint64_t index, size_t *bytes)
{
	struct info_text text;
	Ld__MemberInfo info;
	member_info(m, index, &text, &info);
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__MEMBER_REGISTERED;
	ev.date = m->joined + 3000;
	ev.member = (char *)m->id;
	ev.operator_ = "bench";
	ev.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	ev.member_info = &info;
	*bytes = ld__event__get_packed_size(&ev);
	int rc = eventlog_commit_local(txn, site, &ev, NULL);
	return rc ? rc : audit_append(txn, "bench", 0, "member.add", m->id, NULL);
}

/* Write records [FIRST, FIRST + N) in one transaction. Returns 0 or -errno. */
static int raw_batch(struct store *s, const struct opts *o, uint64_t first, uint64_t n,
		     size_t *bytes)
{
	static const uint8_t site[32] = {0x11, 0x22};
	struct store_txn *txn;
	uint8_t buf[1024];
	int rc = store_begin(s, true, &txn);
	if (rc)
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		struct bench_member m;
		uint64_t index = o->id_offset + first + i;
		if ((rc = bench_member_make(index, 0, &m))) {
			store_abort(txn);
			return rc;
		}
		if (o->whole_add) {
			rc = raw_whole_add(txn, site, &m, index, bytes);
		} else {
			size_t len = member_pack(&m, index, buf, sizeof(buf));
			*bytes = len;
			rc = len ? store_put(txn, TBL_MEMBERS, m.id, IDNO_LEN, buf, len, 0)
				 : -EOVERFLOW;
		}
		if (rc) {
			store_abort(txn);
			return rc;
		}
	}
	return store_commit(txn);
}

static int run_raw(const struct opts *o)
{
	char path[4096];
	struct stat sb;
	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_add: cannot create %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/data.mdb", o->dir);
	if (stat(path, &sb) == 0) {
		fprintf(stderr, "bench_add: %s holds a store already; give an empty directory\n",
			o->dir);
		return 1;
	}
	struct store *s;
	int rc = store_open(o->dir, 0, 0, &s);
	if (rc) {
		fprintf(stderr, "bench_add: cannot open a store in %s: %s\n", o->dir,
			lderr_str(rc));
		return 1;
	}
	static const uint8_t site[32] = {0x11, 0x22};
	if (o->whole_add && (rc = meta_init(s, site)) != 0) {
		fprintf(stderr, "bench_add: cannot initialize the store: %s\n", lderr_str(rc));
		store_close(s);
		return 1;
	}
	uint64_t commits = 0;
	size_t bytes = 0;
	double t0 = bench_mono_s();
	for (uint64_t first = 0; first < o->count;) {
		uint64_t n = o->count - first < o->per_commit ? o->count - first : o->per_commit;
		rc = raw_batch(s, o, first, n, &bytes);
		if (rc == LD_EMAPFULL) {
			/* The batch vanished with its transaction: grow the map, write it again. */
			if ((rc = store_grow(s)) == 0)
				continue;
		}
		if (rc) {
			fprintf(stderr, "bench_add: writing records %" PRIu64 "..%" PRIu64 ": %s\n",
				first, first + n - 1, lderr_str(rc));
			store_close(s);
			return 1;
		}
		first += n;
		commits++;
	}
	double secs = bench_mono_s() - t0;
	size_t map = store_map_size(s);
	store_close(s);
	double rate = secs > 0 ? (double)o->count / secs : 0;
	double crate = secs > 0 ? (double)commits / secs : 0;
	if (o->json)
		printf("{\"bench\":\"member_add_raw\",\"record\":\"%s\",\"per_commit\":%" PRIu64
		       ",\"count\":%" PRIu64 ",\"commits\":%" PRIu64
		       ",\"record_bytes\":%zu,\"map_bytes\":%zu,"
		       "\"seconds\":%.3f,\"records_per_s\":%.1f,\"commits_per_s\":%.1f}\n",
		       o->whole_add ? "whole-add" : "member-state", o->per_commit, o->count,
		       commits, bytes, map, secs, rate, crate);
	else
		printf("raw %-5s per-commit %-5" PRIu64 " records %-7" PRIu64 " commits %-7" PRIu64
		       " record %zu B  %7.2f s  %10.1f records/s  %8.1f commits/s\n",
		       o->whole_add ? "add" : "state", o->per_commit, o->count, commits, bytes,
		       secs, rate, crate);
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */

static const char usage[] =
    "usage: bench_add socket --socket PATH --clients N --count M [--id-offset K]\n"
    "                        [--sex M|F|mix] [--branch CODE] [--interleave] [--json]\n"
    "       bench_add raw --dir DIR --count M --per-commit K [--whole-add] [--id-offset K] "
    "[--json]\n"
    "  raw writes one member state per record, or with --whole-add everything a member add\n"
    "  writes (event, log entry, origins, head, member state, audit row), through the same code.\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"clients", required_argument, NULL, 'n'},
	    {"count", required_argument, NULL, 'm'},
	    {"per-commit", required_argument, NULL, 'k'},
	    {"dir", required_argument, NULL, 'd'},
	    {"id-offset", required_argument, NULL, 'o'},
	    {"sex", required_argument, NULL, 'x'},
	    {"branch", required_argument, NULL, 'b'},
	    {"json", no_argument, NULL, 'j'},
	    {"interleave", no_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {"whole-add", no_argument, NULL, 'w'},
	    {0},
	};
	struct opts o = {.branch = "bench", .clients = 1, .per_commit = 1};
	uint64_t v;
	int c;
	if (argc < 2 || (strcmp(argv[1], "socket") != 0 && strcmp(argv[1], "raw") != 0)) {
		bool help = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
		fputs(usage, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'n':
			if (bench_parse_u64("bench_add", "clients", optarg, 1, &v))
				return 2;
			if (v > 1024) {
				fprintf(stderr, "bench_add: --clients is 1 to 1024\n");
				return 2;
			}
			o.clients = (unsigned long)v;
			break;
		case 'm':
			if (bench_parse_u64("bench_add", "count", optarg, 1, &o.count))
				return 2;
			break;
		case 'k':
			if (bench_parse_u64("bench_add", "per-commit", optarg, 1, &o.per_commit))
				return 2;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'o':
			if (bench_parse_u64("bench_add", "id-offset", optarg, 0, &o.id_offset))
				return 2;
			break;
		case 'w':
			o.whole_add = true;
			break;
		case 'x':
			if (strcmp(optarg, "M") == 0 || strcmp(optarg, "F") == 0) {
				o.sex = optarg[0];
			} else if (strcmp(optarg, "mix") == 0) {
				o.sex = 0;
			} else {
				fprintf(stderr, "bench_add: --sex is M, F or mix\n");
				return 2;
			}
			break;
		case 'b':
			o.branch = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'i':
			o.interleave = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bench_add: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	if (!o.count) {
		fprintf(stderr, "bench_add: --count is required\n%s", usage);
		return 2;
	}
	/* The last member must still have valid dates. */
	struct bench_member last;
	if (bench_member_make(o.id_offset + o.count - 1, strcmp(o.mode, "raw") ? o.sex : 0,
			      &last)) {
		fprintf(stderr, "bench_add: --id-offset + --count is too large for valid birth and "
				"joining dates\n");
		return 2;
	}
	if (strcmp(o.mode, "socket") == 0) {
		if (!o.socket) {
			fprintf(stderr, "bench_add: socket mode needs --socket PATH\n%s", usage);
			return 2;
		}
		return run_socket(&o);
	}
	if (!o.dir) {
		fprintf(stderr, "bench_add: raw mode needs --dir DIR\n%s", usage);
		return 2;
	}
	return run_raw(&o);
}
