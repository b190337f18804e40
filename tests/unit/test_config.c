/*
 * test_config.c: liudongd.conf as `liudongd init` writes it and as staff edit it: what a new file
 * says, where relative paths point, peers, rules, and errors that name the line to fix.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "siteid.h"
#include "lderr.h"

#define NANJING_ID "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2"
/* The same id with one character mistyped (the 'Y' of group 2 read as 'V'). */
#define MISTYPED_ID "P56IOI7-MZJNU2V-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2"

struct fixture {
	char dir[PATH_MAX]; /* realpath of the temporary directory */
	char conf[PATH_MAX + 32];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char tmp[] = "/tmp/ld-config-XXXXXX";

	if (f == NULL || mkdtemp(tmp) == NULL || realpath(tmp, f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->conf, sizeof(f->conf), "%s/liudongd.conf", f->dir);
	*state = f;
	return 0;
}

/* Remove DIR and everything under it (the tests make at most one level of subdirectories). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[PATH_MAX + 256];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0)
			remove_tree(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_tree(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	assert_non_null(file);
	assert_int_equal(fputs(text, file) >= 0, 1);
	assert_int_equal(fclose(file), 0);
}

static char *read_file(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(file);
	assert_non_null(text);
	n = fread(text, 1, 65535, file);
	text[n] = '\0';
	fclose(file);
	return text;
}

/* Load TEXT as the config file, expecting LD_EINPUT; returns the error (static storage). */
static const char *load_error(struct fixture *f, const char *text)
{
	static char err[512];
	struct config cfg;

	unlink(f->conf);
	write_file(f->conf, text);
	memset(err, 0, sizeof(err));
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), LD_EINPUT);
	assert_null(cfg.peers);
	assert_int_equal(cfg.n_peers, 0);
	return err;
}

static void new_config_loads_back(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	struct rules defaults;
	char err[256] = "";
	char expect[PATH_MAX + 64];
	struct stat st;

	assert_int_equal(config_write_new(f->conf, "昆山市委组织部", "320583", "data",
					  "0.0.0.0:7700", "", "site.key", "site.crt"),
			 0);
	assert_int_equal(stat(f->conf, &st), 0);
	assert_int_equal(st.st_mode & 0022, 0);

	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.path, f->conf);
	assert_string_equal(cfg.name, "昆山市委组织部");
	assert_string_equal(cfg.code, "320583");
	assert_string_equal(cfg.listen, "0.0.0.0:7700");
	snprintf(expect, sizeof(expect), "%s/data", f->dir);
	assert_string_equal(cfg.data_dir, expect);
	snprintf(expect, sizeof(expect), "%s/liudongd.sock", f->dir);
	assert_string_equal(cfg.socket, expect); /* not given: the default, beside the file */
	snprintf(expect, sizeof(expect), "%s/site.key", f->dir);
	assert_string_equal(cfg.key, expect);
	snprintf(expect, sizeof(expect), "%s/site.crt", f->dir);
	assert_string_equal(cfg.cert, expect);
	assert_string_equal(cfg.log_level, "info");
	rules_defaults(&defaults);
	assert_memory_equal(&cfg.rules, &defaults, sizeof(defaults));
	assert_int_equal(cfg.n_peers, 0);
	config_free(&cfg);
	config_free(&cfg);

	assert_int_equal(config_write_new(f->conf, "x", "320583", NULL, NULL, NULL, NULL, NULL),
			 LD_EEXIST);
}

