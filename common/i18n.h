/*
 * i18n.h: the one way text that staff read is marked for translation (gettext, text domain
 * "liudong", catalogs in po/). _() translates now, N_() only marks a string (tables, initializers)
 * for xgettext and is translated where it is shown.
 */
#pragma once

#include <libintl.h>

#define LIUDONG_TEXTDOMAIN "liudong"

#define _(s) dgettext(LIUDONG_TEXTDOMAIN, s)
#define N_(s) s
