/*
 * faultproxy.c: a TCP proxy on 127.0.0.1 that injects faults on command (the chaos test).
 *
 *   faultproxy --listen 127.0.0.1:PORT --to 127.0.0.1:PORT --control PATH [--seed N]
 *   faultproxy --control PATH --send COMMAND     send one command, print the answer line
 *
 * Every connection accepted on --listen is joined to a new connection to --to. Bytes are read in
 * chunks (one read() of up to 16 KiB) and each chunk passes the faults in force when it is read:
 *
 *   drop P          discard the chunk with probability P. TCP cannot lose bytes and go on, so the
 *                   connection is then cut: both sides closed at once, the chunk never sent.
 *   delay MS        hold every chunk MS milliseconds (0..600000) before forwarding it.
 *   cut P           with probability P forward only a random prefix of the chunk (maybe none of
 *                   it), then close both sides: a connection cut mid-frame.
 *   corrupt P       with probability P flip one random byte of the chunk (xor with 1..255).
 *   partition on    close every connection, and close each new one as soon as it is accepted.
 *   partition off   accept again.
 *   clear           drop 0, delay 0, cut 0, corrupt 0, partition off.
 *   stats           one line of counters and the faults in force.
 *
 * P is a probability from 0 to 1. The control path is a unix stream socket (created at start; an
 * existing socket file there is replaced, anything else is refused): one command per line, one
 * answer line per command, "ok ..." or "error ...". Randomness comes from --seed (default: the
 * time and the pid), printed at start; the faults a seed draws are the same, where they land
 * depends on timing.
 *
 * One thread, poll(). Whatever a side sends or does, the proxy does not stop: a failing socket
 * closes its connection and nothing else. SIGTERM or SIGINT stops it (exit 0) and removes the
 * control socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS    128
#define MAX_CTL	     8
#define CHUNK	     16384
#define QUEUE_MAX    (256 * 1024) /* stop reading a side while this much waits for the other */
#define CTL_LINE_MAX 512

/* Bytes read from one side, waiting to be written to the other. */
struct chunk {
	struct chunk *next;
	int64_t due_ms;
	size_t len, off;
	bool last; /* the pair is closed once this chunk is written (cut) */
	unsigned char data[];
};

/* A proxied connection: fd[0] the accepted side, fd[1] the side we dialed. Direction s carries
 * what fd[s] sends to fd[1 - s]. */
struct pair {
	bool used, connecting, cutting;
	int fd[2];
	struct chunk *head[2], *tail[2];
	size_t queued[2];
	bool eof[2];  /* fd[s] has sent everything it will */
	bool shut[2]; /* fd[1 - s] was told so (shutdown SHUT_WR) */
	bool gone[2]; /* fd[s] is shut both ways: no longer polled */
};

struct ctl_client {
	int fd;
	size_t len;
	char buf[CTL_LINE_MAX];
};

struct faults {
	double drop, cut, corrupt;
	int delay_ms;
	bool partition;
};

struct counters {
	unsigned long accepted, refused, connect_failed, chunks, dropped, cut, corrupted, delayed;
	unsigned long long bytes;
};

static struct pair pairs[MAX_PAIRS];
static struct ctl_client ctls[MAX_CTL];
static struct faults faults;
static struct counters stats;
static struct sockaddr_in target;
static uint64_t rng_state;
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: small, and good enough to decide faults. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double rnd01(void)
{
	return (double)(rnd() >> 11) * 0x1.0p-53;
}

