/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string arrays (argv-like), each string and the array
 * allocated. */

#include <stddef.h>

#include "macro.h"

void strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)

size_t strv_length(char * const *l);

/* Appends s to *l, taking it over (freed on failure too): 0 or -ENOMEM. */
int strv_consume(char ***l, char *s);
