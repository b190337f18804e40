/* csv.c: see csv.h. */
#include "csv.h"
#include "i18n.h"
#include "lderr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What Excel and its kin read as the start of a formula. */
static bool formula_start(char c)
{
	return c && strchr("=+-@\t\r", c) != NULL;
}

bool csv_needs_guard(const char *field)
{
	while (*field == '\'')
		field++;
	return formula_start(*field);
}

const char *csv_cell_value(const char *field)
{
	return field[0] == '\'' && csv_needs_guard(field + 1) ? field + 1 : field;
}

void csv_write_field(FILE *out, const char *field)
{
	bool guard = csv_needs_guard(field);
	if (!strpbrk(field, ",\"\r\n")) {
		if (guard)
			fputc('\'', out);
		fputs(field, out);
		return;
	}
	fputc('"', out);
	if (guard)
		fputc('\'', out);
	for (const char *p = field; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

void csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = data;
	r->end = data + len;
	r->line = 1;
	if (len >= 3 && memcmp(data, CSV_BOM, 3) == 0)
		r->p += 3;
}

size_t csv_record_len(const struct csv_reader *r)
{
	return r->buf_len;
}

size_t csv_reader_tell(const struct csv_reader *r, const char *data, size_t *line)
{
	*line = r->line;
	return (size_t)(r->p - data);
}

void csv_reader_seek(struct csv_reader *r, const char *data, size_t offset, size_t line)
{
	r->p = data + offset;
	r->line = line;
}

void csv_reader_free(struct csv_reader *r)
{
	free(r->fields);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Room for N more bytes in the record's buffer. */
static int buf_room(struct csv_reader *r, size_t n)
{
	if (r->buf_cap - r->buf_len >= n)
		return 0;
	size_t cap = r->buf_cap ? r->buf_cap : 256;
	while (cap - r->buf_len < n)
		cap *= 2;
	char *b = realloc(r->buf, cap);
	if (!b)
		return -ENOMEM;
	r->buf = b;
	r->buf_cap = cap;
	return 0;
}

static int buf_put(struct csv_reader *r, char c)
{
	int rc = buf_room(r, 1);
	if (rc == 0)
		r->buf[r->buf_len++] = c;
	return rc;
}

#define MAX_FIELDS 1024

static int too_many(struct csv_reader *r)
{
	r->why = N_("the line has more than 1024 fields");
	return LD_EINPUT;
}

/*
 * The record at R->p if it holds no quote (most do): its bytes up to the line's end copied at
 * once, its commas made NULs (STARTS[*NF...] where its fields begin), R moved past its end.
 * Returns 1, 0 if it holds a quote (read it field by field), LD_EINPUT for more than MAX_FIELDS
 * fields, or -ENOMEM.
 */
static int record_plain(struct csv_reader *r, size_t *starts, size_t *nf)
{
	const char *p = r->p, *stop = memchr(p, '\n', (size_t)(r->end - p));
	stop = stop ? stop : r->end;
	const char *cr = memchr(p, '\r', (size_t)(stop - p));
	stop = cr ? cr : stop;
	if (memchr(p, '"', (size_t)(stop - p)))
		return 0;
	size_t len = (size_t)(stop - p);
	int rc = buf_room(r, len + 1);
	if (rc)
		return rc;
	char *b = r->buf;
	memcpy(b, p, len);
	b[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (b[i] != ',')
			continue;
		if (*nf == MAX_FIELDS)
			return too_many(r);
		b[i] = '\0';
		starts[(*nf)++] = i + 1;
	}
	r->buf_len = len + 1;
	r->p = stop;
	return 1;
}

int csv_next(struct csv_reader *r, char ***fields, size_t *n, size_t *line)
{
	if (r->p >= r->end)
		return LD_ENOTFOUND;
	*line = r->line;
	r->buf_len = 0;
	size_t starts[MAX_FIELDS];
	size_t nf = 0;
	starts[nf++] = 0;
	int rc = record_plain(r, starts, &nf);
	if (rc < 0)
		return rc;
	/* A record with a quote: field by field. */
	for (bool quoted = rc == 0; quoted;) {
		if (r->p < r->end && *r->p == '"') {
			/* A quoted field: up to the closing quote, "" is a quote, newlines kept. */
			r->p++;
			for (;;) {
				if (r->p >= r->end) {
					r->why = N_("a quoted field is not closed");
					return LD_EINPUT;
				}
				if (*r->p == '"') {
					if (r->p + 1 < r->end && r->p[1] == '"') {
						rc = buf_put(r, '"');
						r->p += 2;
					} else {
						r->p++;
						break;
					}
				} else {
					if (*r->p == '\n')
						r->line++;
					rc = buf_put(r, *r->p++);
				}
				if (rc)
					return rc;
			}
			if (r->p < r->end && *r->p != ',' && *r->p != '\r' && *r->p != '\n') {
				r->why =
				    N_("text follows a field's closing quote (a quote inside a "
				       "field is written twice)");
				return LD_EINPUT;
			}
			if ((rc = buf_put(r, '\0')))
				return rc;
		} else {
			/* An unquoted field: up to a comma or the end of the line, copied at once
			 * with its NUL. */
			const char *from = r->p, *p = from;
			while (p < r->end && *p != ',' && *p != '\r' && *p != '\n')
				p++;
			size_t len = (size_t)(p - from);
			if ((rc = buf_room(r, len + 1)))
				return rc;
			memcpy(r->buf + r->buf_len, from, len);
			r->buf_len += len;
			r->buf[r->buf_len++] = '\0';
			r->p = p;
		}
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			if (nf == MAX_FIELDS)
				return too_many(r);
			starts[nf++] = r->buf_len;
			continue;
		}
		break;
	}
	/* End of record: CRLF, LF, CR, or the end of the data. */
	if (r->p < r->end && *r->p == '\r')
		r->p++;
	if (r->p < r->end && *r->p == '\n')
		r->p++;
	r->line++;
	if (nf > r->cap_fields) {
		char **f = realloc(r->fields, nf * sizeof(*f));
		if (!f)
			return -ENOMEM;
		r->fields = f;
		r->cap_fields = nf;
	}
	for (size_t i = 0; i < nf; i++)
		r->fields[i] = r->buf + starts[i];
	r->n_fields = nf;
	*fields = r->fields;
	*n = nf;
	return 0;
}
