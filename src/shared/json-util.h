/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The two json-c helpers every JSON writer here needs. */

#include <errno.h>
#include <json-c/json.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

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
