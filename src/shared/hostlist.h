/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Slurm's hostlist syntax, expanded: "node[01-04,07],gpu1" is node01 …
 * node04, node07, gpu1. Used where Slurm's own expander (scontrol show
 * hostnames) is not installed, and as the strict syntax check in front of
 * it, so a malformed list is refused before anything is sent.
 *
 * The grammar, as Slurm reads it, minus what Slurm tolerates by accident:
 *   LIST   = ITEM { SEP ITEM }        SEP: ',' or white space (one comma at most)
 *   ITEM   = { TEXT | '[' RANGES ']' }   at least one of either
 *   TEXT   = letters, digits, '-', '.', '_'
 *   RANGES = RANGE { ',' RANGE }      RANGE: N or N-M with N <= M, decimal
 * The width of N is kept: [08-10] is 08 09 10, [8-10] is 8 9 10 (as Slurm).
 * Several brackets in one item multiply: r[1-2]n[1-2] is r1n1 r1n2 r2n1 r2n2.
 * Refused: empty items (",,"), unbalanced or nested brackets, empty or
 * reversed ranges, other characters, names longer than HOSTLIST_NAME_MAX or
 * not starting with a letter, digit or '_', more than HOSTLIST_HOSTS_MAX
 * hosts. Duplicates are not refused here; see hostlist_find_duplicate(). */

#include <stdbool.h>
#include <stddef.h>

#define HOSTLIST_HOSTS_MAX 65536   /* Slurm's limit for one range, for the whole list */
#define HOSTLIST_NAME_MAX  253     /* a DNS name */
#define HOSTLIST_DIGITS_MAX 9      /* per number: no overflow, and no 10^18 hosts */

typedef struct HostlistError {
        size_t offset;       /* where in the text the problem is */
        const char *reason;  /* static text: "'[' is not closed" */
} HostlistError;

/* On success *ret is a NULL-terminated array of n >= 1 names (free with
 * hostlist_free()) and *ret_n, if not NULL, is n. Errors:
 *   -EINVAL  malformed; *ret_error (if not NULL) says where and why
 *   -E2BIG   more than HOSTLIST_HOSTS_MAX hosts (ret_error set too)
 *   -ENOMEM */
int hostlist_expand(const char *text, char ***ret, size_t *ret_n, HostlistError *ret_error);

void hostlist_free(char **hosts);

/* Whether s is a host name this grammar can produce (one expanded name). */
bool hostlist_name_valid(const char *s);

/* The first pair i < j of equal names, in the order of j; 0 if none, 1 if
 * found (and *ret_first, *ret_second set). O(n log n). */
int hostlist_find_duplicate(char *const *hosts, size_t n, size_t *ret_first, size_t *ret_second);
