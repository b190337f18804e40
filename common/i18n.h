/*
 * i18n.h: the one way text that staff read is marked for translation (gettext, text domain
 * "liudong", catalogs in po/). _() translates now, N_() only marks a string (tables, initializers)
 * for xgettext and is translated where it is shown.
 *
 * The catalogs are looked up in $LIUDONG_LOCALEDIR if set (the tests set it to the build tree's
 * po/, where the .mo files are built), else in the installed locale directory (LD_LOCALEDIR).
 *
 * The CLI shows text in its own locale (i18n_init_program). The daemon shows each request's
 * messages in the language its client sent: i18n_locale gives the locale to switch a thread to
 * with uselocale() while the request runs (glibc's gettext honours a thread's locale).
 */
#pragma once

#include <libintl.h>
#include <locale.h>
#include <stdbool.h>

#define LIUDONG_TEXTDOMAIN "liudong"

#define _(s)  dgettext(LIUDONG_TEXTDOMAIN, s)
#define N_(s) s
/* Marks S as a msgid in context CTX ("label": a field's key shown as a label). */
#define NC_(ctx, s) s

/* The translation of KEY in context CTX (NC_(CTX, KEY)), or NULL if it has none. */
const char *i18n_context(const char *ctx, const char *key);

/* The translation of KEY in context "label" (NC_("label", KEY)), or NULL if it has none. */
const char *i18n_label(const char *key);

/*
 * Bind the text domain to its directory, its text as UTF-8. Call once, before threads start; the
 * daemon calls this alone (it keeps the C locale for itself). Returns 0 or -ENOMEM.
 */
int i18n_bind(void);

/* The CLI: the user's locale (setlocale(LC_ALL, "")) and i18n_bind. Returns 0 or -ENOMEM. */
int i18n_init_program(void);

/*
 * The language the CLI asks the daemon to speak: its LC_MESSAGES locale's name without codeset
 * ("zh_CN"), or NULL when it is C or POSIX. Borrowed, valid until the next setlocale.
 */
const char *i18n_client_lang(void);

/*
 * The locale for messages in LANG (as i18n_client_lang gives it, "zh_CN"; codeset and modifier
 * ignored), or (locale_t)0 when LANG is NULL, empty, not a language with a catalog, or not
 * installed on this machine: English. Made once per language and kept until the process ends, so
 * a thread may use it at any time. Thread-safe.
 */
locale_t i18n_locale(const char *lang);

/*
 * Switch the calling thread to LOC for messages (uselocale); (locale_t)0 means C. Returns the
 * locale to give back to i18n_restore.
 */
locale_t i18n_use(locale_t loc);
void i18n_restore(locale_t old);

/*
 * The language the calling thread's messages are in ("zh_CN"), or NULL for English: the language
 * of the locale i18n_use switched it to (one of i18n_locale's), else, on a thread with the
 * process's locale, i18n_client_lang (NULL in the daemon, which keeps C). Borrowed: valid until
 * the process ends, or until the next setlocale when it is i18n_client_lang's. Thread-safe.
 */
const char *i18n_lang(void);

/* True if the calling thread's messages are in Chinese (i18n_lang is "zh..."). */
bool i18n_chinese(void);