static bool chance(double p)
{
	return p > 0 && rnd01() < p;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* parse_addr TEXT SA: "127.0.0.1:PORT" (any dotted IPv4 address) into SA. 0 or -EINVAL. */
static int parse_addr(const char *text, struct sockaddr_in *sa)
{
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text || (size_t)(colon - text) >= INET_ADDRSTRLEN)
		return -EINVAL;
	char host[INET_ADDRSTRLEN];
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Pairs */

static void pair_close(struct pair *p)
{
	for (int s = 0; s < 2; s++) {
		if (p->fd[s] >= 0)
			close(p->fd[s]);
		struct chunk *c = p->head[s];
		while (c) {
			struct chunk *next = c->next;
			free(c);
			c = next;
		}
	}
	memset(p, 0, sizeof(*p));
	p->fd[0] = p->fd[1] = -1;
}

static void close_all_pairs(void)
{
	for (int i = 0; i < MAX_PAIRS; i++) {
		if (pairs[i].used)
			pair_close(&pairs[i]);
	}
}

static void accept_one(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return;
	struct pair *p = NULL;
	for (int i = 0; i < MAX_PAIRS && !faults.partition; i++) {
		if (!pairs[i].used) {
			p = &pairs[i];
			break;
		}
	}
	if (!p || set_nonblock(fd) != 0) {
		stats.refused++;
		close(fd);
		return;
	}
	int up = socket(AF_INET, SOCK_STREAM, 0);
	if (up < 0 || set_nonblock(up) != 0) {
		stats.connect_failed++;
		if (up >= 0)
			close(up);
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bool connecting = false;
	if (connect(up, (struct sockaddr *)&target, sizeof(target)) != 0) {
		if (errno != EINPROGRESS) {
			stats.connect_failed++;
			close(up);
			close(fd);
			return;
		}
		connecting = true;
	}
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->connecting = connecting;
	p->fd[0] = fd;
	p->fd[1] = up;
	stats.accepted++;
}

/* Once direction s has nothing left to write and fd[s] sent EOF, pass the EOF on; once both
 * directions are done, close. Returns true if the pair was closed. */
static bool pair_settle(struct pair *p)
{
	for (int s = 0; s < 2; s++) {
		if (p->eof[s] && !p->head[s] && !p->shut[s] && !p->connecting) {
			shutdown(p->fd[1 - s], SHUT_WR);
			p->shut[s] = true;
		}
	}
	if (p->shut[0] && p->shut[1]) {
		pair_close(p);
		return true;
	}
	return false;
}

/* Read one chunk from fd[s], pass it through the faults, queue it for fd[1 - s]. */
static void pair_read(struct pair *p, int s)
{
	unsigned char buf[CHUNK];
	ssize_t n = read(p->fd[s], buf, sizeof(buf));
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			pair_close(p);
		return;
	}
	if (n == 0) {
		p->eof[s] = true;
		pair_settle(p);
		return;
	}
	stats.chunks++;
	stats.bytes += (unsigned long long)n;
	if (chance(faults.drop)) {
		stats.dropped++;
		pair_close(p);
		return;
	}
	if (chance(faults.corrupt)) {
		stats.corrupted++;
		buf[rnd() % (uint64_t)n] ^= (unsigned char)(1 + rnd() % 255);
	}
	bool last = false;
	if (chance(faults.cut)) {
		stats.cut++;
		n = (ssize_t)(rnd() % (uint64_t)n);
		last = true;
		p->cutting = true;
		if (n == 0) {
			/* Nothing of it goes through; what was queued before still does. */
			if (!p->head[1 - s] && !p->head[s]) {
				pair_close(p);
				return;
			}
		}
	}
	struct chunk *c = malloc(sizeof(*c) + (size_t)n);
	if (!c) {
		pair_close(p);
		return;
	}
	c->next = NULL;
	c->len = (size_t)n;
	c->off = 0;
	c->last = last;
	c->due_ms = now_ms() + faults.delay_ms;
	if (faults.delay_ms > 0)
		stats.delayed++;
	memcpy(c->data, buf, (size_t)n);
	if (p->tail[s])
		p->tail[s]->next = c;
	else
		p->head[s] = c;
	p->tail[s] = c;
	p->queued[s] += (size_t)n;
}

/* Write what is due of direction s to fd[1 - s]. */
static void pair_write(struct pair *p, int s, int64_t now)
{
	while (p->head[s] && p->head[s]->due_ms <= now) {
		struct chunk *c = p->head[s];
		if (c->off < c->len) {
			ssize_t n = write(p->fd[1 - s], c->data + c->off, c->len - c->off);
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
					pair_close(p);
				return;
			}
			c->off += (size_t)n;
			p->queued[s] -= (size_t)n;
			if (c->off < c->len)
				return;
		}
		bool last = c->last;
		p->head[s] = c->next;
		if (!p->head[s])
			p->tail[s] = NULL;
		free(c);
		if (last) {
			pair_close(p);
			return;
		}
	}
	pair_settle(p);
}