static void new_config_explains_itself(void **state)
{
	struct fixture *f = *state;
	static const char *const rule_names[] = {
	    "transfer_months",	   "checkin_days",
	    "org_life_months",	   "org_life_warning_months",
	    "dues_months",	   "dues_warning_months",
	    "contact_months",	   "contact_warning_months",
	    "report_months",	   "org_life_day",
	    "cert_review_months",  "cert_valid_days",
	    "temp_branch_members", "probation_months",
	    "transfer_ack_months",
	};
	char *text;

	assert_int_equal(
	    config_write_new(f->conf, "南京市委组织部", "320100", NULL, NULL, NULL, NULL, NULL), 0);
	text = read_file(f->conf);
	assert_non_null(strstr(text, "[site]\n"));
	assert_non_null(strstr(text, "name = 南京市委组织部\n"));
	assert_non_null(strstr(text, "code = 320100\n"));
	assert_non_null(strstr(text, "# listen = "));
	assert_non_null(strstr(text, "[rules]\n"));
	for (size_t i = 0; i < sizeof(rule_names) / sizeof(rule_names[0]); i++) {
		char commented[64];

		snprintf(commented, sizeof(commented), "\n# %s = ", rule_names[i]);
		assert_non_null(strstr(text, commented));
	}
	assert_non_null(strstr(text, "# org_life_day = 27 "));
	assert_non_null(strstr(text, "\n[log]\n"));
	assert_non_null(strstr(text, "\nlevel = info\n"));
	assert_non_null(strstr(text, "[peer NAME]"));
	free(text);
}

static void new_config_refuses_what_would_not_read_back(void **state)
{
	struct fixture *f = *state;
	char long_path[300];
	struct stat st;

	assert_int_equal(config_write_new(f->conf, "site", "32058", NULL, NULL, NULL, NULL, NULL),
			 LD_EINPUT);
	assert_int_equal(config_write_new(f->conf, "site", "32058a", NULL, NULL, NULL, NULL, NULL),
			 LD_EINPUT);
	assert_int_equal(config_write_new(f->conf, "", "320583", NULL, NULL, NULL, NULL, NULL),
			 LD_EINPUT);
	assert_int_equal(
	    config_write_new(f->conf, "two\nlines", "320583", NULL, NULL, NULL, NULL, NULL),
	    LD_EINPUT);
	assert_int_equal(
	    config_write_new(f->conf, "site", "320583", NULL, "no-port", NULL, NULL, NULL),
	    LD_EINPUT);
	/* written "name = ;x", it would read back as an empty name (found by fuzz_config) */
	assert_int_equal(config_write_new(f->conf, ";x", "320583", NULL, NULL, NULL, NULL, NULL),
			 LD_EINPUT);
	assert_int_equal(
	    config_write_new(f->conf, "site", "320583", ";data", NULL, NULL, NULL, NULL),
	    LD_EINPUT);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(
	    config_write_new(f->conf, "site", "320583", long_path, NULL, NULL, NULL, NULL),
	    LD_EINPUT);
	assert_int_equal(stat(f->conf, &st), -1); /* nothing written */
}

