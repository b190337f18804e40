/*
 * pages.c: the lists the daemon answers a page at a time (due, member list and find, history,
 * audit; see the daemon's page.h). The CLI asks for the page after each (`after` = the answer's
 * `next`) until there is none, and prints each page as it arrives: for people, the first page's
 * fields, then the table's rows as they come; with --json, still exactly one JSON object, written
 * out as it goes: the first page's fields, then "ROWS":[every page's rows], then "count" where the
 * command counts them (due). So the CLI's memory does not grow with the list either.
 *
 * $LIUDONG_PAGE_ROWS (1 to 10000) asks for pages of that many rows: the tests make a site bigger
 * than one page that way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "status.h"
#include "term.h"

/* KEY as a JSON string literal. */
static void put_key(FILE *out, const char *key)
{
	json_t *k = json_string(key);
	char *s = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
	fputs(s ? s : "\"?\"", out);
	free(s);
	json_decref(k);
}

/* V compact, or null. */
static void put_value(FILE *out, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	fputs(s ? s : "null", out);
	free(s);
}

/* The first page: with --json, `{` and its fields but the rows and next, then `"ROWS":[`. */
static void json_head(FILE *out, json_t *page, const char *rows_key)
{
	const char *key;
	json_t *v;
	fputc('{', out);
	json_object_foreach(page, key, v)
	{
		if (strcmp(key, rows_key) == 0 || strcmp(key, "next") == 0)
			continue;
		put_key(out, key);
		fputc(':', out);
		put_value(out, v);
		fputc(',', out);
	}
	put_key(out, rows_key);
	fputs(":[", out);
}

/* For people: the first page's fields but the rows and next, then the rows' heading if any. */
static void text_head(FILE *out, json_t *page, const char *rows_key)
{
	size_t others = 0;
	const char *key;
	json_t *v;
	json_object_foreach(page, key, v)
	{
		others += strcmp(key, rows_key) != 0 && strcmp(key, "next") != 0;
	}
	output_scalars(out, page, "next");
	if (others)
		output_heading(out, rows_key);
}

/*
 * A page as text, split without parsing its rows: the daemon writes the rows last, so the page
 * is HEAD "ROWS":[ ROWS ]} . *head is the page with no rows (parsed: its other fields and next),
 * *rows and *rows_len the rows' text as it came. Returns 0, or -1 if TEXT is not laid out so
 * (then the caller parses it whole). The marker "ROWS":[ cannot stand inside a string, where its
 * quotes would be escaped.
 */
static int split_page(const char *text, const char *rows_key, json_t **head, const char **rows,
		      size_t *rows_len)
{
	char marker[64];
	int m = snprintf(marker, sizeof(marker), "\"%s\":[", rows_key);
	const char *at = strstr(text, marker);
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	if (m <= 0 || (size_t)m >= sizeof(marker) || !at || n < 2 || text[n - 1] != '}' ||
	    text[n - 2] != ']' || at + m > text + n - 2)
		return -1;
	size_t head_len = (size_t)(at - text) + (size_t)m;
	char *h = malloc(head_len + 3);
	if (!h)
		return -1;
	memcpy(h, text, head_len);
	memcpy(h + head_len, "]}", 3);
	*head = json_loads(h, 0, NULL);
	free(h);
	if (!*head || !json_is_array(json_object_get(*head, rows_key))) {
		json_decref(*head);
		return -1;
	}
	*rows = at + m;
	*rows_len = (size_t)(text + n - 2 - *rows);
	return 0;
}

/* How many values the comma-separated JSON values TEXT (LEN bytes) holds. */
static size_t count_values(const char *text, size_t len)
{
	size_t n = 0, depth = 0;
	bool in_string = false, any = false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		else if (c == ',' && depth == 0)
			n++;
		any = any || (c != ' ' && c != '\n');
	}
	return any ? n + 1 : 0;
}

/*
 * Ask for one page with R and print it: the first page's fields first (FIRST); then its rows, for
 * --json as the text came (after a comma when *count rows went before), for people into TABLE.
 * *page gets the page's fields and next (the caller frees it).
 */
