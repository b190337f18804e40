/*
 * config.c: liudongd.conf, read with libinih and written for people to edit.
 *
 * libinih reads lines through our reader (read_line), which does three things the library does not:
 * it counts lines, so that every error names its line; it refuses a line longer than the library's
 * buffer instead of letting the rest of it be read as a line of its own; and it strips leading
 * blanks, so that an indented line is an ordinary line, never the continuation of the value above.
 * It also sees each [section] header first, which is how a [peer NAME] section with no keys at all
 * is still noticed (it has no id) and how a peer defined twice is caught.
 *
 * The handler (handle_pair) checks each value as it comes and resolves relative paths against the
 * directory of the config file; checks that need the whole file come after (check_complete). The
 * first error wins; the caller gets "line N: what is wrong".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "hostport.h"
#include "lderr.h"

#define SECTION_MAX 49 /* libinih keeps 49 bytes of a section name (MAX_SECTION 50) */
#define PEER_PREFIX "peer "

/* ---------------------------------------------------------------------------------------------- */
/* Rules                                                                                          */

struct rule_key {
	const char *name;
	size_t offset;
	int min, max;
	const char *comment;
};

/* clang-format off */
#define RULE(field, lo, hi, text) { #field, offsetof(struct rules, field), lo, hi, text }
/* clang-format on */

static const struct rule_key rule_keys[] = {
    RULE(transfer_months, 1, 120, "away this long at a fixed place: transfer the relation"),
    RULE(checkin_days, 1, 3650, "registered out and not reported in (报到) after this long"),
    RULE(org_life_months, 1, 120, "no organizational life (组织生活) attended for this long"),
    RULE(org_life_warning_months, 0, 120, "early warning for it (0: none)"),
    RULE(dues_months, 1, 120, "no dues (党费) paid for this long"),
    RULE(dues_warning_months, 0, 120, "early warning for it (0: none)"),
    RULE(contact_months, 1, 120, "no contact of any kind for this long"),
    RULE(contact_warning_months, 0, 120, "early warning for it (0: none)"),
    RULE(report_months, 1, 120, "thought report (思想汇报) overdue after this long"),
    RULE(org_life_day, 1, 28, "day of the month of organizational life"),
    RULE(cert_review_months, 1, 120, "annual review (年审) of the certificate due after"),
    RULE(cert_valid_days, 1, 3650, "a certificate is valid this long after issue"),
    RULE(temp_branch_members, 2, 1000, "full members at one place who should form a branch"),
    RULE(probation_months, 1, 120, "probation (预备期) length before conversion"),
    RULE(transfer_ack_months, 1, 120, "a transfer letter's receipt (回执) is due within"),
    RULE(request_days_transfer, 1, 365,
	 "promised time of a request about a transfer (working days)"),
    RULE(request_days_org_life, 1, 365, "... about organizational life (working days)"),
    RULE(request_days_dues, 1, 365, "... about dues (working days)"),
    RULE(request_days_employment, 1, 365, "... about employment (working days)"),
    RULE(request_days_housing, 1, 365, "... about housing (working days)"),
    RULE(request_days_schooling, 1, 365, "... about children's schooling (working days)"),
    RULE(request_days_rights, 1, 365, "... about rights (working days)"),
    RULE(request_days_other, 1, 365, "... about anything else (working days)"),
    RULE(request_soon_days, 0, 365, "request-due-soon this many days before the promised day"),
    RULE(notice_remind_days, 1, 365, "a notice without an answer, reminded this many days before"),
    RULE(holiday_visit_days, 1, 180, "holiday-visit reminders this many days before 七一 and 春节"),
    RULE(visit_months, 1, 120, "members with no visit (走访慰问) for this long"),
};

