/*
 * pages.c: the lists the daemon answers a page at a time (due, member list and find, history,
 * audit; see the daemon's page.h). The CLI asks for the page after each (`after` = the answer's
 * `next`) until there is none, and prints each page as it arrives: for people, the first page's
 * fields, then the table's rows as they come; with --json, still exactly one JSON object, written
 * out as it goes: the first page's fields, then "ROWS":[every page's rows], then "count" where the
 * command counts them (due). So the CLI's memory does not grow with the list either. The pages
 * go over one connection, and the next page is asked for as soon as a page's `next` is known,
 * before its rows are printed: the daemon makes a page while the CLI prints the one before.
 *
 * $LIUDONG_PAGE_ROWS (1 to 10000) asks for pages of that many rows: the tests make a site bigger
 * than one page that way.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

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

/* Where the JSON string whose body starts at P ends (after its closing quote), or END. */
static const char *string_end(const char *p, const char *end)
{
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return end;
		const char *b = q;
		while (b > p && b[-1] == '\\')
			b--;
		if ((q - b) % 2 == 0) /* not escaped: an even run of backslashes before it */
			return q + 1;
		p = q + 1;
	}
}

/* How many values the comma-separated JSON values TEXT (LEN bytes) holds. */
static size_t count_values(const char *text, size_t len)
{
	size_t n = 0, depth = 0;
	bool any = false;
	const char *p = text, *end = text + len;
	while (p < end) {
		char c = *p++;
		if (c == '"') {
			p = string_end(p, end);
			any = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',' && depth == 0) {
			n++;
		}
		any = any || (c != ' ' && c != '\n');
	}
	return any ? n + 1 : 0;
}

/*
 * A page as it came: the answer (RESP), its fields and next parsed (HEAD), and its rows: as text
 * inside the answer (ROWS, ROWS_LEN), or, when the page was not laid out as split_page expects,
 * NULL and the rows in HEAD.
 */
struct page_in {
	Ld__Response *resp;
	json_t *head;
	const char *rows;
	size_t rows_len;
};

static void page_in_free(struct page_in *p)
{
	json_decref(p->head);
	if (p->resp)
		ld__response__free_unpacked(p->resp, NULL);
	memset(p, 0, sizeof(*p));
}

/* Receive the answer to the oldest page asked for on FD into P. 0 or the exit code, said. */
static int page_receive(const struct cli *cli, const struct cmd_spec *c, int fd, struct page_in *p)
{
	memset(p, 0, sizeof(*p));
	int code = cli_receive(cli, fd, &p->resp);
	if (code)
		return code;
	const char *text = p->resp->json ? p->resp->json : "{}";
	if (split_page(text, c->rows, &p->head, &p->rows, &p->rows_len) != 0) {
		p->rows = NULL;
		p->head = json_loads(text, 0, NULL); /* not laid out as expected: parsed whole */
	}
	if (!p->head) {
		page_in_free(p);
		return cli_fail(LD_EXIT_INTERNAL, "the daemon's answer is not JSON");
	}
	return 0;
}

/*
 * For people, a page's rows are parsed into JSON objects that all go at once, once printed: while
 * they are parsed, printed and let go, jansson allocates from blocks of ROWS_BLOCK cut in turn and
 * freed together after (json_set_alloc_funcs; its free does nothing meanwhile). A quarter of the
 * CLI's time on `due` for people went to malloc and free.
 */
#define ROWS_BLOCK (4u << 20)

struct rows_block {
	struct rows_block *next;
	size_t used, cap;
	max_align_t data[];
};

static struct rows_block *rows_blocks;

static void *rows_malloc(size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	struct rows_block *b = rows_blocks;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ROWS_BLOCK ? n : ROWS_BLOCK;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->next = rows_blocks;
		b->used = 0;
		b->cap = cap;
		rows_blocks = b;
	}
	void *p = (unsigned char *)b->data + b->used;
	b->used += n;
	return p;
}

static void rows_free(void *p)
{
	(void)p;
}

static void rows_release(void)
{
	while (rows_blocks) {
		struct rows_block *next = rows_blocks->next;
		free(rows_blocks);
		rows_blocks = next;
	}
}

/* The rows TEXT (LEN bytes, "[" ROWS "]") for people into TABLE, *count counting them. */
static int table_rows(FILE *out, struct output_table *table, const char *text, size_t len,
		      size_t *count)
{
	json_malloc_t old_malloc;
	json_free_t old_free;
	json_get_alloc_funcs(&old_malloc, &old_free);
	json_set_alloc_funcs(rows_malloc, rows_free);
	json_t *rows = json_loadb(text, len, 0, NULL);
	if (json_is_array(rows)) {
		output_table_rows(out, table, rows);
		*count += json_array_size(rows);
	}
	bool ok = json_is_array(rows);
	json_decref(rows);
	json_set_alloc_funcs(old_malloc, old_free);
	rows_release();
	return ok ? 0 : cli_fail(LD_EXIT_INTERNAL, "the daemon's answer is not JSON");
}

/*
 * Print P's rows: for --json as the text came (after a comma when *count rows went before), for
 * people into TABLE. 0 or the exit code, said.
 */
static int print_rows(const struct cli *cli, const struct cmd_spec *c, const struct page_in *p,
		      FILE *out, struct output_table *table, size_t *count)
{
	if (p->rows && cli->json) {
		size_t n = count_values(p->rows, p->rows_len);
		if (n && *count)
			fputc(',', out);
		fwrite(p->rows, 1, p->rows_len, out);
		*count += n;
		return 0;
	}
	/* For people: "[" ROWS "]", the brackets around them in the answer. */
	if (p->rows)
		return table_rows(out, table, p->rows - 1, p->rows_len + 2, count);
	json_t *rows = json_object_get(p->head, c->rows);
	for (size_t i = 0; cli->json && i < json_array_size(rows); i++) {
		if ((*count)++)
			fputc(',', out);
		put_value(out, json_array_get(rows, i));
	}
	if (!cli->json) {
		output_table_rows(out, table, rows);
		*count += json_array_size(rows);
	}
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
#ifdef __GLIBC__
	/*
	 * A page (up to a MiB) is read, unpacked and freed, page after page: what is freed is kept
	 * for the next, not given back to the kernel to be faulted in again (that was half of the
	 * CLI's time on due --json). The CLI's memory stays a few pages.
	 */
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
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
	size_t count = 0;
	bool printed = false;
	int fd = -1;
	r.n_params = n;
	int code = cli_connect(cli, &fd);
	if (code == 0)
		code = cli_send(cli, fd, &r);
	for (bool first = true; code == 0; first = false) {
		struct page_in p;
		if ((code = page_receive(cli, c, fd, &p)))
			break;
		if (first && cli->json)
			json_head(out, p.head, c->rows);
		else if (first)
			text_head(out, p.head, c->rows);
		printed = printed || cli->json;
		cli_json_error_hold(printed); /* a failure from now on ends this object */
		/* The next page is asked for before this one's rows are printed: the daemon makes
		 * it meanwhile. */
		json_t *next = json_object_get(p.head, "next");
		bool more = json_is_string(next);
		int sent = 0;
		if (more) {
			extra[1].value = (char *)json_string_value(next);
			pp[n] = &extra[1];
			r.n_params = n + 1;
			sent = cli_send(cli, fd, &r);
		}
		code = print_rows(cli, c, &p, out, table, &count);
		term_page_part(out);
		page_in_free(&p);
		if (code == 0)
			code = sent;
		if (!more)
			break;
	}
	if (fd >= 0)
		close(fd);
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