static void relative_paths_are_taken_from_the_config_directory(void **state)
{
	struct fixture *f = *state;
	char sub[PATH_MAX + 16];
	char conf[PATH_MAX + 32];
	char expect[PATH_MAX + 64];
	char cwd[PATH_MAX];
	struct config cfg;
	char err[256];

	snprintf(sub, sizeof(sub), "%s/site", f->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(conf, sizeof(conf), "%s/liudongd.conf", sub);
	write_file(conf, "[site]\n"
			 "name = 昆山\n"
			 "code = 320583\n"
			 "data_dir = ../var/liudong\n"
			 "socket = /run/liudong/liudongd.sock\n"
			 "key = keys/site.key\n");

	/* Loaded by a relative name from elsewhere: paths still point beside the file. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(config_load("site/liudongd.conf", &cfg, err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);

	assert_string_equal(cfg.path, conf);
	snprintf(expect, sizeof(expect), "%s/../var/liudong", sub);
	assert_string_equal(cfg.data_dir, expect);
	assert_string_equal(cfg.socket, "/run/liudong/liudongd.sock");
	snprintf(expect, sizeof(expect), "%s/keys/site.key", sub);
	assert_string_equal(cfg.key, expect);
	snprintf(expect, sizeof(expect), "%s/site.crt", sub);
	assert_string_equal(cfg.cert, expect);
	assert_string_equal(cfg.listen, "");
	config_free(&cfg);
}

static void peers_are_read_with_their_ids(void **state)
{
	struct fixture *f = *state;
	uint8_t nanjing[LD_SITE_ID_BYTES];
	uint8_t zero[LD_SITE_ID_BYTES] = {0};
	char zero_text[LD_SITE_ID_TEXT];
	char text[2048];
	struct config cfg;
	char err[256] = "";

	assert_int_equal(siteid_parse(NANJING_ID, nanjing, NULL), 0);
	siteid_format(zero, zero_text);
	snprintf(text, sizeof(text),
		 "[site]\n"
		 "name = 昆山\n"
		 "code = 320583\n"
		 "\n"
		 "[peer 南京]\n"
		 "id = %s\n"
		 "address = 10.0.0.2:7700\n"
		 "\n"
		 "; a peer that only dials us, its id typed in lowercase\n"
		 "[peer 苏州]\n"
		 "    id = %s\n",
		 NANJING_ID, "aaaaaaa-aaaaaaa-aaaaaaa-aaaaaaa-aaaaaaa-aaaaaaa-aaaaaaa-aaaaaaa");
	write_file(f->conf, text);
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_peers, 2);
	assert_string_equal(cfg.peers[0].name, "南京");
	assert_memory_equal(cfg.peers[0].id, nanjing, LD_SITE_ID_BYTES);
	assert_string_equal(cfg.peers[0].address, "10.0.0.2:7700");
	assert_string_equal(cfg.peers[1].name, "苏州");
	assert_memory_equal(cfg.peers[1].id, zero, LD_SITE_ID_BYTES);
	assert_string_equal(cfg.peers[1].address, "");
	config_free(&cfg);
	assert_null(cfg.peers);
}

static void peer_mistakes_name_the_peer_and_line(void **state)
{
	struct fixture *f = *state;
	const char *err;

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[peer 南京]\nid = " MISTYPED_ID "\n");
	assert_non_null(strstr(err, "line 5"));
	assert_non_null(strstr(err, "南京"));
	assert_non_null(strstr(err, "mistyped"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[peer 南京]\naddress = h:1\n");
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "has no id"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[peer 空]\n");
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "has no id"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n"
			    "[peer A]\nid = " NANJING_ID "\n"
			    "[peer B]\nid = " NANJING_ID "\n");
	assert_non_null(strstr(err, "line 6"));
	assert_non_null(strstr(err, "same id"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n"
			    "[peer A]\nid = " NANJING_ID "\n"
			    "[peer A]\naddress = h:1\n");
	assert_non_null(strstr(err, "line 6"));
	assert_non_null(strstr(err, "twice"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[peer A]\nid = " NANJING_ID
			    "\naddress = 10.0.0.2\n");
	assert_non_null(strstr(err, "line 6"));
	assert_non_null(strstr(err, "HOST:PORT"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[peer]\nid = " NANJING_ID "\n");
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "[peer NAME]"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[peer A]\nid = " NANJING_ID
			    "\nport = 7700\n");
	assert_non_null(strstr(err, "line 6"));
	assert_non_null(strstr(err, "port"));
}

static void bad_code_names_its_line(void **state)
{
	struct fixture *f = *state;
	const char *err;

	err = load_error(f, "# comment\n[site]\nname = a\ncode = 32058\n");
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "6-digit"));
	assert_non_null(strstr(err, "32058"));

	err = load_error(f, "[site]\nname = a\ncode = 3205830\n");
	assert_non_null(strstr(err, "line 3"));

	err = load_error(f, "[site]\nname = a\n");
	assert_non_null(strstr(err, "no code"));
	err = load_error(f, "[site]\ncode = 320583\n");
	assert_non_null(strstr(err, "no name"));
}

static void unknown_keys_and_sections_name_their_line(void **state)
{
	struct fixture *f = *state;
	const char *err;

	err = load_error(f, "[site]\nname = a\ncode = 320583\n\n\ndatadir = x\n");
	assert_non_null(strstr(err, "line 6"));
	assert_non_null(strstr(err, "\"datadir\""));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[rules]\ndues_month = 4\n");
	assert_non_null(strstr(err, "line 5"));
	assert_non_null(strstr(err, "dues_month"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[log]\nlevel = info\nfile = x\n");
	assert_non_null(strstr(err, "line 6"));
	assert_non_null(strstr(err, "\"file\""));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[sync]\nwindow = 4\n");
	assert_non_null(strstr(err, "line 5"));
	assert_non_null(strstr(err, "[sync]"));

	err = load_error(f, "name = a\n[site]\ncode = 320583\n");
	assert_non_null(strstr(err, "line 1"));

	/* The first error wins, and a line that is no INI at all is named too. */
	err = load_error(f, "[site]\nname = a\ncode = 320583\njust some words\nfoo = 1\n");
	assert_non_null(strstr(err, "line 4"));
	err = load_error(f, "[site]\nname = a\ncode = 320583\nfoo = 1\njust some words\n");
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "foo"));

	err = load_error(f, "[site]\nname = a\ncode = 320583\n[log]\nlevel = verbose\n");
	assert_non_null(strstr(err, "line 5"));
	assert_non_null(strstr(err, "verbose"));
}

