/*
 * hostile_client.c: a client that misbehaves on a daemon's control socket or peer port, for the
 * integration tests (hostile_clients.sh).
 *
 *   hostile_client (--unix PATH | --tcp HOST:PORT) --idle N [--hold SECONDS]
 *   hostile_client (--unix PATH | --tcp HOST:PORT) (--send HEX | --random N) [--half-close]
 *                  [--timeout SECONDS]
 *
 * --idle opens N connections and sends nothing on them. It raises its own soft limit of open files
 * to the hard limit first. Once all are open it prints "open N in MS ms" (or "open K of N: WHY" if
 * it could not open them all); it then holds them for SECONDS (default 30), reading and throwing
 * away whatever arrives, and prints "closed-by-target K of N shortest=MS longest=MS": how many the
 * target closed, and how long the shortest- and longest-lived of those had been open (milliseconds
 * from the connect's return; -1 if none).
 *
 * --send writes the bytes given in hex (--random: N bytes from /dev/urandom) on one connection,
 * then with --half-close shuts down its side for writing, and reads until the target closes. It
 * prints "reply status=S error=E" for each whole Response frame it got (proto/ctl.proto), "reply
 * undecodable N" for a frame that does not decode, and last "end eof MS", "end reset MS" or "end
 * timeout MS" (after SECONDS, default 5, of silence), milliseconds after the bytes were sent.
 * Exit 0 once it has printed its end line, 1 if it could not connect, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.pb-c.h"
#include "frame.h"
#include "lderr.h"
#include "rawnet.h"

struct opts {
	const char *unix_path, *tcp;
	long idle, random_len, hold_s, timeout_s;
	const char *hex;
	bool half_close;
};

/* One connection to the target: a file descriptor, or a negative code. */
static int dial(const struct opts *o)
{
	return o->unix_path ? rawnet_dial_unix(o->unix_path) : rawnet_dial_tcp(o->tcp);
}

static int idle(const struct opts *o)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct pollfd *p = calloc((size_t)o->idle, sizeof(*p));
	int64_t *opened_at = calloc((size_t)o->idle, sizeof(*opened_at));
	if (!p || !opened_at)
		return 1;
	long n = 0;
	int why = 0;
	int64_t t0 = rawnet_mono_ms();
	for (; n < o->idle; n++) {
		int fd = dial(o);
		if (fd < 0) {
			why = -fd;
			break;
		}
		p[n].fd = fd;
		p[n].events = POLLIN;
		opened_at[n] = rawnet_mono_ms();
	}
	if (n < o->idle)
		printf("open %ld of %ld: %s\n", n, o->idle, strerror(why));
	else
		printf("open %ld in %lld ms\n", n, (long long)(rawnet_mono_ms() - t0));
	fflush(stdout);
	int64_t end = rawnet_mono_ms() + o->hold_s * 1000, first = -1, last = -1;
	long closed = 0;
	for (int64_t now = t0; now < end; now = rawnet_mono_ms()) {
		int r = poll(p, (nfds_t)n, (int)(end - now));
		if (r <= 0)
			continue;
		for (long i = 0; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			char buf[4096];
			ssize_t got = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (got > 0 || (got < 0 && errno == EAGAIN))
				continue;
			close(p[i].fd);
			p[i].fd = -1;
			int64_t lived = rawnet_mono_ms() - opened_at[i];
			if (first < 0 || lived < first)
				first = lived;
			if (lived > last)
				last = lived;
			closed++;
		}
	}
	printf("closed-by-target %ld of %ld shortest=%lld longest=%lld\n", closed, n,
	       (long long)first, (long long)last);
	for (long i = 0; i < n; i++) {
		if (p[i].fd >= 0)
			close(p[i].fd);
	}
	free(p);
	free(opened_at);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Print each whole Response frame at the front of BUF; keep the rest. */
