/* site_init.c: see site_init.h. */
#include "site_init.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "identity.h"
#include "siteid.h"

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
	if (!valid_code(code))
		return fail(
		    3, "--code must be the site's 6-digit administrative code (e.g. 320582)", code);
	if (!name[0] || strlen(name) >= LD_NAME_MAX)
		return fail(3, "--name must be 1 to 127 bytes", NULL);

	const char *dir = argv[optind];
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return fail(1, "cannot create the directory", strerror(errno));
	char conf[LD_PATH_MAX], key[LD_PATH_MAX], crt[LD_PATH_MAX], data[LD_PATH_MAX];
	snprintf(conf, sizeof(conf), "%s/liudongd.conf", dir);
	snprintf(key, sizeof(key), "%s/site.key", dir);
	snprintf(crt, sizeof(crt), "%s/site.crt", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	struct stat st;
	if (stat(conf, &st) == 0 || stat(key, &st) == 0)
		return fail(5, "a site already exists in this directory", dir);

	uint8_t id[LD_SITE_ID_BYTES];
	int rc = identity_create(key, crt, name, id);
	if (rc)
		return fail(1, "cannot make the site key", lderr_str(rc));
	if (mkdir(data, 0700) != 0 && errno != EEXIST)
		return fail(1, "cannot create the data directory", strerror(errno));
	rc = config_write_new(conf, name, code, "data", listen, sock[0] ? sock : "liudongd.sock",
			      "site.key", "site.crt");
	if (rc)
		return fail(1, "cannot write liudongd.conf", lderr_str(rc));
	char text[LD_SITE_ID_TEXT];
	puts(siteid_format(id, text));
	return 0;
}
