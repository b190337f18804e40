/*
 * cmd_bulk.c: `export` asks the daemon for one page of rows after another and writes them as
 * CSV (UTF-8 with a BOM, CRLF, RFC 4180 quoting: what Excel opens correctly with Chinese text) or
 * as one JSON object; `import members FILE` sends the whole file with one request (as the
 * request's attachment, straight from the file mapped: ctl.proto), so that it is judged whole
 * and registered in parts, all or nothing for bad rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "csv.h"
#include "frame.h"
#include "output.h"
#include "i18n.h"
#include "status.h"
#include "term.h"

#define PAGE "5000"

/* The columns of each export, in order (rows hold exactly these keys). */
static const char *const member_columns[] = {
    "id",	"name",	 "sex",	   "birth",	  "joined", "kind", "branch", "dues_category",
    "income",	"phone", "to",	   "place",	  "reason", "from", "until",  "fixed_place",
    "employer", "state", "inflow", "certificate", "dues",   NULL};
static const char *const cert_columns[] = {"number", "member",	    "name",   "status",
					   "issued", "valid_until", "issuer", "inflow_site",
					   "place",  NULL};
static const char *const dues_columns[] = {"receipt", "member",	   "site",  "from",
					   "to",      "amount",	   "basis", "date",
					   "status",  "collector", NULL};
static const char *const attendance_columns[] = {"meeting", "date", "branch",  "kind",	 "topic",
						 "member",  "name", "present", "reason", NULL};

static void write_record(FILE *out, const char *const *columns, json_t *row)
{
	for (size_t i = 0; columns[i]; i++) {
		if (i)
			fputc(',', out);
		json_t *v = row ? json_object_get(row, columns[i]) : NULL;
		csv_write_field(out,
				row ? (json_is_string(v) ? json_string_value(v) : "") : columns[i]);
	}
	fputs("\r\n", out);
}

