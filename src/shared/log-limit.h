/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How much a caller who is not authorized can make hostpmd write to the
 * journal: a token bucket per UID. Each refusal takes a token; a UID with
 * none left has its refusals answered as always but not journaled, until
 * the bucket refills. The table is bounded: with more UIDs than entries,
 * the fullest bucket (an idle UID's) is taken over. Time is passed in, so
 * the decision can be tested on its own. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define LOG_LIMIT_BURST          10                   /* entries a UID may cause at once */
#define LOG_LIMIT_INTERVAL_USEC  (6 * USEC_PER_SEC)   /* then one more per interval: 10 a minute */
#define LOG_LIMIT_UIDS           64

typedef struct LogBucket {
        bool used;
        uid_t uid;
        unsigned tokens;
        uint64_t counted_usec;   /* tokens are up to date as of this time */
        uint64_t dropped;        /* entries dropped since the last one that passed */
} LogBucket;

typedef struct LogLimit {
        LogBucket buckets[LOG_LIMIT_UIDS];
} LogLimit;

typedef enum LogLimitVerdict {
        LOG_LIMIT_PASS,        /* journal it; *ret_dropped entries were dropped before it */
        LOG_LIMIT_DROP_FIRST,  /* drop it, and say once that this UID's entries are being dropped */
        LOG_LIMIT_DROP,        /* drop it quietly */
} LogLimitVerdict;

/* Takes a token of uid's bucket at now_usec (any clock, never going
 * back; if it does, no time has passed). ret_dropped may be NULL. */
LogLimitVerdict log_limit_check(LogLimit *l, uid_t uid, uint64_t now_usec, uint64_t *ret_dropped);
