/*
 * config.h: liudongd.conf, an INI file read with libinih.
 *
 *   [site]       name, code (6-digit administrative code), data_dir, listen (HOST:PORT), socket,
 *                socket_group (a group name: the control socket gets it, mode 0660), key, cert
 *   [peer NAME]  id (site id text), address (HOST:PORT)          (one section per peer)
 *   [rules]      the periods of DOMAIN.md (see struct rules)
 *   [store]      map_size_initial (bytes, K/M/G suffix allowed; for tests: the store starts
 *                with a map this small and grows it as it fills)
 *   [log]        level (error, warn, info, debug)
 * Relative paths are taken relative to the directory of the config file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siteid.h"
#include "lderr.h"

#define LD_NAME_MAX 128
#define LD_PATH_MAX 4096
/* A control socket's path must fit sockaddr_un's sun_path (108 bytes with its NUL). */
#define LD_SOCKET_PATH_MAX 108
/* [store] map_size_initial: from a few LMDB pages to 1 TiB (the most store_grow reaches). */
#define LD_MAP_SIZE_MIN ((size_t)64 << 10)
#define LD_MAP_SIZE_MAX ((size_t)1 << 40)

struct config_peer {
	char name[LD_NAME_MAX];
	uint8_t id[LD_SITE_ID_BYTES];
	char address[LD_NAME_MAX]; /* HOST:PORT, may be empty (we only accept) */
};

/* Periods of the rules with a clock; defaults from DOMAIN.md. */
struct rules {
	int transfer_months; /* 6: away at a fixed place -> transfer the relation */
	int checkin_days;    /* 30: registered out, not reported in */
	int org_life_months; /* 6, warning at org_life_warning_months (3) */
	int org_life_warning_months;
	int dues_months; /* 6, warning at 3 */
	int dues_warning_months;
	int contact_months; /* 6, warning at 3 */
	int contact_warning_months;
	int report_months;	 /* 6: half-year report (思想汇报) */
	int org_life_day;	 /* 27 */
	int cert_review_months;	 /* 12 */
	int cert_valid_days;	 /* 365 */
	int temp_branch_members; /* 3 */
	int probation_months;	 /* 12 */
	int transfer_ack_months; /* 1 */
	/* The service centre (issue 14): promised times in working days (Monday to Friday). */
	int request_days_transfer;   /* 10 */
	int request_days_org_life;   /* 5 */
	int request_days_dues;	     /* 5 */
	int request_days_employment; /* 10 */
	int request_days_housing;    /* 10 */
	int request_days_schooling;  /* 10 */
	int request_days_rights;     /* 10 */
	int request_days_other;	     /* 5 */
	int request_soon_days;	     /* 2: request-due-soon this many days before */
	int notice_remind_days;	     /* 7: a notice without an answer, reminded before its date */
	int holiday_visit_days;	     /* 14: holiday-visit before 七一 and 春节 */
	int visit_months;	     /* 12: no visit for this long */
};

/* The promised time of a request of KIND (service_request_kinds) in R, in working days; -1 for a
 * kind R does not know. */
int rules_request_days(const struct rules *r, const char *kind);

struct config {
	char path[LD_PATH_MAX]; /* the file read */
	char name[LD_NAME_MAX];
	char code[16];
	char data_dir[LD_PATH_MAX]; /* absolute after config_load */
	char listen[LD_NAME_MAX];   /* HOST:PORT, may be empty: no peer listener */
	char socket[LD_PATH_MAX];
	char socket_group[LD_NAME_MAX]; /* empty: the socket keeps the daemon's group */
	char key[LD_PATH_MAX];
	char cert[LD_PATH_MAX];
	char log_level[16];
	size_t map_size_initial; /* [store]; 0: the store's default */
	struct rules rules;
	struct config_peer *peers; /* owned by the config */
	size_t n_peers;
};

/* Fill R with the defaults of DOMAIN.md. */
void rules_defaults(struct rules *r);

/*
 * Read PATH into *cfg (zeroed first, defaults applied). [site] name and code are required; every
 * [peer NAME] needs an id. cfg->path becomes the file's absolute path, and data_dir, socket, key
 * and cert absolute paths (relative ones are taken from the file's directory, not resolved
 * further). A line may be at most 199 bytes (libinih's buffer); a [peer NAME] header at most 49.
 * Returns 0; LD_ENOTFOUND or -EACCES (or another -errno of fopen) if it cannot be read; -ENOMEM;
 * LD_EINPUT for a bad line or value, with ERR (ERR_LEN bytes, may be NULL) saying what is wrong,
 * as "line N: ..." where there is a line to name (the first error found). On failure *cfg is left
 * zeroed and owns nothing; on success the caller frees with config_free.
 */
int config_load(const char *path, struct config *cfg, char *err, size_t err_len);

/* Free what config_load allocated in CFG (the struct itself is the caller's). Safe to repeat. */
void config_free(struct config *cfg);

/*
 * Check the values of a new config file as config_write_new does, saying why one is refused:
 * returns 0, or LD_EINPUT with *why (may be NULL) a static sentence naming the setting (NAME empty,
 * too long or with a control character, CODE not 6 digits, LISTEN not HOST:PORT, a value that
 * would not read back as itself). Writes nothing.
 */
int config_check_new(const char *name, const char *code, const char *data_dir, const char *listen,
		     const char *socket, const char *key, const char *cert, const char **why);

/*
 * Write a new config file at PATH (must not exist; mode 0644) for a site with the given values,
 * each setting with a comment, a commented [rules] section showing the defaults, and [log] level.
 * LISTEN, SOCKET, DATA_DIR, KEY and CERT may be NULL or empty: the setting is written commented
 * out, and the default applies. Paths are written as given (relative ones are relative to the
 * file). Returns 0, LD_EEXIST, LD_EINPUT (CODE not 6 digits, NAME empty, LISTEN not HOST:PORT, or a
 * value that would not read back as itself: a control character, blanks at an end, " ;", a line
 * over 199 bytes), or -errno. On failure no file is left behind.
 */
int config_write_new(const char *path, const char *name, const char *code, const char *data_dir,
		     const char *listen, const char *socket, const char *key, const char *cert);
