/*
 * daemon.c: set-up, run and stop of liudongd (see daemon.h).
 *
 * Stop order on SIGTERM or SIGINT: stop accepting control connections, stop peer sync, let the
 * reader threads finish every read queued or in flight (answered; a read whose client has gone
 * is only freed), let the writer finish every queued job (so every request already accepted is
 * committed and answered; reads that arrive meanwhile are refused as the daemon stopping), then
 * close the connections and join the control threads (ctl_close: they answer lookups until
 * then); the loop then has nothing left and returns, and only then is the store closed
 * (daemon_cleanup): no read transaction is open by then. The signal handles stay until
 * then (unreferenced), so a SIGTERM or SIGINT sent again never ends the process half way.
 */
#include "daemon.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "ctl.h"
#include "datalock.h"
#include "eventlog.h"
#include "logging.h"
#include "peerconn.h"
#include "readers.h"
#include "sync.h"
#include "syncapply.h"
#include "writer.h"
#include "lderr.h"

#define TRIM_MS		100  /* how often the store's mapped pages are dropped */
#define READER_CHECK_MS 1000 /* how often reader slots of dead processes are cleared */

static void daemon_writer_stopped(void *data)
{
	struct daemon *d = data;
	d->writer = NULL;
	ctl_close(d->ctl);
	d->ctl = NULL;
	uv_close((uv_handle_t *)&d->trim, NULL);
	uv_close((uv_handle_t *)&d->reader_check, NULL);
	/* The signal handles stay (unreferenced: the loop may end) until daemon_cleanup: closed,
	 * libuv would give SIGTERM its default action back, and a SIGTERM sent again would end the
	 * process before the store is closed. */
	uv_unref((uv_handle_t *)&d->sigterm);
	uv_unref((uv_handle_t *)&d->sigint);
	uv_unref((uv_handle_t *)&d->sighup);
	log_info("stopped");
}

static void daemon_readers_stopped(void *data)
{
	struct daemon *d = data;
	unsigned long batches, jobs;
	writer_stats(d->writer, &batches, &jobs);
	log_info("writer: %lu request(s) committed in %lu transaction(s)", jobs, batches);
	writer_stop(d->writer, daemon_writer_stopped, d);
}

static void daemon_sync_stopped(void *data)
{
	struct daemon *d = data;
	readers_stop(d->readers, daemon_readers_stopped, d);
}

static void daemon_stop(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("stopping: finishing requests in flight");
	ctl_stop_listening(d->ctl);
	if (d->sync)
		sync_stop(d->sync, daemon_sync_stopped, d);
	else
		daemon_sync_stopped(d);
}

static void on_trim(uv_timer_t *t)
{
	struct daemon *d = t->data;
	store_trim(d->store);
	peer_msg_cache_trim();
	decoded_batch_cache_trim();
}

/*
 * A process that dies in a read transaction (an `mdb_stat`, a backup by `mdb_copy`, killed -9)
 * leaves its slot in LMDB's reader table, holding the snapshot it read: no page freed since can
 * be used again, and the file grows with every write until the slot is cleared.
 */
static void on_reader_check(uv_timer_t *t)
{
	struct daemon *d = t->data;
	store_reader_check(d->store);
}

/* What is at PATH, for a message: "a directory", "a symbolic link", ... */
static const char *file_kind(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return "something";
	if (S_ISREG(st.st_mode))
		return "a regular file";
	if (S_ISDIR(st.st_mode))
		return "a directory";
	if (S_ISLNK(st.st_mode))
		return "a symbolic link";
	if (S_ISFIFO(st.st_mode))
		return "a named pipe";
	return "something other than a socket";
}

/*
 * The group named by [site] socket_group into *gid ((gid_t)-1 when the setting is not given).
 * Returns 0, or LD_ENOTFOUND (logged: no such group) or -errno of the lookup.
 */
static int socket_group(const struct config *cfg, gid_t *gid)
{
	*gid = (gid_t)-1;
	if (!cfg->socket_group[0])
		return 0;
	errno = 0;
	struct group *g = getgrnam(cfg->socket_group); /* before any thread is started */
	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	if (errno != 0 && errno != ENOENT && errno != ESRCH) {
		int rc = lderr_from_errno(errno);
		log_error("[site] socket_group: cannot look up the group '%s': %s",
			  cfg->socket_group, lderr_str(rc));
		return rc;
	}
	log_error("[site] socket_group: no group named '%s' on this machine; create it "
		  "(groupadd %s) or set socket_group to an existing group",
		  cfg->socket_group, cfg->socket_group);
	return LD_ENOTFOUND;
}

