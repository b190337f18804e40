/*
 * complete.c: the words the shell may complete, read from the command table (cli.c), so the
 * bash completion (scripts/completion/liudong.bash, installed as
 * share/bash-completion/completions/liudong) cannot drift from the CLI.
 *
 * `liudong __complete WORD... CUR` (hidden) prints, one a line, the words that may stand where CUR
 * stands after WORD... (the command line so far, without `liudong`) and begin with CUR: command
 * words, options (`--name`, not those given already), and the words of an enumeration: an
 * option's or a positional's meta that lists them (`work|business|...`, `lapse`), or, for the
 * metas the table names by a placeholder, the domain's own list (CATEGORY: the dues categories of
 * dues.c; STATE: the locations of domain.c). A line `::files` asks the shell for file names.
 *
 * `liudong __man` (hidden) prints the same table as the COMMANDS section of liudong(1), in scdoc.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "domain.h"
#include "dues.h"

#define FILES_MARK "::files"

struct completion {
	const char *cur; /* the word being completed; only words starting with it are printed */
	size_t cur_len;
};

static void offer(const struct completion *k, const char *word, size_t len)
{
	if (len >= k->cur_len && strncmp(word, k->cur, k->cur_len) == 0)
		printf("%.*s\n", (int)len, word);
}

static void offer_str(const struct completion *k, const char *word)
{
	offer(k, word, strlen(word));
}

/* META lists its words: it has a '|', or it is one lowercase word ("lapse", "members"). */
static bool meta_is_words(const char *meta, size_t len)
{
	if (memchr(meta, '|', len))
		return true;
	for (size_t i = 0; i < len; i++) {
		if (!((meta[i] >= 'a' && meta[i] <= 'z') || meta[i] == '-'))
			return false;
	}
	return len > 0;
}

/* The words of META (LEN bytes), an option's or a positional's, or files for FILE. */
static void offer_meta(const struct completion *k, const char *meta, size_t len)
{
	if (len == strlen("CATEGORY") && strncmp(meta, "CATEGORY", len) == 0) {
		for (int c = 0; c < DUES_CATEGORY_COUNT; c++)
			offer_str(k, dues_category_name((enum dues_category)c));
	} else if (len == strlen("STATE") && strncmp(meta, "STATE", len) == 0) {
		for (int l = 0; l < LOC_COUNT; l++)
			offer_str(k, location_name((enum location)l));
	} else if (len == strlen("FILE") && strncmp(meta, "FILE", len) == 0) {
		puts(FILES_MARK);
	} else if (meta_is_words(meta, len)) {
		const char *end = meta + len;
		for (const char *w = meta; w < end;) {
			const char *bar = memchr(w, '|', (size_t)(end - w));
			size_t n = bar ? (size_t)(bar - w) : (size_t)(end - w);
			offer(k, w, n);
			w += n + 1;
		}
	}
}

/* The Nth (from 0) word of C's args ("CODE IDNO...", "members FILE"), as a meta. */
static void offer_positional(const struct completion *k, const struct cmd_spec *c, int n)
{
	const char *a = c->args;
	for (int i = 0; *a; i++) {
		size_t len = strcspn(a, " ");
		if (i == n || (len >= 3 && strncmp(a + len - 3, "...", 3) == 0 && i < n)) {
			if (a[0] != '[')
				offer_meta(k, a, len);
			return;
		}
		a += len;
		a += strspn(a, " ");
	}
}

static const struct opt_spec *find_opt(const struct cmd_spec *c, const char *word)
{
	if (strncmp(word, "--", 2) != 0)
		return NULL;
	for (const struct opt_spec *o = c->opts; o->name; o++) {
		if (strcmp(o->name, word + 2) == 0)
			return o;
	}
	return NULL;
}

static bool given(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0)
			return true;
	}
	return false;
}

/* The global options; --version only before the command (TOP). */
static void offer_globals(const struct completion *k, bool top)
{
	static const char *const globals[] = {"--json", "--socket", "--operator", "--help"};
	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
		offer_str(k, globals[i]);
	if (top)
		offer_str(k, "--version");
}

/* Is WORD a global option that takes a value (-s, --socket, --operator)? */
static bool global_takes_value(const char *word)
{
	return strcmp(word, "-s") == 0 || strcmp(word, "--socket") == 0 ||
	       strcmp(word, "--operator") == 0;
}