static void overlong_line_is_refused_not_split(void **state)
{
	struct fixture *f = *state;
	char text[1024];
	const char *err;
	char long_value[400];

	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	/* Split after 199 bytes, the tail of line 4 would read as a line "listen = 10.0.0.9:1". */
	snprintf(text, sizeof(text),
		 "[site]\nname = a\ncode = 320583\ndata_dir = %.188slisten = 10.0.0.9:1\n",
		 long_value);
	err = load_error(f, text);
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "longer"));
}

static void rules_override_the_defaults(void **state)
{
	struct fixture *f = *state;
	struct rules defaults;
	struct config cfg;
	char err[256] = "";
	const char *e;

	write_file(f->conf, "[site]\nname = a\ncode = 320583\n"
			    "[rules]\n"
			    "report_months = 12   ; the central rule: at least yearly\n"
			    "dues_months = 4\n"
			    "dues_warning_months = 2\n"
			    "org_life_day = 25\n"
			    "[log]\nlevel = debug\n");
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	rules_defaults(&defaults);
	assert_int_equal(cfg.rules.report_months, 12);
	assert_int_equal(cfg.rules.dues_months, 4);
	assert_int_equal(cfg.rules.dues_warning_months, 2);
	assert_int_equal(cfg.rules.org_life_day, 25);
	assert_int_equal(cfg.rules.transfer_months, defaults.transfer_months);
	assert_int_equal(cfg.rules.checkin_days, 30);
	assert_int_equal(cfg.rules.cert_valid_days, 365);
	assert_string_equal(cfg.log_level, "debug");
	config_free(&cfg);

	e = load_error(f, "[site]\nname = a\ncode = 320583\n[rules]\ndues_months = six\n");
	assert_non_null(strstr(e, "line 5"));
	assert_non_null(strstr(e, "six"));
	e = load_error(f, "[site]\nname = a\ncode = 320583\n[rules]\norg_life_day = 31\n");
	assert_non_null(strstr(e, "line 5"));
	e = load_error(f, "[site]\nname = a\ncode = 320583\n[rules]\ndues_months = 3\n");
	assert_non_null(strstr(e, "dues_warning_months"));
}

