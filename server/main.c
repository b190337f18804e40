/*
 * liudongd: the daemon of one organization department. Thin main: parse the arguments, then
 * either make a new site (`init`) or set up and run the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lderr.h"
#include "daemon.h"
#include "i18n.h"
#include "logging.h"
#include "site_init.h"
#include "status.h"

static const char usage[] =
    "usage: liudongd -c DIR/liudongd.conf      run the site's daemon in the foreground\n"
    "       liudongd init DIR --name NAME --code CODE [--listen HOST:PORT] [--socket PATH]\n"
    "                                          make a new site in DIR; prints its site id\n"
    "       liudongd --version | --help\n";

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return site_init_main(argc - 1, argv + 1);

	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	const char *config_path = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("liudongd %s\n", LD_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!config_path || optind != argc) {
		fprintf(stderr, "liudongd: %s; see liudongd --help\n",
			config_path ? "unexpected argument" : "no config file given (-c FILE)");
		return 2;
	}

	/* Messages in each client's language (i18n.h); the daemon's own locale stays C, and the
	 * language a client asks for is not overridden by $LANGUAGE. */
	unsetenv("LANGUAGE");
	if (i18n_bind() != 0)
		log_warn("no memory for the translations: messages stay in English");

	struct daemon d;
	uv_loop_t loop;
	uv_loop_init(&loop);
	int rc = daemon_setup(&d, &loop, config_path);
	if (rc == 0) {
		rc = daemon_run(&d);
		daemon_cleanup(&d);
	}
	if (uv_loop_close(&loop) != 0)
		log_warn("event loop closed with handles still open");
	if (status_from_error(rc) == LD_EXIT_REFUSED)
		return LD_EXIT_REFUSED; /* refused: another daemon, or a file we will not remove
					   (daemon.h) */
	return rc == 0 ? 0 : 1;
}
