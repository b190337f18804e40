/*
 * output.h: what the CLI prints. With --json, exactly one JSON object on stdout. Otherwise for
 * people: an object's scalar fields as aligned "label  value" lines, each array of objects as a
 * table whose columns respect the display width of Chinese text; labels in Chinese where the
 * locale is zh_CN; fields ending in _fen shown as yuan.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Display columns of the UTF-8 text S (East Asian wide characters count 2). */
size_t output_width(const char *s);

/* True if the labels should be Chinese (LC_ALL, LC_MESSAGES or LANG starts with zh_CN). */
bool output_chinese(void);

/* Print OBJ to OUT: as one JSON line if JSON, else for people. OBJ stays the caller's. */
void output_print(FILE *out, json_t *obj, bool json);