static int one_page(const struct cli *cli, const struct cmd_spec *c, const Ld__Request *r,
		    bool first, FILE *out, struct output_table *table, size_t *count, json_t **page)
{
	Ld__Response *resp;
	int code = cli_call(cli, r, &resp);
	if (code)
		return code;
	const char *text = resp->json ? resp->json : "{}", *rows_text = NULL;
	size_t rows_len = 0;
	*page = NULL;
	if (cli->json && split_page(text, c->rows, page, &rows_text, &rows_len) != 0)
		rows_text = NULL;
	if (!rows_text) /* for people, or a page not laid out as expected: parsed whole */
		*page = json_loads(text, 0, NULL);
	if (!*page) {
		ld__response__free_unpacked(resp, NULL);
		return cli_fail(LD_EXIT_INTERNAL, "the daemon's answer is not JSON");
	}
	if (first && cli->json)
		json_head(out, *page, c->rows);
	else if (first)
		text_head(out, *page, c->rows);
	if (rows_text) {
		size_t n = count_values(rows_text, rows_len);
		if (n && *count)
			fputc(',', out);
		fwrite(rows_text, 1, rows_len, out);
		*count += n;
	} else {
		json_t *rows = json_object_get(*page, c->rows);
		for (size_t i = 0; cli->json && i < json_array_size(rows); i++) {
			if ((*count)++)
				fputc(',', out);
			put_value(out, json_array_get(rows, i));
		}
		if (!cli->json) {
			output_table_rows(out, table, rows);
			*count += json_array_size(rows);
		}
	}
	ld__response__free_unpacked(resp, NULL);
	return 0;
}

int run_paged(const struct cli *cli, const struct cmd_spec *c, const Ld__Request *req)
{
	const char *page_rows = getenv("LIUDONG_PAGE_ROWS");
	if (page_rows && !page_rows[0])
		page_rows = NULL;
	if (page_rows) {
		char *end;
		long rows = strtol(page_rows, &end, 10);
		if (*end || rows < 1 || rows > 10000)
			return cli_fail(
			    LD_EXIT_USAGE,
			    "$LIUDONG_PAGE_ROWS must be 1 to 10000 rows a page, not '%s'",
			    page_rows);
	}
	size_t n = 0;
	Ld__Param **pp = calloc(req->n_params + 2, sizeof(*pp));
	Ld__Param extra[2] = {LD__PARAM__INIT, LD__PARAM__INIT};
	if (!pp)
		return cli_fail(LD_EXIT_INTERNAL, "out of memory");
	for (size_t i = 0; i < req->n_params; i++)
		pp[n++] = req->params[i];
	if (page_rows) {
		extra[0].key = "limit";
		extra[0].value = (char *)page_rows;
		pp[n++] = &extra[0];
	}
	extra[1].key = "after";
	Ld__Request r = *req;
	r.params = pp;
	FILE *out = cli->json ? stdout : term_page_begin();
	struct output_table *table = cli->json ? NULL : output_table_new();
	char *after = NULL;
	size_t count = 0;
	int code = 0;
	bool printed = false;
	for (bool first = true;; first = false) {
		r.n_params = n;
		if (after) {
			extra[1].value = after;
			pp[r.n_params++] = &extra[1];
		}
		json_t *page;
		if ((code = one_page(cli, c, &r, first, out, table, &count, &page)))
			break;
		printed = printed || cli->json;
		cli_json_error_hold(printed); /* a failure from now on ends this object */
		term_page_part(out);
		json_t *next = json_object_get(page, "next");
		free(after);
		after = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
		json_decref(page);
		if (!after)
			break;
	}
	free(after);
	free(pp);
	cli_json_error_hold(false);
	if (code) {
		/* What was printed stays; for --json the object ends with the error: still one. */
		json_t *error = cli_json_error_take();
		if (printed) {
			fputs("],\"error\":", out);
			put_value(out, error);
			fputs("}\n", out);
		}
		json_decref(error);
		output_table_end(NULL, table);
		term_page_end(out);
		return code;
	}
	if (cli->json) {
		fputc(']', out);
		if (c->count)
			fprintf(out, ",\"%s\":%zu", c->count, count);
		fputs("}\n", out);
	} else {
		output_table_end(out, table);
		if (c->count) {
			json_t *o = json_pack("{s:I}", c->count, (json_int_t)count);
			output_scalars(out, o, NULL);
			json_decref(o);
		}
	}
	if (out != stdout) {
		term_page_end(out);
		return 0;
	}
	return fflush(out) == 0 ? 0 : cli_fail(LD_EXIT_INTERNAL, "cannot write the output");
}