/* Log why the control socket could not be made (RC from ctl_listen). */
static void log_listen_failure(const struct config *cfg, int rc)
{
	const char *path = cfg->socket;
	if (rc == LD_EFORBIDDEN)
		log_error("[site] socket_group: cannot give the control socket %s the group '%s': "
			  "the daemon's user must be root or a member of it",
			  path, cfg->socket_group);
	else if (rc == LD_ELOCKED)
		log_error("another liudongd is running on %s (it answers there); stop it first, or "
			  "set [site] socket to another path",
			  path);
	else if (rc == LD_EEXIST)
		log_error(
		    "the control socket path %s is %s, not a socket; liudongd does not remove "
		    "it: move it away, or set [site] socket to another path",
		    path, file_kind(path));
	else
		log_error("cannot listen on %s: %s", path, lderr_str(rc));
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	if (d->stopping)
		return; /* a signal sent again while stopping: the stop goes on */
	if (signum == SIGHUP) {
		struct config fresh;
		char err[256] = "";
		int rc = config_load(d->config.path, &fresh, err, sizeof(err));
		if (rc) {
			log_error("SIGHUP: %s: config not reloaded: %s", d->config.path,
				  err[0] ? err : lderr_str(rc));
			return;
		}
		d->config.rules = fresh.rules;
		ctl_reload(d->ctl, &d->config.rules);
		struct config_peer *peers = d->config.peers;
		size_t n_peers = d->config.n_peers;
		d->config.peers = fresh.peers;
		d->config.n_peers = fresh.n_peers;
		fresh.peers = peers;
		fresh.n_peers = n_peers;
		config_free(&fresh);
		if (d->sync)
			sync_reload(d->sync);
		log_info("SIGHUP: peers and rules reloaded from %s", d->config.path);
		return;
	}
	daemon_stop(d);
}

/* LIUDONGD_READERS: the number of reader threads (0 or unset: one per CPU, at least two). */
static unsigned env_readers(void)
{
	const char *text = getenv("LIUDONGD_READERS");
	if (!text || !text[0])
		return 0;
	char *end;
	unsigned long n = strtoul(text, &end, 10);
	if (*end || n > 64) {
		log_warn(
		    "LIUDONGD_READERS=%s is not a number of threads up to 64; using the default",
		    text);
		return 0;
	}
	return (unsigned)n;
}

/*
 * Every peer and control connection takes a file descriptor, and the soft limit a daemon inherits
 * is often 1024 or less: raise it to the hard limit (libuv polls with epoll, never select). At
 * the limit, libuv accepts and closes new connections at once, the CLI's among them.
 */
static void raise_open_files_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_info("open files: soft limit raised from %llu to %llu", (unsigned long long)was,
			 (unsigned long long)rl.rlim_max);
}

