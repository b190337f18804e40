/*
 * term.c: see term.h. The list is written into a memory stream; after each page the lines so far
 * are counted, and once they are more than the terminal's rows the pager is started (popen, so
 * $PAGER may hold options) and fed what came so far and every later page. A pager quit early
 * (q in less) is no error: what is left is dropped.
 */
#include "term.h"

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static struct {
	FILE *mem; /* the list so far (since the pager took the last part) */
	char *buf;
	size_t size;
	size_t lines; /* newlines seen so far */
	size_t rows;  /* the terminal's */
	FILE *pager;  /* once started */
} term;

static bool progress_shown; /* a progress line is on stderr */

/* The pager to run, or NULL for none. */
static const char *pager_command(void)
{
	const char *p = getenv("PAGER");
	if (!p)
		return "less -FRX";
	while (*p == ' ')
		p++;
	if (!*p || strcmp(p, "cat") == 0)
		return NULL;
	return p;
}

size_t term_columns(size_t fallback)
{
	struct winsize ws;
	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
		return fallback;
	return ws.ws_col;
}

FILE *term_page_begin(void)
{
	struct winsize ws;
	if (term.mem || !isatty(STDOUT_FILENO) || !pager_command() ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0)
		return stdout;
	term.mem = open_memstream(&term.buf, &term.size);
	if (!term.mem)
		return stdout;
	term.rows = ws.ws_row;
	term.lines = 0;
	term.pager = NULL;
	return term.mem;
}

/* Hand what the buffer holds to the pager and empty it. */
static void feed_pager(void)
{
	fflush(term.mem);
	if (term.size && fwrite(term.buf, 1, term.size, term.pager) != term.size)
		clearerr(term.pager); /* the pager quit: the rest is dropped */
	fseeko(term.mem, 0, SEEK_SET);
	fflush(term.mem);
}

void term_page_part(FILE *out)
{
	if (!term.mem || out != term.mem)
		return;
	fflush(term.mem);
	if (!term.pager) {
		term.lines = 0;
		for (size_t i = 0; i < term.size; i++)
			term.lines += term.buf[i] == '\n';
		/* One row is left for the shell's prompt after the list. */
		if (term.lines < term.rows)
			return;
		fflush(stdout);
		signal(SIGPIPE, SIG_IGN); /* the pager may quit before the list ends */
		term.pager = popen(pager_command(), "w");
		if (!term.pager) {
			/* No pager after all: what came goes to stdout, and the rest with it. */
			fwrite(term.buf, 1, term.size, stdout);
			fseeko(term.mem, 0, SEEK_SET);
			fflush(term.mem);
			term.pager = stdout;
			return;
		}
	}
	feed_pager();
}

void term_page_end(FILE *out)
{
	if (!term.mem || out != term.mem) {
		fflush(out);
		return;
	}
	term_page_part(out);
	if (!term.pager) {
		fflush(term.mem);
		fwrite(term.buf, 1, term.size, stdout);
		fflush(stdout);
	} else if (term.pager == stdout) {
		feed_pager();
		fflush(stdout);
	} else {
		feed_pager();
		pclose(term.pager);
	}
	fclose(term.mem);
	free(term.buf);
	memset(&term, 0, sizeof(term));
}

void term_progress(const char *fmt, ...)
{
	if (!isatty(STDERR_FILENO))
		return;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Back to the line's start, erase it, write the new text. */
	fprintf(stderr, "\r\033[Kliudong: %s", text);
	fflush(stderr);
	progress_shown = true;
}

void term_progress_end(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = false;
}