int rules_request_days(const struct rules *r, const char *kind)
{
	static const struct {
		const char *kind;
		size_t offset;
	} days[] = {
	    {"transfer", offsetof(struct rules, request_days_transfer)},
	    {"org-life", offsetof(struct rules, request_days_org_life)},
	    {"dues", offsetof(struct rules, request_days_dues)},
	    {"employment", offsetof(struct rules, request_days_employment)},
	    {"housing", offsetof(struct rules, request_days_housing)},
	    {"schooling", offsetof(struct rules, request_days_schooling)},
	    {"rights", offsetof(struct rules, request_days_rights)},
	    {"other", offsetof(struct rules, request_days_other)},
	};
	for (size_t i = 0; kind && i < sizeof(days) / sizeof(days[0]); i++)
		if (strcmp(days[i].kind, kind) == 0)
			return *(const int *)(const void *)((const char *)r + days[i].offset);
	return -1;
}

#define N_RULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

static int *rule_field(struct rules *r, const struct rule_key *key)
{
	return (int *)(void *)((char *)r + key->offset);
}

void rules_defaults(struct rules *r)
{
	*r = (struct rules){
	    .transfer_months = 6,
	    .checkin_days = 30,
	    .org_life_months = 6,
	    .org_life_warning_months = 3,
	    .dues_months = 6,
	    .dues_warning_months = 3,
	    .contact_months = 6,
	    .contact_warning_months = 3,
	    .report_months = 6,
	    .org_life_day = 27,
	    .cert_review_months = 12,
	    .cert_valid_days = 365,
	    .temp_branch_members = 3,
	    .probation_months = 12,
	    .transfer_ack_months = 1,
	    .request_days_transfer = 10,
	    .request_days_org_life = 5,
	    .request_days_dues = 5,
	    .request_days_employment = 10,
	    .request_days_housing = 10,
	    .request_days_schooling = 10,
	    .request_days_rights = 10,
	    .request_days_other = 5,
	    .request_soon_days = 2,
	    .notice_remind_days = 7,
	    .holiday_visit_days = 14,
	    .visit_months = 12,
	};
}

/* ---------------------------------------------------------------------------------------------- */
/* Values                                                                                         */

static bool is_six_digits(const char *s)
{
	for (int i = 0; i < 6; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return s[6] == '\0';
}

static const char *const log_levels[] = {"error", "warn", "info", "debug"};

static bool is_log_level(const char *s)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcmp(s, log_levels[i]) == 0)
			return true;
	}
	return false;
}

/* HOST:PORT (hostport.h). */
static bool is_host_port(const char *s)
{
	return hostport_parse(s, NULL, NULL) == 0;
}

/* A whole decimal number from MIN to MAX into *out. */
static bool parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

/*
 * A size in bytes with an optional K, M or G suffix (powers of 1024) from MIN to MAX into *out.
 */
static bool parse_size(const char *s, size_t min, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return false;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end != '\0' || v > (max >> shift))
		return false;
	v <<= shift;
	if (v < min)
		return false;
	*out = (size_t)v;
	return true;
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading                                                                                        */

/* Where each peer was declared, beside cfg->peers (same index). */
struct peer_source {
	int line;
	bool has_id;
};

struct parse {
	struct config *cfg;
	FILE *file;
	char dir[LD_PATH_MAX]; /* the config file's directory, absolute */
	int line;	       /* the line the reader returned last */
	int error_line;	       /* the first error, 0 for none */
	char error[512];
	bool out_of_memory;
	bool seen_name, seen_code;
	struct peer_source *sources;
	size_t peers_allocated;
};