int daemon_setup(struct daemon *d, uv_loop_t *loop, const char *config_path)
{
	memset(d, 0, sizeof(*d));
	d->loop = loop;
	char err[512] = "";
	int rc = config_load(config_path, &d->config, err, sizeof(err));
	if (rc) {
		log_error("%s: %s", config_path, err[0] ? err : lderr_str(rc));
		return rc;
	}
	if (d->config.log_level[0])
		log_set_level_name(d->config.log_level);
	raise_open_files_limit();
	d->lock_fd = -1;
	gid_t group;
	rc = socket_group(&d->config, &group);
	if (rc)
		goto fail_config;
	if (strlen(d->config.socket) >= LD_SOCKET_PATH_MAX) {
		log_error(
		    "the control socket path %s is %zu bytes; a unix socket path can be at most "
		    "%d: set [site] socket to a shorter path",
		    d->config.socket, strlen(d->config.socket), LD_SOCKET_PATH_MAX - 1);
		rc = -ENAMETOOLONG;
		goto fail_config;
	}
	rc = identity_load(d->config.key, d->config.cert, &d->identity);
	if (rc) {
		log_error("cannot load the site key %s: %s", d->config.key, lderr_str(rc));
		goto fail_config;
	}
	memcpy(d->site_id, identity_site_id(d->identity), LD_SITE_ID_BYTES);
	siteid_format(d->site_id, d->site_id_text);

	if (mkdir(d->config.data_dir, 0700) != 0 && errno != EEXIST) {
		rc = lderr_from_errno(errno);
		log_error("cannot create data directory %s: %s", d->config.data_dir,
			  strerror(errno));
		goto fail_identity;
	}
	pid_t holder;
	rc = datalock_take(d->config.data_dir, &d->lock_fd, &holder);
	if (rc == LD_ELOCKED) {
		if (holder)
			log_error("another liudongd (pid %ld) is running on the data directory %s; "
				  "stop it first, or give this site its own data_dir",
				  (long)holder, d->config.data_dir);
		else
			log_error("another liudongd is running on the data directory %s; stop it "
				  "first, or give this site its own data_dir",
				  d->config.data_dir);
		goto fail_identity;
	}
	if (rc) {
		log_error("cannot lock the data directory %s: %s", d->config.data_dir,
			  lderr_str(rc));
		goto fail_identity;
	}
	rc = store_open(d->config.data_dir, d->config.map_size_initial, STORE_PIPELINED, &d->store);
	if (rc) {
		log_error("cannot open the store in %s: %s", d->config.data_dir, lderr_str(rc));
		goto fail_lock;
	}
	rc = meta_init(d->store, d->site_id);
	if (rc)
		goto fail_store;
	rc = writer_start(loop, d->store, &d->writer);
	if (rc) {
		log_error("cannot start the writer thread: %s", lderr_str(rc));
		goto fail_store;
	}
	rc = readers_start(loop, env_readers(), &d->readers);
	if (rc) {
		log_error("cannot start the reader threads: %s", lderr_str(rc));
		goto fail_writer;
	}
	const char *hold = getenv("LIUDONGD_TEST_READ_HOLD");
	if (hold && hold[0]) {
		snprintf(d->test_read_hold, sizeof(d->test_read_hold), "%s", hold);
		log_warn("LIUDONGD_TEST_READ_HOLD is set: scans wait for %s/release (tests only)",
			 d->test_read_hold);
	}
	rc = ctl_listen(d, d->config.socket, group, &d->ctl);
	if (rc) {
		log_listen_failure(&d->config, rc);
		goto fail_readers;
	}
	rc = sync_start(d, &d->sync);
	if (rc) {
		log_error("cannot start peer sync: %s", lderr_str(rc));
		goto fail_ctl;
	}
	/*
	 * LMDB reads through a memory map: every page read stays mapped, and counted in the
	 * resident set, until unmapped. A catch-up of a million events would touch the whole file.
	 * Unmap the pages every TRIM_MS; the page cache keeps them for the next read. Between two
	 * trims a catch-up maps what it reads: some 10,000 pages in 100 ms at B.
	 */
	uv_timer_init(loop, &d->trim);
	d->trim.data = d;
	uv_timer_start(&d->trim, on_trim, TRIM_MS, TRIM_MS);
	uv_timer_init(loop, &d->reader_check);
	d->reader_check.data = d;
	uv_timer_start(&d->reader_check, on_reader_check, READER_CHECK_MS, READER_CHECK_MS);
	uv_signal_init(loop, &d->sigterm);
	uv_signal_init(loop, &d->sigint);
	uv_signal_init(loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	log_info("site %s (%s) ready: control socket %s, %u reader thread(s)", d->config.name,
		 d->site_id_text, d->config.socket, readers_count(d->readers));
	return 0;

fail_ctl:
	if (d->sync) {
		sync_stop(d->sync, NULL, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
	}
	ctl_close(d->ctl);
	d->ctl = NULL;
fail_readers:
	readers_stop(d->readers, NULL, NULL);
fail_writer:
	writer_stop(d->writer, NULL, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	d->writer = NULL;
	readers_free(d->readers);
	d->readers = NULL;
	sync_free(d->sync);
	d->sync = NULL;
fail_store:
	store_close(d->store);
	d->store = NULL;
fail_lock:
	datalock_release(d->lock_fd);
	d->lock_fd = -1;
fail_identity:
	identity_free(d->identity);
	d->identity = NULL;
fail_config:
	config_free(&d->config);
	return rc;
}

int daemon_run(struct daemon *d)
{
	return uv_run(d->loop, UV_RUN_DEFAULT) < 0 ? -EIO : 0;
}

/*
 * Close the signal handles for good: the three signals blocked in this thread meanwhile, then
 * ignored, so that one sent now (the process is ending) neither kills it half way nor is lost
 * to a default action between libuv's restoring it and ours. Other threads have been joined.
 */
static void daemon_close_signals(struct daemon *d)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	uv_run(d->loop, UV_RUN_NOWAIT); /* the close callbacks */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void daemon_cleanup(struct daemon *d)
{
	daemon_close_signals(d);
	sync_free(d->sync);
	readers_free(d->readers); /* stopped: the loop ran out only after its threads were joined */
	store_close(d->store);
	datalock_release(d->lock_fd); /* after the store: no write may follow the unlock */
	identity_free(d->identity);
	config_free(&d->config);
	memset(d, 0, sizeof(*d));
	d->lock_fd = -1;
}
