/*
 * daemon.c: set-up, run and stop of liudongd (see daemon.h).
 *
 * Stop order on SIGTERM or SIGINT: stop accepting control connections, let the writer finish every
 * queued job (so every request already accepted is committed and answered), then close the
 * connections and the signal handles; the loop then has nothing left and returns.
 */
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "eventlog.h"
#include "logging.h"
#include "sync.h"
#include "writer.h"
#include "lderr.h"

#define TRIM_MS 100 /* how often the store's mapped pages are dropped */

static void daemon_writer_stopped(void *data)
{
	struct daemon *d = data;
	d->writer = NULL;
	ctl_close(d->ctl);
	d->ctl = NULL;
	uv_close((uv_handle_t *)&d->trim, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	log_info("stopped");
}

static void daemon_sync_stopped(void *data)
{
	struct daemon *d = data;
	unsigned long batches, jobs;
	writer_stats(d->writer, &batches, &jobs);
	log_info("writer: %lu request(s) committed in %lu transaction(s)", jobs, batches);
	writer_stop(d->writer, daemon_writer_stopped, d);
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
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
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
	rc = store_open(d->config.data_dir, 0, STORE_PIPELINED, &d->store);
	if (rc) {
		log_error("cannot open the store in %s: %s", d->config.data_dir, lderr_str(rc));
		goto fail_identity;
	}
	rc = meta_init(d->store, d->site_id);
	if (rc)
		goto fail_store;
	rc = writer_start(loop, d->store, &d->writer);
	if (rc) {
		log_error("cannot start the writer thread: %s", lderr_str(rc));
		goto fail_store;
	}
	rc = ctl_listen(d, d->config.socket, &d->ctl);
	if (rc) {
		log_error("cannot listen on %s: %s", d->config.socket,
			  rc == -EADDRINUSE ? "another liudongd is running there"
					    : uv_strerror(rc));
		goto fail_writer;
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
	uv_signal_init(loop, &d->sigterm);
	uv_signal_init(loop, &d->sigint);
	uv_signal_init(loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	log_info("site %s (%s) ready: control socket %s", d->config.name, d->site_id_text,
		 d->config.socket);
	return 0;

fail_ctl:
	if (d->sync) {
		sync_stop(d->sync, NULL, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
	}
	ctl_close(d->ctl);
	d->ctl = NULL;
fail_writer:
	writer_stop(d->writer, NULL, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	d->writer = NULL;
	sync_free(d->sync);
	d->sync = NULL;
fail_store:
	store_close(d->store);
	d->store = NULL;
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

void daemon_cleanup(struct daemon *d)
{
	sync_free(d->sync);
	store_close(d->store);
	identity_free(d->identity);
	config_free(&d->config);
	memset(d, 0, sizeof(*d));
}
