/*
 * i18n.c: see i18n.h. The languages with a catalog are po/LINGUAS, given by the build
 * (LD_LINGUAS, space-separated); a client may name any other and gets English.
 */
#include "i18n.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LD_LOCALEDIR
#define LD_LOCALEDIR "/usr/local/share/locale"
#endif
#ifndef LD_LINGUAS
#define LD_LINGUAS ""
#endif

#define LANG_MAX  16
#define LANGS_MAX 8

int i18n_bind(void)
{
	const char *dir = getenv("LIUDONG_LOCALEDIR");
	if (!dir || !dir[0])
		dir = LD_LOCALEDIR;
	if (!bindtextdomain(LIUDONG_TEXTDOMAIN, dir))
		return -ENOMEM;
	if (!bind_textdomain_codeset(LIUDONG_TEXTDOMAIN, "UTF-8"))
		return -ENOMEM;
	return 0;
}

int i18n_init_program(void)
{
	setlocale(LC_ALL, "");
	return i18n_bind();
}

/* Copy LANG's language part ("zh_CN" of "zh_CN.UTF-8@x") into OUT; false if it is not one. */
static bool lang_base(const char *lang, char out[LANG_MAX])
{
	size_t n = 0;
	if (!lang)
		return false;
	for (; lang[n] && lang[n] != '.' && lang[n] != '@'; n++) {
		char c = lang[n];
		if (n + 1 >= LANG_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
			return false;
		out[n] = c;
	}
	out[n] = '\0';
	return n >= 2;
}

const char *i18n_client_lang(void)
{
	static char base[LANG_MAX];
	/* LANGUAGE, as gettext reads it, wins over the locale when the locale is not C. */
	const char *name = setlocale(LC_MESSAGES, NULL);
	if (!name || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 ||
	    strncmp(name, "C.", 2) == 0)
		return NULL;
	const char *language = getenv("LANGUAGE");
	if (language && language[0]) {
		char first[LANG_MAX * 2];
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(language, ":"), language);
		if (lang_base(first, base))
			return base;
	}
	return lang_base(name, base) ? base : NULL;
}

/* True if BASE names a language with a catalog. */
static bool lang_known(const char *base)
{
	const char *p = LD_LINGUAS;
	size_t n = strlen(base);
	while (*p) {
		size_t k = strcspn(p, " ");
		if (k == n && strncmp(p, base, n) == 0)
			return true;
		p += k;
		p += strspn(p, " ");
	}
	return false;
}

static pthread_mutex_t locales_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char lang[LANG_MAX];
	locale_t loc; /* (locale_t)0: not installed here */
} locales[LANGS_MAX];
static size_t n_locales;

locale_t i18n_locale(const char *lang)
{
	char base[LANG_MAX];
	if (!lang_base(lang, base) || !lang_known(base))
		return (locale_t)0;
	locale_t loc = (locale_t)0;
	pthread_mutex_lock(&locales_lock);
	size_t i = 0;
	while (i < n_locales && strcmp(locales[i].lang, base) != 0)
		i++;
	if (i < n_locales) {
		loc = locales[i].loc;
	} else if (n_locales < LANGS_MAX) {
		char name[LANG_MAX + 8];
		snprintf(name, sizeof(name), "%s.UTF-8", base);
		loc = newlocale(LC_MESSAGES_MASK, name, (locale_t)0);
		snprintf(locales[n_locales].lang, LANG_MAX, "%s", base);
		locales[n_locales++].loc = loc;
	}
	pthread_mutex_unlock(&locales_lock);
	return loc;
}

locale_t i18n_use(locale_t loc)
{
	return uselocale(loc ? loc : LC_GLOBAL_LOCALE);
}

void i18n_restore(locale_t old)
{
	if (old)
		uselocale(old);
}

const char *i18n_lang(void)
{
	locale_t current = uselocale((locale_t)0);
	if (current == LC_GLOBAL_LOCALE)
		return i18n_client_lang();
	const char *lang = NULL;
	pthread_mutex_lock(&locales_lock);
	/* An entry is written once and never changed: its name may be read after the unlock. */
	for (size_t i = 0; i < n_locales && !lang; i++)
		if (locales[i].loc && locales[i].loc == current)
			lang = locales[i].lang;
	pthread_mutex_unlock(&locales_lock);
	return lang;
}

bool i18n_chinese(void)
{
	const char *lang = i18n_lang();
	return lang && strncmp(lang, "zh", 2) == 0;
}

const char *i18n_context(const char *ctx, const char *key)
{
	char id[128];
	/* gettext's msgctxt: the context and the msgid joined by EOT (\004). */
	if ((size_t)snprintf(id, sizeof(id), "%s\004%s", ctx, key) >= sizeof(id))
		return NULL;
	const char *t = dgettext(LIUDONG_TEXTDOMAIN, id);
	return t == id ? NULL : t;
}

const char *i18n_label(const char *key)
{
	return i18n_context("label", key);
}