static void print_replies(uint8_t *buf, size_t *len)
{
	const uint8_t *body;
	size_t body_len;
	while (frame_peek(buf, *len, LD_CTL_FRAME_MAX, &body, &body_len) == 0) {
		Ld__Response *r = ld__response__unpack(NULL, body_len, body);
		if (r) {
			printf("reply status=%d error=%s\n", r->status, r->error ? r->error : "");
			ld__response__free_unpacked(r, NULL);
		} else {
			printf("reply undecodable %zu\n", body_len);
		}
		size_t used = LD_FRAME_HEADER + body_len;
		memmove(buf, buf + used, *len - used);
		*len -= used;
	}
}

static int send_bytes(const struct opts *o)
{
	size_t n = o->hex ? strlen(o->hex) / 2 : (size_t)o->random_len;
	uint8_t *out = malloc(n ? n : 1);
	if (!out)
		return 1;
	if (o->hex) {
		for (size_t i = 0; i < n; i++) {
			int hi = hexval(o->hex[2 * i]), lo = hexval(o->hex[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				fprintf(stderr, "hostile_client: --send wants hex digits\n");
				return 2;
			}
			out[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		int ur = open("/dev/urandom", O_RDONLY);
		if (ur < 0 || read(ur, out, n) != (ssize_t)n)
			return 1;
		close(ur);
	}
	int fd = dial(o);
	if (fd < 0) {
		fprintf(stderr, "hostile_client: cannot connect: %s\n", lderr_str(fd));
		return 1;
	}
	size_t sent;
	int rc = rawnet_send_all(fd, out, n, &sent);
	if (rc)
		printf("send failed after %zu bytes: %s\n", sent, lderr_str(rc));
	free(out);
	if (o->half_close)
		shutdown(fd, SHUT_WR);
	int64_t t0 = rawnet_mono_ms();
	static uint8_t in[1 << 20];
	size_t in_len = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)(o->timeout_s * 1000));
		if (r == 0) {
			printf("end timeout %lld\n", (long long)(rawnet_mono_ms() - t0));
			break;
		}
		ssize_t got = recv(fd, in + in_len, sizeof(in) - in_len, 0);
		if (got > 0) {
			in_len += (size_t)got;
			print_replies(in, &in_len);
			if (in_len == sizeof(in))
				in_len = 0; /* a reply over 1 MiB: not what these tests send */
			continue;
		}
		printf("end %s %lld\n", got == 0 ? "eof" : "reset",
		       (long long)(rawnet_mono_ms() - t0));
		break;
	}
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: hostile_client (--unix PATH | --tcp HOST:PORT) --idle N "
		"[--hold SECONDS]\n"
		"       hostile_client (--unix PATH | --tcp HOST:PORT) (--send HEX | --random "
		"N) [--half-close] [--timeout SECONDS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = {.hold_s = 30, .timeout_s = 5};
	static const struct option longopts[] = {
	    {"unix", 1, NULL, 'u'},	  {"tcp", 1, NULL, 't'},     {"idle", 1, NULL, 'i'},
	    {"hold", 1, NULL, 'h'},	  {"send", 1, NULL, 's'},    {"random", 1, NULL, 'r'},
	    {"half-close", 0, NULL, 'c'}, {"timeout", 1, NULL, 'T'}, {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o.unix_path = optarg;
			break;
		case 't':
			o.tcp = optarg;
			break;
		case 'i':
			o.idle = atol(optarg);
			break;
		case 'h':
			o.hold_s = atol(optarg);
			break;
		case 's':
			o.hex = optarg;
			break;
		case 'r':
			o.random_len = atol(optarg);
			break;
		case 'c':
			o.half_close = true;
			break;
		case 'T':
			o.timeout_s = atol(optarg);
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || !o.unix_path == !o.tcp || o.hold_s < 0 || o.timeout_s <= 0)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.idle > 0 && !o.hex && !o.random_len)
		return idle(&o);
	if (!o.idle && (!o.hex != !o.random_len) && (!o.hex || strlen(o.hex) % 2 == 0))
		return send_bytes(&o);
	return usage();
}