/* fd[s] hung up after its EOF: nothing more can be written to it. Deliver what it sent, then
 * close; until then it is not polled (its POLLHUP would wake every poll). */
static void pair_gone(struct pair *p, int s)
{
	if (!p->head[s]) {
		pair_close(p);
		return;
	}
	p->tail[s]->last = true;
	p->cutting = true;
	p->gone[s] = true;
}

static void pair_connected(struct pair *p)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(p->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		stats.connect_failed++;
		pair_close(p);
		return;
	}
	p->connecting = false;
}

/* ------------------------------------------------------------------------------------------ */
/* The control socket */

static int parse_prob(const char *text, double *out)
{
	char *end;
	if (!text)
		return -EINVAL;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(v) || v < 0 || v > 1)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Carry out one command line; the answer (without newline) goes into ANS. */
static void ctl_command(char *line, char *ans, size_t cap)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \t\r", &save);
	char *arg = cmd ? strtok_r(NULL, " \t\r", &save) : NULL;
	char *extra = arg ? strtok_r(NULL, " \t\r", &save) : NULL;
	double p;
	if (!cmd) {
		snprintf(ans, cap, "error empty command");
	} else if (extra) {
		snprintf(ans, cap, "error too many arguments");
	} else if (!strcmp(cmd, "drop") || !strcmp(cmd, "cut") || !strcmp(cmd, "corrupt")) {
		if (parse_prob(arg, &p) != 0) {
			snprintf(ans, cap, "error %s takes a probability from 0 to 1", cmd);
			return;
		}
		if (!strcmp(cmd, "drop"))
			faults.drop = p;
		else if (!strcmp(cmd, "cut"))
			faults.cut = p;
		else
			faults.corrupt = p;
		snprintf(ans, cap, "ok %s %g", cmd, p);
	} else if (!strcmp(cmd, "delay")) {
		char *end;
		errno = 0;
		long ms = arg ? strtol(arg, &end, 10) : -1;
		if (!arg || errno || end == arg || *end || ms < 0 || ms > 600000) {
			snprintf(ans, cap, "error delay takes milliseconds from 0 to 600000");
			return;
		}
		faults.delay_ms = (int)ms;
		snprintf(ans, cap, "ok delay %ld", ms);
	} else if (!strcmp(cmd, "partition")) {
		if (arg && !strcmp(arg, "on")) {
			faults.partition = true;
			close_all_pairs();
		} else if (arg && !strcmp(arg, "off")) {
			faults.partition = false;
		} else {
			snprintf(ans, cap, "error partition takes on or off");
			return;
		}
		snprintf(ans, cap, "ok partition %s", arg);
	} else if (!strcmp(cmd, "clear") && !arg) {
		memset(&faults, 0, sizeof(faults));
		snprintf(ans, cap, "ok clear");
	} else if (!strcmp(cmd, "stats") && !arg) {
		int open = 0;
		for (int i = 0; i < MAX_PAIRS; i++)
			open += pairs[i].used;
		snprintf(
		    ans, cap,
		    "ok accepted=%lu refused=%lu connect_failed=%lu open=%d chunks=%lu bytes=%llu "
		    "dropped=%lu cut=%lu corrupted=%lu delayed=%lu | drop=%g delay=%d cut=%g "
		    "corrupt=%g partition=%s",
		    stats.accepted, stats.refused, stats.connect_failed, open, stats.chunks,
		    stats.bytes, stats.dropped, stats.cut, stats.corrupted, stats.delayed,
		    faults.drop, faults.delay_ms, faults.cut, faults.corrupt,
		    faults.partition ? "on" : "off");
	} else {
		snprintf(
		    ans, cap,
		    "error unknown command (drop P, delay MS, cut P, corrupt P, partition on|off, "
		    "clear, stats)");
	}
}