int cli_complete(int argc, char **argv)
{
	size_t n_commands;
	const struct cmd_spec *commands = cli_commands(&n_commands);
	struct completion k = {.cur = argc > 0 ? argv[argc - 1] : ""};
	k.cur_len = strlen(k.cur);
	int nwords = argc > 0 ? argc - 1 : 0;

	/* The words before CUR, less the global options and their values. */
	char *words[64];
	int n = 0;
	for (int i = 0; i < nwords; i++) {
		if (global_takes_value(argv[i])) {
			if (i + 1 == nwords) { /* CUR is the value */
				if (strcmp(argv[i], "--operator") != 0)
					puts(FILES_MARK);
				return 0;
			}
			i++;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0 || strncmp(argv[i], "--socket=", 9) == 0 ||
		    strncmp(argv[i], "--operator=", 11) == 0)
			continue;
		if (n < (int)(sizeof(words) / sizeof(words[0])))
			words[n++] = argv[i];
	}

	/* The command: the longest match of its first one or two words. */
	const struct cmd_spec *c = NULL;
	int used = 0;
	for (size_t i = 0; i < n_commands; i++) {
		const char *w = commands[i].words;
		size_t len0 = strcspn(w, " ");
		if (n < 1 || strlen(words[0]) != len0 || strncmp(w, words[0], len0) != 0)
			continue;
		if (w[len0] == '\0' && used < 1) {
			c = &commands[i];
			used = 1;
		} else if (w[len0] == ' ' && n >= 2 && strcmp(w + len0 + 1, words[1]) == 0) {
			c = &commands[i];
			used = 2;
		}
	}

	if (n == 0) {
		/* The first word of every command (each once), or a global option. */
		for (size_t i = 0; i < n_commands; i++) {
			size_t len0 = strcspn(commands[i].words, " ");
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = strncmp(commands[j].words, commands[i].words, len0) == 0 &&
				       strcspn(commands[j].words, " ") == len0;
			if (!seen && k.cur[0] != '-')
				offer(&k, commands[i].words, len0);
		}
		if (k.cur[0] == '-')
			offer_globals(&k, true);
		return 0;
	}
	if (n == 1) {
		/* Second words of the group words[0] names (`peer add`, `conflicts resolve`). */
		size_t len0 = strlen(words[0]);
		for (size_t i = 0; i < n_commands && k.cur[0] != '-'; i++) {
			const char *w = commands[i].words;
			if (strncmp(w, words[0], len0) == 0 && w[len0] == ' ')
				offer_str(&k, w + len0 + 1);
		}
	}
	if (!c)
		return 0;

	/* The value of an option of C just named. */
	const char *prev = argv[nwords - 1 >= 0 ? nwords - 1 : 0];
	const struct opt_spec *o = nwords > 0 && n > used ? find_opt(c, prev) : NULL;
	if (o && o->has_arg) {
		offer_meta(&k, o->meta, strlen(o->meta));
		return 0;
	}
	if (k.cur[0] == '-') {
		for (o = c->opts; o->name; o++) {
			if (!given(n - used, words + used, o->name)) {
				char opt[64];
				snprintf(opt, sizeof(opt), "--%s", o->name);
				offer_str(&k, opt);
			}
		}
		offer_globals(&k, false);
		return 0;
	}
	/* A positional: count those before CUR (words that are neither options nor their values).
	 */
	int pos = 0;
	for (int i = used; i < n; i++) {
		const struct opt_spec *w = find_opt(c, words[i]);
		if (w && w->has_arg)
			i++;
		else if (!w && words[i][0] != '-')
			pos++;
	}
	if (pos < c->max_args)
		offer_positional(&k, c, pos);
	return 0;
}

/* Print TEXT for scdoc: '*', '_' and '\' escaped, so none starts bold or underline. */
static void scdoc_text(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '*' || text[i] == '_' || text[i] == '\\')
			putchar('\\');
		putchar(text[i]);
	}
}

static void scdoc_str(const char *text)
{
	scdoc_text(text, strlen(text));
}

int cli_man_commands(void)
{
	size_t n_commands;
	const struct cmd_spec *commands = cli_commands(&n_commands);
	for (size_t i = 0; i < n_commands; i++) {
		const struct cmd_spec *c = &commands[i];
		fputs("*liudong ", stdout);
		scdoc_str(c->words);
		putchar('*');
		if (c->args[0]) {
			putchar(' ');
			scdoc_str(c->args);
		}
		for (const struct opt_spec *o = c->opts; o->name; o++) {
			printf(" %s*--", o->required ? "" : "[");
			scdoc_str(o->name);
			putchar('*');
			if (o->has_arg) {
				fputs(" _", stdout);
				scdoc_str(o->meta);
				putchar('_');
			}
			if (!o->required)
				putchar(']');
		}
		fputs("\n\t", stdout);
		scdoc_str(c->help);
		fputs(".\n\n", stdout);
	}
	return 0;
}
