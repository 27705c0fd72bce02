/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The json-c helpers every JSON writer here uses: JSON is built with
 * json-c (which escapes every string) and checked at each step, never
 * printed by hand. */

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

/* How hostpm writes JSON, on one line or pretty: "/" stays as it is
 * (escaping it is legal, and makes paths in messages hard to read). */
#define JSON_FORMAT_LINE   (JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)
#define JSON_FORMAT_PRETTY (JSON_FORMAT_LINE | JSON_C_TO_STRING_PRETTY)

/* Adds a freshly made value to o; a NULL value means its allocation failed.
 * The value is released on failure, so callers can nest constructors. */
static inline int json_add(json_object *o, const char *key, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

/* Adds key: null. */
static inline int json_add_null(json_object *o, const char *key) {
        return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

/* Writes o in one of the JSON_FORMAT_* and a newline to stdout. */
static inline int json_print(json_object *o, int format) {
        const char *s = json_object_to_json_string_ext(o, format);

        if (!s)
                return -ENOMEM;
        if (puts(s) == EOF)
                return -EIO;
        return 0;
}
