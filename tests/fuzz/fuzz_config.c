/*
 * fuzz_config.c: liudongd.conf as an operator may write it: the input is written to a file in a
 * temp dir and read with config_load (libinih and every check of config.c, hostport and site ids
 * among them).
 *
 * Invariants (a violation traps): config_load returns 0, LD_EINPUT with a reason, or -ENOMEM; on
 * failure the config owns nothing; on success [site] name and code are set, every path is
 * absolute, every peer has a name, the warnings come before their periods. A config that loads is
 * written again with config_write_new (the values it keeps) and, if that accepts them, reads back
 * with the same values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lderr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* On tmpfs if there is one: config_write_new syncs every file. */
static char dir[] = "/dev/shm/liudong-fuzz-config-XXXXXX";
static char path[128], again[128];

static void cleanup(void)
{
	unlink(path);
	unlink(again);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!mkdtemp(dir)) {
		memcpy(dir, "/tmp/liudong-fuzz-config-XXXXXX",
		       sizeof("/tmp/liudong-fuzz-config-XXXXXX"));
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/liudongd.conf", dir);
	snprintf(again, sizeof(again), "%s/again.conf", dir);
	atexit(cleanup);
	return 0;
}

static void check_loaded(const struct config *c)
{
	if (!c->name[0] || strlen(c->code) != 6)
		__builtin_trap();
	const char *paths[] = {c->path, c->data_dir, c->socket, c->key, c->cert};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (paths[i][0] != '/')
			__builtin_trap(); /* config.h: absolute after config_load */
	for (size_t i = 0; i < c->n_peers; i++)
		if (!c->peers[i].name[0])
			__builtin_trap();
	const struct rules *r = &c->rules;
	if (r->org_life_warning_months >= r->org_life_months ||
	    r->dues_warning_months >= r->dues_months ||
	    r->contact_warning_months >= r->contact_months)
		__builtin_trap();
}

/* Written again by config_write_new, C reads back as itself. */
static void check_round_trip(const struct config *c)
{
	unlink(again);
	int rc = config_write_new(again, c->name, c->code, c->data_dir, c->listen, c->socket,
				  c->key, c->cert);
	if (rc == LD_EINPUT)
		return; /* a value config_write_new will not write (config.h says which) */
	if (rc != 0)
		abort();
	struct config d;
	char err[512];
	rc = config_load(again, &d, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fuzz_config: a config written does not read back: %s\n", err);
		__builtin_trap();
	}
	if (strcmp(c->name, d.name) || strcmp(c->code, d.code) || strcmp(c->listen, d.listen) ||
	    strcmp(c->data_dir, d.data_dir) || strcmp(c->socket, d.socket) ||
	    strcmp(c->key, d.key) || strcmp(c->cert, d.cert) || strcmp(d.log_level, "info"))
		__builtin_trap(); /* it reads back as another config */
	config_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	struct config c;
	char err[512];
	memset(err, 'x', sizeof(err));
	int rc = config_load(path, &c, err, sizeof(err));
	if (rc == 0) {
		check_loaded(&c);
		check_round_trip(&c);
		config_free(&c);
	} else if (rc == LD_EINPUT) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			__builtin_trap(); /* refused without a reason */
		if (c.peers || c.n_peers || c.name[0])
			__builtin_trap(); /* on failure the config owns nothing */
	} else if (rc != -ENOMEM) {
		__builtin_trap();
	}
	return 0;
}
