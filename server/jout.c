/*
 * jout.c: see jout.h. The text follows jansson 2.14's compact dump (dump.c): `{"k":v,"k":v}`, no
 * spaces; strings as textbuf_json_string writes them.
 */
#include "jout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jout_tree(struct jout *o, json_t *object)
{
	memset(o, 0, sizeof(*o));
	o->objects[0] = object;
	o->depth = 1;
}

/* Room for N more bytes (and the NUL of jout_text_take); false once memory ran out. */
static bool room(struct jout *o, size_t n)
{
	return textbuf_reserve(&o->text, n);
}

static void put(struct jout *o, const char *s, size_t n)
{
	textbuf_add(&o->text, s, n);
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
	if (o->text.failed || o->depth != 1) {
		jout_text_free(o);
		return NULL;
	}
	char *text = o->text.p; /* NUL-terminated by textbuf_add */
	o->text = (struct textbuf){0};
	return text;
}

void jout_text_free(struct jout *o)
{
	textbuf_free(&o->text);
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
		o->text.p[o->text.len] = '"';
		memcpy(o->text.p + o->text.len + 1, key, n);
		o->text.p[o->text.len + n + 1] = '"';
		o->text.p[o->text.len + n + 2] = ':';
		o->text.len += n + 3;
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
		o->text.failed = true;
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
	o->start[d] = o->text.len;
	o->was_empty[d] = o->empty[d - 1];
	put_key(o, key);
	put(o, "{", 1);
	o->empty[d] = true;
	o->depth++;
}

void jout_end(struct jout *o)
{
	if (o->depth < 2) {
		o->text.failed = true;
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
		o->text.len = o->start[d];
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
	size_t mark = o->text.len;
	bool was_empty = o->empty[d];
	put_key(o, key);
	if (!s || !textbuf_json_string(&o->text, s)) {
		o->text.len = mark;
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
