/*
 * daemon.h: the state of one running liudongd, shared by the loop's parts.
 */
#pragma once

#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "identity.h"
#include "store.h"

struct writer;
struct ctl_server;
struct sync;

struct daemon {
	uv_loop_t *loop;
	struct config config;
	struct identity *identity;
	uint8_t site_id[LD_SITE_ID_BYTES];
	char site_id_text[LD_SITE_ID_TEXT];
	struct store *store;
	struct writer *writer;
	struct ctl_server *ctl;
	struct sync *sync;
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t trim; /* drops the store's pages from the resident set now and then */
	int stopping;
};

/*
 * Load the config at CONFIG_PATH, the identity, open the store, start the writer and the control
 * socket, install signal handlers. On failure a one-line reason is logged and everything started is
 * undone. Returns 0 or -errno.
 */
int daemon_setup(struct daemon *d, uv_loop_t *loop, const char *config_path);

/* Run the loop until SIGTERM/SIGINT have stopped everything. Returns 0 or -errno. */
int daemon_run(struct daemon *d);

/* Free what daemon_setup made (after daemon_run returned). */
void daemon_cleanup(struct daemon *d);