__attribute__((format(printf, 3, 4))) static void fail(struct parse *p, int line, const char *fmt,
						       ...)
{
	va_list ap;
	int n = 0;

	if (p->error_line != 0 || p->out_of_memory)
		return;
	p->error_line = line > 0 ? line : -1;
	if (line > 0)
		n = snprintf(p->error, sizeof(p->error), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(p->error + n, sizeof(p->error) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The peer called NAME, or NULL. */
static struct config_peer *find_peer(struct config *cfg, const char *name, size_t *index)
{
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (strcmp(cfg->peers[i].name, name) == 0) {
			if (index)
				*index = i;
			return &cfg->peers[i];
		}
	}
	return NULL;
}

/* Note the [peer NAME] header on line LINE (called by the reader, before any of its keys). */
static void declare_peer(struct parse *p, const char *name, size_t len, int line)
{
	struct config *cfg = p->cfg;
	char copy[SECTION_MAX + 1];
	size_t i;

	while (len > 0 && (*name == ' ' || *name == '\t')) {
		name++;
		len--;
	}
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	if (len == 0) {
		fail(p, line, "a peer section needs the peer's name: [peer NAME]");
		return;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	if (find_peer(cfg, copy, &i) != NULL) {
		fail(p, line, "[peer %s] appears twice (first on line %d)", copy,
		     p->sources[i].line);
		return;
	}
	if (cfg->n_peers == p->peers_allocated) {
		size_t n = p->peers_allocated ? 2 * p->peers_allocated : 8;
		struct config_peer *peers = realloc(cfg->peers, n * sizeof(*peers));
		struct peer_source *sources;

		if (peers == NULL) {
			p->out_of_memory = true;
			return;
		}
		cfg->peers = peers;
		sources = realloc(p->sources, n * sizeof(*sources));
		if (sources == NULL) {
			p->out_of_memory = true;
			return;
		}
		p->sources = sources;
		p->peers_allocated = n;
	}
	memset(&cfg->peers[cfg->n_peers], 0, sizeof(cfg->peers[0]));
	memcpy(cfg->peers[cfg->n_peers].name, copy, len + 1);
	p->sources[cfg->n_peers] = (struct peer_source){.line = line};
	cfg->n_peers++;
}

/* Look at a section header (LINE starts with '[') before libinih does. */
static void see_section(struct parse *p, const char *line)
{
	const char *name = line + 1;
	const char *end = strchr(name, ']');
	size_t len;

	if (end == NULL)
		return; /* libinih reports it */
	len = (size_t)(end - name);
	if (len > SECTION_MAX) {
		fail(p, p->line, "the section name is longer than %d bytes", SECTION_MAX);
		return;
	}
	if (len >= 4 && strncmp(name, "peer", 4) == 0 &&
	    (len == 4 || name[4] == ' ' || name[4] == '\t'))
		declare_peer(p, name + 4, len - 4, p->line);
}

/*
 * libinih's reader: fgets that counts lines, refuses a line longer than NUM - 1 bytes (it returns
 * it empty, after reading the rest of it), and strips a UTF-8 BOM and leading blanks.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t len;
	size_t skip;

	if (fgets(str, num, p->file) == NULL)
		return NULL;
	p->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n') {
		int c = fgetc(p->file);

		if (c != EOF && c != '\n') {
			while ((c = fgetc(p->file)) != EOF && c != '\n')
				;
			fail(p, p->line, "the line is longer than %d bytes", num - 1);
			str[0] = '\0';
			return str;
		}
	}
	skip = p->line == 1 && strncmp(str, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	skip += strspn(str + skip, " \t");
	memmove(str, str + skip, len - skip + 1);
	if (str[0] == '[')
		see_section(p, str);
	return str;
}

/*
 * Resolve VALUE against the config directory into OUT (LD_PATH_MAX bytes).
 * Returns false (error recorded) if it is empty or too long.
 */
static bool set_path(struct parse *p, const char *key, const char *value, char *out)
{
	int n;

	if (value[0] == '\0') {
		fail(p, p->line, "%s is empty", key);
		return false;
	}
	if (value[0] == '/')
		n = snprintf(out, LD_PATH_MAX, "%s", value);
	else
		n = snprintf(out, LD_PATH_MAX, "%s/%s", p->dir, value);
	if (n < 0 || n >= LD_PATH_MAX) {
		fail(p, p->line, "%s is too long a path", key);
		return false;
	}
	return true;
}

static bool set_text(struct parse *p, const char *key, const char *value, char *out, size_t size)
{
	if (strlen(value) >= size) {
		fail(p, p->line, "%s is longer than %zu bytes", key, size - 1);
		return false;
	}
	memcpy(out, value, strlen(value) + 1);
	return true;
}

static void handle_site(struct parse *p, const char *key, const char *value)
{
	struct config *cfg = p->cfg;

	if (strcmp(key, "name") == 0) {
		if (value[0] == '\0')
			fail(p, p->line, "name is empty");
		else if (set_text(p, key, value, cfg->name, sizeof(cfg->name)))
			p->seen_name = true;
	} else if (strcmp(key, "code") == 0) {
		if (!is_six_digits(value))
			fail(p, p->line,
			     "code must be the site's 6-digit administrative code (like 320583), "
			     "not \"%s\"",
			     value);
		else if (set_text(p, key, value, cfg->code, sizeof(cfg->code)))
			p->seen_code = true;
	} else if (strcmp(key, "listen") == 0) {
		if (value[0] != '\0' && !is_host_port(value))
			fail(p, p->line, "listen must be HOST:PORT (like 0.0.0.0:7700), not \"%s\"",
			     value);
		else
			set_text(p, key, value, cfg->listen, sizeof(cfg->listen));
	} else if (strcmp(key, "data_dir") == 0) {
		set_path(p, key, value, cfg->data_dir);
	} else if (strcmp(key, "socket") == 0) {
		set_path(p, key, value, cfg->socket);
	} else if (strcmp(key, "socket_group") == 0) {
		if (value[0] == '\0')
			fail(p, p->line,
			     "socket_group is empty (leave it out to keep the daemon's "
			     "group)");
		else
			set_text(p, key, value, cfg->socket_group, sizeof(cfg->socket_group));
	} else if (strcmp(key, "key") == 0) {
		set_path(p, key, value, cfg->key);
	} else if (strcmp(key, "cert") == 0) {
		set_path(p, key, value, cfg->cert);
	} else {
		fail(p, p->line,
		     "unknown key \"%s\" in [site] (known: name, code, data_dir, listen, socket, "
		     "socket_group, key, cert)",
		     key);
	}
}

static void handle_rule(struct parse *p, const char *key, const char *value)
{
	for (size_t i = 0; i < N_RULE_KEYS; i++) {
		const struct rule_key *rule = &rule_keys[i];

		if (strcmp(key, rule->name) != 0)
			continue;
		if (!parse_int(value, rule->min, rule->max, rule_field(&p->cfg->rules, rule)))
			fail(p, p->line, "%s must be a whole number from %d to %d, not \"%s\"", key,
			     rule->min, rule->max, value);
		return;
	}
	fail(p, p->line,
	     "unknown key \"%s\" in [rules] (the commented [rules] of a new config "
	     "lists them all)",
	     key);
}

static void handle_log(struct parse *p, const char *key, const char *value)
{
	if (strcmp(key, "level") != 0)
		fail(p, p->line, "unknown key \"%s\" in [log] (known: level)", key);
	else if (!is_log_level(value))
		fail(p, p->line, "level must be error, warn, info or debug, not \"%s\"", value);
	else
		set_text(p, key, value, p->cfg->log_level, sizeof(p->cfg->log_level));
}

static void handle_store(struct parse *p, const char *key, const char *value)
{
	if (strcmp(key, "map_size_initial") != 0)
		fail(p, p->line, "unknown key \"%s\" in [store] (known: map_size_initial)", key);
	else if (!parse_size(value, LD_MAP_SIZE_MIN, LD_MAP_SIZE_MAX, &p->cfg->map_size_initial))
		fail(
		    p, p->line,
		    "map_size_initial must be a size from 64K to 1024G (bytes, or with K, M or G), "
		    "not \"%s\"",
		    value);
}

static void handle_peer(struct parse *p, const char *name, const char *key, const char *value)
{
	const char *reason = NULL;
	struct config_peer *peer;
	size_t i;

	char trimmed[SECTION_MAX + 1];
	size_t len;

	while (*name == ' ' || *name == '\t')
		name++;
	len = strnlen(name, SECTION_MAX);
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	memcpy(trimmed, name, len);
	trimmed[len] = '\0';
	name = trimmed;
	peer = find_peer(p->cfg, name, &i);
	if (peer == NULL)
		return; /* declare_peer refused the header and said why */
	if (strcmp(key, "id") == 0) {
		if (siteid_parse(value, peer->id, &reason) < 0)
			fail(p, p->line, "[peer %s] id: %s", name, reason);
		else
			p->sources[i].has_id = true;
	} else if (strcmp(key, "address") == 0) {
		if (value[0] != '\0' && !is_host_port(value))
			fail(p, p->line,
			     "[peer %s] address must be HOST:PORT (like 10.1.2.3:7700), not \"%s\"",
			     name, value);
		else
			set_text(p, key, value, peer->address, sizeof(peer->address));
	} else {
		fail(p, p->line, "unknown key \"%s\" in [peer %s] (known: id, address)", key, name);
	}
}

/* libinih's handler. Always returns 1: errors are recorded in the parse, the first one kept. */
static int handle_pair(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;

	if (strcmp(section, "site") == 0)
		handle_site(p, key, value);
	else if (strcmp(section, "rules") == 0)
		handle_rule(p, key, value);
	else if (strcmp(section, "log") == 0)
		handle_log(p, key, value);
	else if (strcmp(section, "store") == 0)
		handle_store(p, key, value);
	else if (strncmp(section, PEER_PREFIX, strlen(PEER_PREFIX)) == 0 ||
		 strcmp(section, "peer") == 0)
		handle_peer(p, section + strlen("peer"), key, value);
	else if (section[0] == '\0')
		fail(p, p->line, "\"%s\" comes before any [section]", key);
	else
		fail(p, p->line, "unknown section [%s] (known: site, peer NAME, rules, store, log)",
		     section);
	return 1;
}

/* The checks that need the whole file. */
static void check_complete(struct parse *p)
{
	struct config *cfg = p->cfg;
	const struct {
		const char *name;
		int warning, period;
	} warnings[] = {
	    {"org_life", cfg->rules.org_life_warning_months, cfg->rules.org_life_months},
	    {"dues", cfg->rules.dues_warning_months, cfg->rules.dues_months},
	    {"contact", cfg->rules.contact_warning_months, cfg->rules.contact_months},
	};

	if (!p->seen_name)
		fail(p, 0, "[site] has no name (name = the site's name)");
	if (!p->seen_code)
		fail(p, 0, "[site] has no code (code = the 6-digit administrative code)");
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (!p->sources[i].has_id)
			fail(p, p->sources[i].line, "[peer %s] has no id (id = its site id)",
			     cfg->peers[i].name);
		for (size_t j = 0; j < i; j++) {
			if (p->sources[i].has_id && p->sources[j].has_id &&
			    memcmp(cfg->peers[i].id, cfg->peers[j].id, LD_SITE_ID_BYTES) == 0)
				fail(p, p->sources[i].line,
				     "[peer %s] has the same id as [peer %s] (line %d)",
				     cfg->peers[i].name, cfg->peers[j].name, p->sources[j].line);
		}
	}
	for (size_t i = 0; i < sizeof(warnings) / sizeof(warnings[0]); i++) {
		if (warnings[i].warning >= warnings[i].period)
			fail(p, 0,
			     "[rules] %s_warning_months (%d) must be less than %s_months (%d)",
			     warnings[i].name, warnings[i].warning, warnings[i].name,
			     warnings[i].period);
	}
}

/* Defaults, with paths resolved against P->dir. */
static void set_defaults(struct parse *p)
{
	struct config *cfg = p->cfg;

	rules_defaults(&cfg->rules);
	strcpy(cfg->log_level, "info");
	set_path(p, "data_dir", "data", cfg->data_dir);
	set_path(p, "socket", "liudongd.sock", cfg->socket);
	set_path(p, "key", "site.key", cfg->key);
	set_path(p, "cert", "site.crt", cfg->cert);
}

int config_load(const char *path, struct config *cfg, char *err, size_t err_len)
{
	struct parse *p;
	char *slash;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->cfg = cfg;
	p->file = fopen(path, "re");
	if (p->file == NULL) {
		r = lderr_from_errno(errno);
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "cannot read %s: %s", path, lderr_str(r));
		goto fail_parse;
	}
	if (realpath(path, cfg->path) == NULL) {
		r = lderr_from_errno(errno);
		goto fail_file;
	}
	memcpy(p->dir, cfg->path, sizeof(p->dir));
	slash = strrchr(p->dir, '/');
	slash[slash == p->dir ? 1 : 0] = '\0'; /* "/liudongd.conf" lives in "/" */
	set_defaults(p);

	r = ini_parse_stream(read_line, p, handle_pair, p);
	if (r == -2 || p->out_of_memory) {
		r = -ENOMEM;
		goto fail_file;
	}
	if (r > 0 && (p->error_line == 0 || r < p->error_line)) {
		p->error_line = 0;
		fail(p, r, "not a [section] nor a NAME = VALUE line");
	}
	check_complete(p);
	if (p->out_of_memory) {
		r = -ENOMEM;
		goto fail_file;
	}
	if (p->error_line != 0) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s", p->error);
		r = LD_EINPUT;
		goto fail_file;
	}
	fclose(p->file);
	free(p->sources);
	free(p);
	return 0;

fail_file:
	fclose(p->file);
fail_parse:
	free(p->sources);
	free(p);
	config_free(cfg);
	memset(cfg, 0, sizeof(*cfg));
	return r;
}