static void store_map_size_initial(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	char err[256] = "";
	const char *e;

	write_file(f->conf, "[site]\nname = a\ncode = 320583\n");
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.map_size_initial, 0); /* the store's default */
	config_free(&cfg);
	unlink(f->conf);
	write_file(f->conf, "[site]\nname = a\ncode = 320583\n[store]\nmap_size_initial = 256K\n");
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.map_size_initial, 256 << 10);
	config_free(&cfg);
	unlink(f->conf);
	write_file(f->conf,
		   "[site]\nname = a\ncode = 320583\n[store]\nmap_size_initial = 2097152\n");
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.map_size_initial, 2 << 20);
	config_free(&cfg);

	const char *bad[] = {"1K", "big", "-1M", "1T", "2048G", "1M!", "0x100000", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text),
			 "[site]\nname = a\ncode = 320583\n[store]\nmap_size_initial = %s\n",
			 bad[i]);
		e = load_error(f, text);
		assert_non_null(strstr(e, "line 5"));
		assert_non_null(strstr(e, "map_size_initial"));
	}
	e = load_error(f, "[site]\nname = a\ncode = 320583\n[store]\nmap = 1M\n");
	assert_non_null(strstr(e, "unknown key"));
}

static void missing_file_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	char err[512] = "";

	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), LD_ENOTFOUND);
	assert_non_null(strstr(err, f->conf));
	assert_int_equal(config_load(f->conf, &cfg, NULL, 0), LD_ENOTFOUND);
}

/* [site] socket_group: read as given; empty is refused naming it; not given, empty. */
static void socket_group_is_read(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	char err[256] = "";

	write_file(f->conf, "[site]\nname = 昆山\ncode = 320583\nsocket_group = dangwu\n");
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.socket_group, "dangwu");
	config_free(&cfg);
	unlink(f->conf);
	write_file(f->conf, "[site]\nname = 昆山\ncode = 320583\n");
	assert_int_equal(config_load(f->conf, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.socket_group, "");
	config_free(&cfg);
	assert_string_equal(
	    load_error(f, "[site]\nname = 昆山\ncode = 320583\nsocket_group =\n"),
	    "line 4: socket_group is empty (leave it out to keep the daemon's group)");
	/* A new config shows the setting, commented. */
	unlink(f->conf);
	assert_int_equal(config_write_new(f->conf, "昆山", "320583", NULL, NULL, NULL, NULL, NULL),
			 0);
	char *text = read_file(f->conf);
	assert_non_null(strstr(text, "\n# socket_group = "));
	free(text);
}

/*
 * The sample installed as share/doc/liudong/liudongd.conf.sample (dist/) loads with the parser
 * the daemon uses: the systemd layout's socket and group, and [rules] at their defaults.
 */
static void installed_sample_loads(void **state)
{
	struct config cfg;
	struct rules defaults;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_load(LD_SAMPLE_CONFIG, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.name, "昆山");
	assert_string_equal(cfg.code, "320583");
	assert_string_equal(cfg.socket, "/run/liudong/liudongd.sock");
	assert_string_equal(cfg.socket_group, "liudong");
	assert_string_equal(cfg.listen, "0.0.0.0:7701");
	assert_string_equal(cfg.log_level, "info");
	assert_int_equal(cfg.n_peers, 0);
	rules_defaults(&defaults);
	assert_memory_equal(&cfg.rules, &defaults, sizeof(defaults));
	config_free(&cfg);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    TEST(new_config_loads_back),
	    TEST(new_config_explains_itself),
	    TEST(new_config_refuses_what_would_not_read_back),
	    TEST(relative_paths_are_taken_from_the_config_directory),
	    TEST(peers_are_read_with_their_ids),
	    TEST(peer_mistakes_name_the_peer_and_line),
	    TEST(bad_code_names_its_line),
	    TEST(unknown_keys_and_sections_name_their_line),
	    TEST(overlong_line_is_refused_not_split),
	    TEST(rules_override_the_defaults),
	    TEST(store_map_size_initial),
	    TEST(missing_file_is_enoent),
	    TEST(socket_group_is_read),
	    cmocka_unit_test(installed_sample_loads),
	};
#undef TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
