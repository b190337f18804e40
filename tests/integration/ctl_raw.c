/*
 * ctl_raw.c: a client of the control socket that sends what it is told, as a hostile or broken
 * client could, without the checks of the liudong command (privacy.sh: the daemon itself must
 * refuse a bad --operator).
 *
 *   ctl_raw SOCKET OPERATOR|- COMMAND [KEY=VALUE]...      ("-": no operator at all; "arg=X"
 *                                                          is a positional argument)
 *
 * $CTL_RAW_LANG, if set, is the request's language (Request.lang). Prints "status N" and, if any,
 * "error TEXT" or the JSON answer; exits with the status (or 100 if the daemon could not be reached
 * or closed the connection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: ctl_raw SOCKET OPERATOR|- COMMAND [KEY=VALUE]...\n");
		return 100;
	}
	Ld__Request req = LD__REQUEST__INIT;
	req.version = 1;
	req.operator_ = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	req.command = argv[3];
	req.lang = getenv("CTL_RAW_LANG");
	size_t n = (size_t)(argc - 4);
	Ld__Param *params = calloc(n ? n : 1, sizeof(*params));
	Ld__Param **pp = calloc(n ? n : 1, sizeof(*pp));
	if (!params || !pp)
		return 100;
	for (size_t i = 0; i < n; i++) {
		ld__param__init(&params[i]);
		char *eq = strchr(argv[4 + i], '=');
		if (!eq) {
			fprintf(stderr, "ctl_raw: %s is not KEY=VALUE\n", argv[4 + i]);
			return 100;
		}
		*eq = '\0';
		params[i].key = argv[4 + i];
		params[i].value = eq + 1;
		pp[i] = &params[i];
	}
	req.params = pp;
	req.n_params = n;
	int fd = conn_open(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "ctl_raw: cannot connect to %s\n", argv[1]);
		return 100;
	}
	Ld__Response *resp;
	int rc = conn_call(fd, &req, &resp);
	close(fd);
	if (rc) {
		fprintf(stderr, "ctl_raw: the call failed (%d)\n", rc);
		return 100;
	}
	int status = (int)resp->status;
	printf("status %d\n", status);
	if (resp->error && resp->error[0])
		printf("error %s\n", resp->error);
	else if (resp->json)
		printf("%s\n", resp->json);
	ld__response__free_unpacked(resp, NULL);
	free(params);
	free(pp);
	return status;
}
