/*
 * jout.c: see jout.h. The text follows jansson 2.14's compact dump (dump.c): `{"k":v,"k":v}`, no
 * spaces; in strings `"` and `\` escaped, \b \f \n \r \t as such, other bytes under 0x20 as
 * \u00XX (upper-case hex), everything else (`/`, DEL, non-ASCII) as it is; strings are checked as
 * jansson's utf8_check does (no overlong forms, no surrogates, nothing over U+10FFFF).
 */
#include "jout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOUT_FIRST_CAP 1024

void jout_tree(struct jout *o, json_t *object)
{
	memset(o, 0, sizeof(*o));
	o->objects[0] = object;
	o->depth = 1;
}

/* Room for N more bytes (and the NUL of jout_text_take); false once memory ran out. */
static bool room(struct jout *o, size_t n)
{
	if (o->failed)
		return false;
	if (o->cap - o->len > n)
		return true;
	size_t cap = o->cap ? o->cap : JOUT_FIRST_CAP;
	while (cap - o->len <= n) {
		if (cap > SIZE_MAX / 2) {
			o->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *b = realloc(o->buf, cap);
	if (!b) {
		o->failed = true;
		return false;
	}
	o->buf = b;
	o->cap = cap;
	return true;
}

static void put(struct jout *o, const char *s, size_t n)
{
	if (room(o, n)) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

void jout_text(struct jout *o)
{
	memset(o, 0, sizeof(*o));
	o->text_mode = true;
	o->depth = 1;
	o->empty[0] = true;
	put(o, "{", 1);
}

char *jout_text_take(struct jout *o)
{
	put(o, "}", 1);
	if (o->failed || o->depth != 1) {
		jout_text_free(o);
		return NULL;
	}
	o->buf[o->len] = '\0';
	char *text = o->buf;
	o->buf = NULL;
	o->len = o->cap = 0;
	return text;
}

void jout_text_free(struct jout *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

/* The length of the UTF-8 sequence at S (1 to 4), 0 if it is not one (jansson's utf8_check). */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char u = s[0];
	size_t n;
	uint32_t v;
	if (u < 0x80)
		return 1;
	if (u >= 0xC2 && u <= 0xDF) {
		n = 2;
		v = u & 0x1F;
	} else if (u >= 0xE0 && u <= 0xEF) {
		n = 3;
		v = u & 0x0F;
	} else if (u >= 0xF0 && u <= 0xF4) {
		n = 4;
		v = u & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) /* the NUL that ends the string stops here too */
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
	    (n == 4 && v < 0x10000))
		return 0;
	return n;
}

/* S as a JSON string, quoted and escaped; false (nothing kept) if S is not UTF-8. */
static bool put_string(struct jout *o, const char *s)
{
	size_t mark = o->len;
	const unsigned char *p = (const unsigned char *)s;
	put(o, "\"", 1);
	while (*p) {
		const unsigned char *run = p; /* bytes copied as they are */
		size_t n;
		for (;;) {
			while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
				p++; /* ASCII needs no check */
			if (*p < 0x80 || (n = utf8_seq(p)) == 0)
				break;
			p += n;
		}
		put(o, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		char esc[8];
		const char *e = esc;
		size_t len = 2;
		switch (*p) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\t':
			e = "\\t";
			break;
		default:
			if (*p >= 0x20) { /* not UTF-8 */
				o->len = mark;
				return false;
			}
			snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)*p);
			len = 6;
		}
		put(o, e, len);
		p++;
	}
	put(o, "\"", 1);
	return true;
}

/* The separator and "KEY": before a value in the current object. */
static void put_key(struct jout *o, const char *key)
{
	unsigned d = o->depth - 1;
	if (!o->empty[d])
		put(o, ",", 1);
	o->empty[d] = false;
	size_t n = strlen(key); /* a constant that needs no escape (jout.h) */
	if (room(o, n + 3)) {
		o->buf[o->len] = '"';
		memcpy(o->buf + o->len + 1, key, n);
		o->buf[o->len + n + 1] = '"';
		o->buf[o->len + n + 2] = ':';
		o->len += n + 3;
	}
}

/* Tree: set KEY to V (a new reference; NULL sets nothing) in the current object. */
static void tree_set(struct jout *o, const char *key, json_t *v)
{
	json_object_set_new(o->objects[o->depth - 1], key, v);
}

void jout_begin(struct jout *o, const char *key)
{
	if (o->depth >= JOUT_DEPTH) { /* a caller's mistake: counted, so jout_end still pairs */
		o->depth++;
		o->failed = true;
		return;
	}
	unsigned d = o->depth;
	o->keys[d] = key;
	o->bad[d] = false;
	if (!o->text_mode) {
		o->objects[d] = json_object();
		o->depth++;
		return;
	}
	o->start[d] = o->len;
	o->was_empty[d] = o->empty[d - 1];
	put_key(o, key);
	put(o, "{", 1);
	o->empty[d] = true;
	o->depth++;
}

void jout_end(struct jout *o)
{
	if (o->depth < 2) {
		o->failed = true;
		return;
	}
	unsigned d = --o->depth;
	if (d >= JOUT_DEPTH)
		return; /* jout_begin refused it */
	if (!o->text_mode) {
		json_t *obj = o->objects[d];
		if (o->bad[d]) { /* left out whole, as json_pack gives NULL */
			json_decref(obj);
			obj = NULL;
		}
		tree_set(o, o->keys[d], obj);
		return;
	}
	if (o->bad[d]) {
		o->len = o->start[d];
		o->empty[d - 1] = o->was_empty[d];
		return;
	}
	put(o, "}", 1);
}

void jout_string(struct jout *o, const char *key, const char *s)
{
	unsigned d = o->depth - 1;
	if (d >= JOUT_DEPTH)
		return;
	if (!o->text_mode) {
		json_t *v = s ? json_string(s) : NULL;
		if (!v)
			o->bad[d] = true;
		tree_set(o, key, v);
		return;
	}
	size_t mark = o->len;
	bool was_empty = o->empty[d];
	put_key(o, key);
	if (!s || !put_string(o, s)) {
		o->len = mark;
		o->empty[d] = was_empty;
		o->bad[d] = true;
	}
}

void jout_integer(struct jout *o, const char *key, int64_t v)
{
	if (o->depth > JOUT_DEPTH)
		return;
	if (!o->text_mode) {
		tree_set(o, key, json_integer((json_int_t)v));
		return;
	}
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);
	put_key(o, key);
	put(o, num, (size_t)n);
}

void jout_bool(struct jout *o, const char *key, bool v)
{
	if (o->depth > JOUT_DEPTH)
		return;
	if (!o->text_mode) {
		tree_set(o, key, json_boolean(v));
		return;
	}
	put_key(o, key);
	put(o, v ? "true" : "false", v ? 4 : 5);
}

void jout_null(struct jout *o, const char *key)
{
	if (o->depth > JOUT_DEPTH)
		return;
	if (!o->text_mode) {
		tree_set(o, key, json_null());
		return;
	}
	put_key(o, key);
	put(o, "null", 4);
}
