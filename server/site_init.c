/*
 * site_init.c: see site_init.h.
 *
 * Everything is checked before anything is written, so that a refused init (exit 3 or 5) leaves
 * DIR as it was, and the next init in it works. What is written afterwards (the directory, the key
 * and certificate, data/, the config) is removed again if a later step fails (a full disk).
 */
#include "site_init.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "hostport.h"
#include "identity.h"
#include "siteid.h"
#include "utf8.h"

static int fail(int code, const char *msg, const char *detail)
{
	fprintf(stderr, "liudongd: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
	return code;
}

static bool valid_code(const char *code)
{
	if (strlen(code) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (!isdigit((unsigned char)code[i]))
			return false;
	}
	return true;
}

/*
 * The absolute path the daemon will use for the socket SOCK (relative to DIR) into OUT: config_load
 * takes the config file's real directory. DIR may not exist yet: then its parent's real path.
 * Returns false if it cannot be worked out (then the daemon checks at its start).
 */
static bool socket_path(const char *dir, const char *sock, char *out, size_t size)
{
	if (sock[0] == '/')
		return snprintf(out, size, "%s", sock) < (int)size;
	char real[PATH_MAX];
	if (realpath(dir, real)) {
		return snprintf(out, size, "%s/%s", real, sock) < (int)size;
	}
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dir);
	size_t len = strlen(parent);
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = '\0';
	char *slash = strrchr(parent, '/');
	const char *base = slash ? slash + 1 : parent;
	if (slash == parent)
		snprintf(real, sizeof(real), "/");
	else if (slash) {
		*slash = '\0';
		if (!realpath(parent, real))
			return false;
	} else if (!getcwd(real, sizeof(real))) {
		return false;
	}
	return snprintf(out, size, "%s%s%s/%s", real, strcmp(real, "/") ? "/" : "", base, sock) <
	       (int)size;
}

/* True if PATH is a directory with nothing in it. */
static bool empty_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* What init made so far, removed again by undo(). */
struct made {
	const char *dir, *key, *crt, *data, *conf;
	bool dir_made, identity_made, data_made;
};

static void undo(const struct made *m)
{
	if (m->identity_made) {
		unlink(m->key);
		unlink(m->crt);
	}
	if (m->data_made)
		rmdir(m->data);
	if (m->dir_made)
		rmdir(m->dir);
}

int site_init_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},   {"code", required_argument, NULL, 'C'},
	    {"listen", required_argument, NULL, 'l'}, {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	      {0},
	};
	const char *name = NULL, *code = NULL, *listen = "", *sock = "";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'C':
			code = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			puts(
			    "usage: liudongd init DIR --name NAME --code CODE [--listen HOST:PORT] "
			    "[--socket PATH]");
			return 0;
		default:
			return fail(2, "bad option; see liudongd init --help", NULL);
		}
	}
	if (optind + 1 != argc)
		return fail(2, "give exactly one directory; see liudongd init --help", NULL);
	if (!name || !code)
		return fail(2, "--name and --code are required; see liudongd init --help", NULL);

	/* Check everything first: a refusal writes nothing. */
	if (!valid_code(code))
		return fail(
		    3, "--code must be the site's 6-digit administrative code (e.g. 320582)", NULL);
	if (!name[0] || strlen(name) >= LD_NAME_MAX)
		return fail(3, "--name must be 1 to 127 bytes", NULL);
	if (!utf8_valid(name, false) || strchr(name, '\t'))
		return fail(3,
			    "--name must be UTF-8 text without control characters (no newline, "
			    "tab or escape)",
			    NULL);
	const char *why = NULL;
	if (listen[0] && hostport_parse(listen, NULL, &why) != 0) {
		fprintf(stderr, "liudongd: --listen must be HOST:PORT (like 0.0.0.0:7700): %s\n",
			why);
		return 3;
	}
	const char *sock_setting = sock[0] ? sock : "liudongd.sock";
	if (config_check_new(name, code, "data", listen, sock_setting, "site.key", "site.crt",
			     &why) != 0)
		return fail(3, why, NULL);
	const char *dir = argv[optind];
	char conf[LD_PATH_MAX], key[LD_PATH_MAX], crt[LD_PATH_MAX], data[LD_PATH_MAX];
	char sock_abs[LD_PATH_MAX];
	if (snprintf(conf, sizeof(conf), "%s/liudongd.conf", dir) >= (int)sizeof(conf) ||
	    snprintf(data, sizeof(data), "%s/data", dir) >= (int)sizeof(data))
		return fail(3, "the directory's path is too long", NULL);
	snprintf(key, sizeof(key), "%s/site.key", dir);
	snprintf(crt, sizeof(crt), "%s/site.crt", dir);
	if (socket_path(dir, sock_setting, sock_abs, sizeof(sock_abs)) &&
	    strlen(sock_abs) >= LD_SOCKET_PATH_MAX) {
		fprintf(stderr,
			"liudongd: the control socket would be %s, %zu bytes; a unix socket path "
			"can be at most %d: give a shorter DIR, or --socket PATH\n",
			sock_abs, strlen(sock_abs), LD_SOCKET_PATH_MAX - 1);
		return 3;
	}
	struct stat st;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return fail(5, "a file that is not a directory is in the way", dir);
	if (stat(conf, &st) == 0 || stat(key, &st) == 0 || stat(crt, &st) == 0)
		return fail(5, "a site already exists in this directory", dir);
	if (lstat(data, &st) == 0 && !empty_dir(data))
		return fail(5, "DIR/data exists and is not an empty directory; move it away", data);

	struct made m = {.dir = dir, .key = key, .crt = crt, .data = data, .conf = conf};
	if (mkdir(dir, 0755) == 0)
		m.dir_made = true;
	else if (errno != EEXIST)
		return fail(1, "cannot create the directory", strerror(errno));
	uint8_t id[LD_SITE_ID_BYTES];
	int rc = identity_create(key, crt, name, id);
	if (rc) {
		undo(&m);
		return fail(1, "cannot make the site key", lderr_str(rc));
	}
	m.identity_made = true;
	if (mkdir(data, 0700) == 0) {
		m.data_made = true;
	} else if (errno != EEXIST) {
		int err = errno;
		undo(&m);
		return fail(1, "cannot create the data directory", strerror(err));
	}
	rc = config_write_new(conf, name, code, "data", listen, sock[0] ? sock : "liudongd.sock",
			      "site.key", "site.crt");
	if (rc) {
		undo(&m); /* config_write_new removed its own file */
		return fail(1, "cannot write liudongd.conf", lderr_str(rc));
	}
	char text[LD_SITE_ID_TEXT];
	puts(siteid_format(id, text));
	return 0;
}