void config_free(struct config *cfg)
{
	free(cfg->peers);
	cfg->peers = NULL;
	cfg->n_peers = 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Writing                                                                                        */

/*
 * Whether "KEY = VALUE" reads back as VALUE: shorter than MAX, no control characters, no blank at
 * either end, no " ;" (an inline comment) nor ';' first, and the line fits libinih's buffer.
 */
static bool writable(const char *key, const char *value, size_t max)
{
	size_t len = strlen(value);

	if (len >= max || strlen(key) + strlen(" = ") + len > INI_MAX_LINE - 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return false;
		/* " ;" starts a comment, and a value is written after "= " (found by fuzz_config)
		 */
		if (value[i] == ';' && (i == 0 || value[i - 1] == ' ' || value[i - 1] == '\t'))
			return false;
	}
	return len == 0 || (value[0] != ' ' && value[len - 1] != ' ');
}

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Write the file's text to F. Returns 0 or -errno. */
static int write_text(FILE *f, const char *name, const char *code, const char *data_dir,
		      const char *listen, const char *socket, const char *key, const char *cert)
{
	struct rules defaults;

	rules_defaults(&defaults);
	fprintf(f,
		"# liudongd.conf: the configuration of one liudong site.\n"
		"# Relative paths are taken relative to the directory of this file.\n"
		"# liudongd reads it at start; SIGHUP reloads [peer] sections and [rules].\n"
		"\n"
		"[site]\n"
		"# The site's name, as its peers see it.\n"
		"name = %s\n"
		"# The 6-digit administrative code; certificate numbers begin with it.\n"
		"code = %s\n",
		name, code);
	fprintf(f, "# Where the site keeps its records.\n%sdata_dir = %s\n",
		given(data_dir) ? "" : "# ", given(data_dir) ? data_dir : "data");
	if (given(listen))
		fprintf(f, "# Address and port peers connect to.\nlisten = %s\n", listen);
	else
		fprintf(f, "# Address and port peers connect to; without it we only dial out.\n"
			   "# listen = 0.0.0.0:7700\n");
	fprintf(f, "# The control socket the liudong command talks to.\n%ssocket = %s\n",
		given(socket) ? "" : "# ", given(socket) ? socket : "liudongd.sock");
	fprintf(f, "# The group the control socket is given (mode 0660): the staff's group.\n"
		   "# socket_group = liudong\n");
	fprintf(f,
		"# The site's Ed25519 key (mode 0600) and its self-signed TLS certificate.\n"
		"%skey = %s\n%scert = %s\n",
		given(key) ? "" : "# ", given(key) ? key : "site.key", given(cert) ? "" : "# ",
		given(cert) ? cert : "site.crt");
	fprintf(f,
		"\n"
		"# One section per peer site, pinned by its site id (`liudong site` prints it):\n"
		"# [peer NAME]\n"
		"# id = XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX\n"
		"# address = HOST:PORT   (leave it out if the peer dials us)\n"
		"\n"
		"[rules]\n"
		"# The periods of the rules with a clock. The values shown are the defaults;\n"
		"# remove the '#' and change the number to change one.\n");
	for (size_t i = 0; i < N_RULE_KEYS; i++) {
		const struct rule_key *rule = &rule_keys[i];
		char setting[64];

		snprintf(setting, sizeof(setting), "%s = %d", rule->name,
			 *rule_field(&defaults, rule));
		fprintf(f, "# %-32s ; %s\n", setting, rule->comment);
	}
	fprintf(f, "\n"
		   "[log]\n"
		   "# error, warn, info or debug\n"
		   "level = info\n");
	if (ferror(f))
		return -EIO;
	return 0;
}

static int refuse(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return LD_EINPUT;
}

int config_check_new(const char *name, const char *code, const char *data_dir, const char *listen,
		     const char *socket, const char *key, const char *cert, const char **why)
{
	const struct {
		const char *key, *value, *reason;
	} paths[] = {
	    {"data_dir", data_dir, "the data directory path cannot be written in the config"},
	    {"socket", socket,
	     "the socket path has a control character, blanks at an end or \" ;\", or is too long"},
	    {"key", key, "the key path cannot be written in the config"},
	    {"cert", cert, "the certificate path cannot be written in the config"},
	};
	const char *reason = NULL;

	if (name == NULL || name[0] == '\0')
		return refuse(why, "the name is empty");
	if (strlen(name) >= LD_NAME_MAX)
		return refuse(why, "the name is longer than 127 bytes");
	if (!writable("name", name, LD_NAME_MAX))
		return refuse(why, "the name has a control character (a newline, a tab...), blanks "
				   "at an end, or \" ;\"");
	if (code == NULL || !is_six_digits(code))
		return refuse(why, "the code must be the site's 6-digit administrative code (like "
				   "320583)");
	if (given(listen) && hostport_parse(listen, NULL, &reason) != 0)
		return refuse(why, reason);
	if (given(listen) && !writable("listen", listen, LD_NAME_MAX))
		return refuse(why, "the listen address is too long");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (paths[i].value != NULL && !writable(paths[i].key, paths[i].value, LD_PATH_MAX))
			return refuse(why, paths[i].reason);
	}
	return 0;
}

int config_write_new(const char *path, const char *name, const char *code, const char *data_dir,
		     const char *listen, const char *socket, const char *key, const char *cert)
{
	FILE *f;
	int fd;
	int r;

	r = config_check_new(name, code, data_dir, listen, socket, key, cert, NULL);
	if (r < 0)
		return r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return lderr_from_errno(errno);
	f = fdopen(fd, "w");
	if (f == NULL) {
		r = lderr_from_errno(errno);
		close(fd);
		goto fail_created;
	}
	r = write_text(f, name, code, data_dir, listen, socket, key, cert);
	if (r == 0 && (fflush(f) != 0 || fsync(fd) != 0))
		r = lderr_from_errno(errno);
	if (fclose(f) != 0 && r == 0)
		r = lderr_from_errno(errno);
	if (r < 0)
		goto fail_created;
	return 0;

fail_created:
	unlink(path);
	return r;
}
