/*
 * jout.h: a JSON object written once and had either as a jansson tree or straight as compact text,
 * the same bytes json_dumps(tree, JSON_COMPACT) would give for that tree, without the tree (its
 * allocations and its walk): a lookup answered thousands of times a second (`member show`) writes
 * its text this way, and the test compares the two.
 *
 *   struct jout o;
 *   jout_text(&o);                      // or jout_tree(&o, object)
 *   jout_string(&o, "name", "王建国");
 *   jout_begin(&o, "exemption");        // a nested object as the value of "exemption"
 *   jout_integer(&o, "monthly_fen", 50);
 *   jout_end(&o);
 *   char *text = jout_text_take(&o);    // "{\"name\":\"王建国\",\"exemption\":{...}}", or NULL
 *
 * As with jansson, a string that is NULL or not UTF-8 leaves its key out (json_string gives NULL
 * and json_object_set_new sets nothing), and a nested object holding such a string is left out
 * whole (as json_pack fails). Keys are the caller's constants, distinct within an object, and are
 * written as given: plain ASCII that needs no escape. Not thread-safe: one jout per thread at a
 * time.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

#define JOUT_DEPTH 4 /* nested objects, the outer one included */

struct jout {
	bool text_mode;
	unsigned depth;
	/* Tree: the objects being filled, outermost first (the first is the caller's). */
	json_t *objects[JOUT_DEPTH];
	/* Text: the buffer (its `failed`: memory ran out), and per level where its object starts
	 * and whether it is still empty. */
	struct textbuf text;
	size_t start[JOUT_DEPTH];
	bool empty[JOUT_DEPTH];
	bool was_empty[JOUT_DEPTH]; /* the enclosing object's empty before this one's key */
	bool bad[JOUT_DEPTH];	    /* a string in it was not UTF-8: a nested object is left out */
	const char *keys[JOUT_DEPTH]; /* the nested objects' keys */
};

/* Write into OBJECT (borrowed; the keys are added to it). */
void jout_tree(struct jout *o, json_t *object);

/* Write text into a buffer of O's own (given by jout_text_take, or freed by jout_text_free). */
void jout_text(struct jout *o);

/*
 * The text, NUL-terminated, the outer object closed (nested ones must be ended): the caller owns
 * it (free). NULL when memory ran out. O is done with either way.
 */
char *jout_text_take(struct jout *o);

/* Give up O's text (a handler that failed after it began). */
void jout_text_free(struct jout *o);

/* A nested object as the value of KEY, written into until jout_end. */
void jout_begin(struct jout *o, const char *key);
void jout_end(struct jout *o);

/* KEY and its value. */
void jout_string(struct jout *o, const char *key, const char *s);
void jout_integer(struct jout *o, const char *key, int64_t v);
void jout_bool(struct jout *o, const char *key, bool v);
void jout_null(struct jout *o, const char *key);