int local_export(const struct cli *cli, const Ld__Request *req)
{
	const char *what = cli_param(req, "arg");
	const char *format = cli_param(req, "format");
	const char *path = cli_param(req, "out");
	const char *const *columns = strcmp(what, "members") == 0      ? member_columns
				     : strcmp(what, "certs") == 0      ? cert_columns
				     : strcmp(what, "dues") == 0       ? dues_columns
				     : strcmp(what, "attendance") == 0 ? attendance_columns
								       : NULL;
	if (!columns)
		return cli_fail(LD_EXIT_INVALID,
				"cannot export '%s'; choose members, certs, dues or "
				"attendance",
				what);
	bool json = cli->json || (format && strcmp(format, "json") == 0);
	if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
		return cli_fail(LD_EXIT_INVALID, "--format must be csv or json, not '%s'", format);
	FILE *out = stdout;
	char *tmp = NULL;
	bool force = cli_param(req, "force") != NULL;
	if (force && !path)
		return cli_fail(LD_EXIT_USAGE,
				"--force replaces the file --out names; give --out FILE, or leave "
				"--force out to write to the screen");
	if (path) {
		/* Personal data: never over a file unless asked, and readable by the owner alone.
		 */
		struct stat sb;
		if (!force && lstat(path, &sb) == 0)
			return cli_fail(LD_EXIT_REFUSED,
					"%s exists already; add --force to replace it, or choose "
					"another name",
					path);
		/* Written beside the target and renamed, so a failed export leaves no half file. */
		tmp = malloc(strlen(path) + 16);
		if (!tmp)
			return cli_fail(LD_EXIT_INTERNAL, "out of memory");
		sprintf(tmp, "%s.part", path);
		unlink(tmp); /* a .part left by an export that died: mode and owner from us */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		out = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (!out) {
			int code =
			    cli_fail(LD_EXIT_INVALID, "cannot write %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(tmp);
			return code;
		}
	}
	json_t *all = json_array();
	if (!json)
		fputs(CSV_BOM, out), write_record(out, columns, NULL);
	char *after = NULL;
	int code = 0;
	size_t exported = 0;
	for (bool first = true;; first = false) {
		Ld__Param p[4] = {LD__PARAM__INIT, LD__PARAM__INIT, LD__PARAM__INIT,
				  LD__PARAM__INIT};
		Ld__Param *pp[4] = {&p[0], &p[1], &p[2], &p[3]};
		p[0].key = "arg";
		p[0].value = (char *)what;
		p[1].key = "limit";
		p[1].value = PAGE;
		size_t n = 2;
		if (after) {
			p[n].key = "after";
			p[n++].value = after;
		}
		if (first && strcmp(what, "members") == 0) {
			p[n].key = "reveal"; /* full identity numbers: audited */
			p[n++].value = "";
		}
		Ld__Request r = *req;
		r.params = pp;
		r.n_params = n;
		json_t *result;
		if ((code = cli_request(cli, &r, &result)))
			break;
		json_t *rows = json_object_get(result, "rows");
		exported += json_array_size(rows);
		term_progress(_("export %s: %zu rows"), what, exported);
		for (size_t i = 0; i < json_array_size(rows); i++) {
			if (json)
				json_array_append(all, json_array_get(rows, i));
			else
				write_record(out, columns, json_array_get(rows, i));
		}
		json_t *next = json_object_get(result, "next");
		free(after);
		after = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
		json_decref(result);
		if (!after)
			break;
	}
	free(after);
	term_progress_end();
	if (code == 0 && json) {
		json_t *o = json_object();
		json_object_set_new(o, what, all);
		all = NULL;
		char *s = json_dumps(o, JSON_COMPACT);
		if (s)
			fprintf(out, "%s\n", s);
		free(s);
		json_decref(o);
	}
	json_decref(all);
	if (path) {
		bool ok = fclose(out) == 0 && code == 0;
		/* Without --force, link() refuses a file that appeared meanwhile; rename() would
		 * not. */
		int moved = !ok ? 0 : force ? rename(tmp, path) : link(tmp, path);
		if (ok && moved != 0 && errno == EEXIST)
			code = cli_fail(LD_EXIT_REFUSED,
					"%s exists already; add --force to replace it, or choose "
					"another name",
					path);
		else if (ok && moved != 0)
			code =
			    cli_fail(LD_EXIT_INVALID, "cannot write %s: %s", path, strerror(errno));
		else if (!ok && code == 0)
			code =
			    cli_fail(LD_EXIT_INVALID, "cannot write %s: %s", path, strerror(errno));
		if (code || !force)
			remove(tmp); /* after link(), the name is in place: drop the .part one */
		free(tmp);
	}
	return code;
}

/* What a SIGBUS while the register is mapped says: the file got shorter meanwhile. */
static char bus_line[600];

static void on_bus(int sig)
{
	(void)sig;
	ssize_t w = write(STDERR_FILENO, bus_line, strlen(bus_line));
	(void)w;
	_exit(LD_EXIT_INVALID);
}

/*
 * The register at PATH as text: *BUF (NUL-terminated, *LEN bytes before the NUL). A regular file
 * whose last page has room for the NUL is mapped (*MAPPED): its pages are the kernel's cache,
 * not copied (on a 12 MB register, 35 ms less before the first byte is sent); any other file (a
 * pipe, a size that fills its last page) is read. Returns 0, or an exit code (said).
 */
static int register_text(const char *path, char **buf, size_t *len, bool *mapped)
{
	*mapped = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(LD_EXIT_INVALID, "cannot read %s: %s", path, strerror(errno));
	struct stat st;
	long page = sysconf(_SC_PAGESIZE);
	bool known = fstat(fd, &st) == 0;
	if (known && S_ISDIR(st.st_mode)) {
		close(fd);
		return cli_fail(LD_EXIT_INVALID, "%s is a directory; name the register's CSV file",
				path);
	}
	if (known && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < LD_CTL_FRAME_MAX && page > 0 && st.st_size % page != 0) {
		void *p =
		    mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (p != MAP_FAILED) {
			close(fd);
			snprintf(bus_line, sizeof(bus_line),
				 _("liudong: %.400s got shorter while it was sent; nothing is "
				   "lost: import it again once it is written whole\n"),
				 path);
			signal(SIGBUS, on_bus);
			*buf = p;
			*len = (size_t)st.st_size;
			*mapped = true;
			return 0;
		}
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return cli_fail(LD_EXIT_INTERNAL, "out of memory reading %s", path);
	}
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);
	int code = 0;
	while (b) {
		if (n + 1 >= cap) {
			if (cap >= LD_CTL_FRAME_MAX) {
				code =
				    cli_fail(LD_EXIT_INVALID, "%s is larger than %u MiB; split it",
					     path, (unsigned)(LD_CTL_FRAME_MAX >> 20));
				break;
			}
			char *grown = realloc(b, cap * 2);
			if (!grown) {
				free(b);
				b = NULL;
				break;
			}
			b = grown;
			cap *= 2;
		}
		size_t got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (b && !code && ferror(f))
		code = cli_fail(LD_EXIT_INVALID, "cannot read %s: %s", path, strerror(errno));
	fclose(f);
	if (!b)
		return cli_fail(LD_EXIT_INTERNAL, "out of memory reading %s", path);
	if (code) {
		free(b);
		return code;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static void register_text_free(char *buf, size_t len, bool mapped)
{
	if (mapped) {
		signal(SIGBUS, SIG_DFL);
		munmap(buf, len);
	} else {
		free(buf);
	}
}

int local_import(const struct cli *cli, const Ld__Request *req)
{
	const char *what = NULL, *path = NULL;
	for (size_t i = 0, k = 0; i < req->n_params; i++) {
		if (strcmp(req->params[i]->key, "arg") == 0)
			*(k++ == 0 ? &what : &path) = req->params[i]->value;
	}
	if (strcmp(what, "members") != 0)
		return cli_fail(LD_EXIT_USAGE,
				"only members can be imported: liudong import members "
				"FILE");
	char *buf = NULL;
	size_t len = 0;
	bool mapped = false;
	int code = register_text(path, &buf, &len, &mapped);
	if (code)
		return code;
	if (strlen(buf) != len) { /* a NUL before the end */
		register_text_free(buf, len, mapped);
		return cli_fail(LD_EXIT_INVALID,
				"%s is not a text file (it holds NUL bytes); save "
				"the register as CSV UTF-8",
				path);
	}
	const char *base = strrchr(path, '/');
	Ld__Param p[3] = {LD__PARAM__INIT, LD__PARAM__INIT, LD__PARAM__INIT};
	Ld__Param *pp[3] = {&p[0], &p[1], &p[2]};
	p[0].key = "arg";
	p[0].value = "members";
	p[1].key = "file";
	p[1].value = (char *)(base ? base + 1 : path);
	p[2].key = "csv";
	p[2].value = buf;
	Ld__Request r = *req;
	r.params = pp;
	r.n_params = 3;
	r.attach = "csv"; /* the text follows the request as it is: no copy of its megabytes */
	if (isatty(STDERR_FILENO)) { /* the lines counted for a person only: a pass over the file */
		size_t rows = 0;
		for (const char *nl = buf; (nl = memchr(nl, '\n', (size_t)(buf + len - nl))); nl++)
			rows++;
		term_progress(_("import: %zu lines of %s sent; liudongd registers them in parts"),
			      rows, p[1].value);
	}
	json_t *result;
	code = cli_request(cli, &r, &result);
	term_progress_end();
	register_text_free(buf, len, mapped);
	if (code == 0) {
		json_t *o = json_pack("{s:O}", "imported", json_object_get(result, "imported"));
		json_object_set(o, "registered_out", json_object_get(result, "registered_out"));
		if (json_object_get(result, "resumed_after"))
			json_object_set(o, "resumed_after",
					json_object_get(result, "resumed_after"));
		output_print(stdout, o, cli->json);
		json_decref(o);
		json_decref(result);
	}
	return code;
}
