/*
 * fuzz_import.c: a register file for `liudong import members FILE`: the CLI sends the file's text
 * whole (param csv), and the daemon's handler (cmd_import, server/cmd_bulk.c) reads it with
 * csv.c and checks every row as `member add` and `outflow register` do (register.c). The input is
 * the file; it goes through that handler on a real site (fuzz_site.h) with branches 001 and 002
 * and the peer 南京 pinned, in a write transaction that is then aborted.
 *
 * Invariants (a violation traps): the CSV reader's records, written again with csv_write_field,
 * read back as the same records; a refusal gives a reason; "N bad row(s)" comes with a warning
 * naming each bad row (up to 1,000, then one more line), each a line of text; an import that
 * succeeds says how many members it imported, no more than the file's records.
 * FUZZ_IMPORT_VERBOSE prints each input's outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz_site.h"
#include "lderr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct daemon site;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_site_open(&site, NULL);
	uint8_t peer[LD_SITE_ID_BYTES];
	char peer_text[LD_SITE_ID_TEXT];
	memset(peer, 0xb2, sizeof(peer));
	siteid_format(peer, peer_text);
	struct store_txn *txn;
	if (store_begin(site.store, true, &txn) ||
	    fuzz_site_run(&site, txn, "branch.add",
			  (const char *[]){"arg", "001", "name", "第一支部", NULL}, NULL) ||
	    fuzz_site_run(&site, txn, "branch.add",
			  (const char *[]){"arg", "002", "name", "第二支部", NULL}, NULL) ||
	    fuzz_site_run(
		&site, txn, "peer.add",
		(const char *[]){"arg", "南京", "id", peer_text, "address", "127.0.0.1:7700", NULL},
		NULL) ||
	    store_commit(txn))
		abort();
	return 0;
}

/* The records of TEXT, read, written and read again: the same. Returns how many were read. */
static size_t check_csv(const char *text, size_t len)
{
	struct csv_reader a, b;
	char *out = NULL;
	size_t out_len = 0, records = 0;
	FILE *f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	fputs(CSV_BOM, f); /* as export writes it: the reader skips one BOM, not two */
	csv_reader_init(&a, text, len);
	char **fields;
	size_t n, line;
	int rc;
	while ((rc = csv_next(&a, &fields, &n, &line)) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', f);
			csv_write_field(f, fields[i]);
		}
		fputs("\r\n", f);
		records++;
	}
	if (rc != LD_ENOTFOUND && rc != LD_EINPUT)
		__builtin_trap();
	if (fclose(f) != 0)
		abort();
	/* What was read before the end (or the first fault) reads back field by field. */
	csv_reader_free(&a);
	csv_reader_init(&a, text, len);
	csv_reader_init(&b, out, out_len);
	for (size_t r = 0; r < records; r++) {
		char **fa, **fb;
		size_t na, nb;
		if (csv_next(&a, &fa, &na, &line) != 0 || csv_next(&b, &fb, &nb, &line) != 0 ||
		    na != nb)
			__builtin_trap();
		/* csv_write_field guards a cell that Excel would take for a formula with a "'",
		 * which csv_cell_value takes away again: the value read is the value written. */
		for (size_t i = 0; i < na; i++)
			if (strcmp(fa[i], csv_cell_value(fb[i])) != 0)
				__builtin_trap();
	}
	if (csv_next(&b, &fields, &n, &line) != LD_ENOTFOUND)
		__builtin_trap(); /* what we wrote holds more than was read */
	csv_reader_free(&a);
	csv_reader_free(&b);
	free(out);
	return records;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *csv = malloc(size + 1);
	if (!csv)
		return 0;
	memcpy(csv, data, size);
	csv[size] = '\0'; /* a protobuf string: the handler reads up to the first NUL */
	size_t records = check_csv(csv, strlen(csv));
	struct store_txn *txn;
	if (store_begin(site.store, true, &txn) != 0) {
		free(csv);
		return 0;
	}
	struct fuzz_answer a;
	int rc = fuzz_site_run(
	    &site, txn, "import",
	    (const char *[]){"arg", "members", "file", "register.csv", "csv", csv, NULL}, &a);
	store_abort(txn);
	if (getenv("FUZZ_IMPORT_VERBOSE"))
		fprintf(stderr, "fuzz_import: %d %s\n", rc, a.error);
	if (rc == 0) {
		json_t *imported = json_object_get(a.result, "imported");
		if (!json_is_integer(imported) || json_integer_value(imported) < 0 ||
		    (size_t)json_integer_value(imported) >= (records ? records : 1))
			__builtin_trap(); /* the header is not a member */
	}
	size_t bad;
	if (rc == LD_EINPUT && sscanf(a.error, "%zu bad row(s)", &bad) == 1) {
		/* Every bad row named (up to 1,000), each in a line of text. */
		size_t shown = bad > 1000 ? 1001 : bad;
		if (json_array_size(a.warnings) != shown)
			__builtin_trap();
		for (size_t i = 0; i < shown; i++) {
			const char *w = json_string_value(json_array_get(a.warnings, i));
			if (!w || !w[0] || strchr(w, '\n'))
				__builtin_trap();
		}
	}
	fuzz_answer_free(&a);
	free(csv);
	return 0;
}