static void ctl_close(struct ctl_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void ctl_reply(struct ctl_client *c, const char *ans)
{
	char out[CTL_LINE_MAX + 2];
	int n = snprintf(out, sizeof(out), "%s\n", ans);
	if (n > 0 && write(c->fd, out, (size_t)n) != n) {
		/* A client that does not read its answers loses them. */
	}
}

static void ctl_read(struct ctl_client *c)
{
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		ctl_close(c);
		return;
	}
	c->len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		*nl = '\0';
		char ans[CTL_LINE_MAX];
		ctl_command(c->buf, ans, sizeof(ans));
		ctl_reply(c, ans);
		size_t used = (size_t)(nl - c->buf) + 1;
		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof(c->buf)) {
		ctl_reply(c, "error line too long");
		ctl_close(c);
	}
}

static void ctl_accept(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CTL; i++) {
		if (ctls[i].fd < 0 && set_nonblock(fd) == 0) {
			ctls[i].fd = fd;
			ctls[i].len = 0;
			return;
		}
	}
	close(fd);
}

static int ctl_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "faultproxy: control path %s is too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "faultproxy: %s exists and is not a socket\n", path);
			return -1;
		}
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0 ||
	    set_nonblock(fd) != 0) {
		fprintf(stderr, "faultproxy: control socket %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* --send: one command, its answer on stdout; exit 0 if the answer is "ok ...". */
static int ctl_send(const char *path, const char *cmd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path) || strchr(cmd, '\n')) {
		fprintf(stderr, "faultproxy: bad control path or command\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct timeval tv = {.tv_sec = 5};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "faultproxy: cannot reach %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	char line[CTL_LINE_MAX];
	int n = snprintf(line, sizeof(line), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line) || write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "faultproxy: cannot send the command\n");
		close(fd);
		return 1;
	}
	size_t len = 0;
	ssize_t r;
	while (len < sizeof(line) - 1 && (r = read(fd, line + len, sizeof(line) - 1 - len)) > 0) {
		len += (size_t)r;
		if (memchr(line, '\n', len))
			break;
	}
	close(fd);
	line[len] = '\0';
	fputs(line, stdout);
	return strncmp(line, "ok", 2) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------------------------ */

static int usage(void)
{
	fprintf(stderr,
		"usage: faultproxy --listen 127.0.0.1:PORT --to 127.0.0.1:PORT --control PATH "
		"[--seed N]\n       faultproxy --control PATH --send COMMAND\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *listen_at = NULL, *to = NULL, *control = NULL, *send = NULL;
	unsigned long long seed =
	    (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	for (int i = 1; i < argc; i += 2) { /* options come as NAME VALUE pairs */
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		if (!strcmp(argv[i], "--listen"))
			listen_at = v;
		else if (!strcmp(argv[i], "--to"))
			to = v;
		else if (!strcmp(argv[i], "--control"))
			control = v;
		else if (!strcmp(argv[i], "--send"))
			send = v;
		else if (!strcmp(argv[i], "--seed")) {
			char *end;
			errno = 0;
			seed = strtoull(v, &end, 10);
			if (errno || end == v || *end)
				return usage();
		} else
			return usage();
	}
	if (control && send)
		return ctl_send(control, send);
	struct sockaddr_in lsa;
	if (!listen_at || !to || !control || parse_addr(listen_at, &lsa) != 0 ||
	    parse_addr(to, &target) != 0)
		return usage();
	rng_state = seed;

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&lsa, sizeof(lsa)) != 0 || listen(lfd, 64) != 0 ||
	    set_nonblock(lfd) != 0) {
		fprintf(stderr, "faultproxy: cannot listen on %s: %s\n", listen_at,
			strerror(errno));
		return 1;
	}
	int cfd = ctl_listen(control);
	if (cfd < 0)
		return 1;
	for (int i = 0; i < MAX_PAIRS; i++)
		pair_close(&pairs[i]);
	for (int i = 0; i < MAX_CTL; i++)
		ctls[i].fd = -1;
	fprintf(stderr, "faultproxy: %s -> %s, control %s, seed %llu\n", listen_at, to, control,
		seed);

	/* Poll set: the two listeners, the control clients, then both sides of every pair. */
	struct pollfd pfd[2 + MAX_CTL + 2 * MAX_PAIRS];
	while (!stopping) {
		int n = 0;
		int64_t now = now_ms(), wait = 1000;
		pfd[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = cfd, .events = POLLIN};
		for (int i = 0; i < MAX_CTL; i++)
			pfd[n++] = (struct pollfd){.fd = ctls[i].fd, .events = POLLIN};
		for (int i = 0; i < MAX_PAIRS; i++) {
			struct pair *p = &pairs[i];
			for (int s = 0; s < 2; s++) {
				short ev = 0;
				if (p->used) {
					bool reading = !p->eof[s] && !p->cutting &&
						       p->queued[s] < QUEUE_MAX &&
						       !(s == 1 && p->connecting);
					if (reading)
						ev |= POLLIN;
					struct chunk *c = p->head[1 - s];
					if (s == 1 && p->connecting)
						ev |= POLLOUT;
					else if (c && c->due_ms <= now)
						ev |= POLLOUT;
					else if (c && c->due_ms - now < wait)
						wait = c->due_ms - now;
				}
				pfd[n++] = (struct pollfd){
				    .fd = p->used && !p->gone[s] ? p->fd[s] : -1, .events = ev};
			}
		}
		int r = poll(pfd, (nfds_t)n, (int)(wait < 0 ? 0 : wait));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "faultproxy: poll: %s\n", strerror(errno));
			break;
		}
		now = now_ms();
		if (pfd[0].revents & POLLIN) {
			for (int k = 0; k < 16; k++)
				accept_one(lfd);
		}
		if (pfd[1].revents & POLLIN)
			ctl_accept(cfd);
		for (int i = 0; i < MAX_CTL; i++) {
			if (ctls[i].fd >= 0 && pfd[2 + i].revents)
				ctl_read(&ctls[i]);
		}
		int base = 2 + MAX_CTL;
		for (int i = 0; i < MAX_PAIRS; i++) {
			struct pair *p = &pairs[i];
			for (int s = 0; s < 2; s++) {
				short re = pfd[base + 2 * i + s].revents;
				/* A slot closed (or reused by accept_one) in this round: the
				 * revents are not for it. */
				if (!re || !p->used || p->fd[s] != pfd[base + 2 * i + s].fd)
					continue;
				if (s == 1 && p->connecting) {
					pair_connected(p);
					continue;
				}
				if ((re & POLLHUP) && !(re & (POLLIN | POLLERR)) && p->eof[s]) {
					pair_gone(p, s);
					continue;
				}
				if (re & (POLLIN | POLLHUP | POLLERR))
					pair_read(p, s);
				if (p->used && p->fd[s] == pfd[base + 2 * i + s].fd &&
				    (re & (POLLOUT | POLLERR)))
					pair_write(p, 1 - s, now);
			}
			/* Chunks that came due while nothing was ready to write. */
			for (int s = 0; s < 2 && p->used && !p->connecting; s++) {
				if (p->head[s] && p->head[s]->due_ms <= now)
					pair_write(p, s, now);
			}
		}
	}
	close_all_pairs();
	for (int i = 0; i < MAX_CTL; i++) {
		if (ctls[i].fd >= 0)
			ctl_close(&ctls[i]);
	}
	close(lfd);
	close(cfd);
	unlink(control);
	return 0;
}
