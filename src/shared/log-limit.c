/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log-limit.h"

/* Adds the tokens the time since the last count has earned. */
static void bucket_refill(LogBucket *b, uint64_t now_usec) {
        uint64_t earned;

        if (now_usec <= b->counted_usec)
                return;
        earned = (now_usec - b->counted_usec) / LOG_LIMIT_INTERVAL_USEC;
        if (earned >= LOG_LIMIT_BURST - b->tokens) {
                b->tokens = LOG_LIMIT_BURST;
                b->counted_usec = now_usec;
        } else {
                b->tokens += (unsigned) earned;
                b->counted_usec += earned * LOG_LIMIT_INTERVAL_USEC;  /* keep the part of an interval */
        }
}

static LogBucket *bucket_find(LogLimit *l, uid_t uid, uint64_t now_usec) {
        LogBucket *unused = NULL, *fullest = NULL;

        for (size_t i = 0; i < ELEMENTSOF(l->buckets); i++) {
                LogBucket *b = &l->buckets[i];

                if (!b->used) {
                        if (!unused)
                                unused = b;
                        continue;
                }
                if (b->uid == uid)
                        return b;
                bucket_refill(b, now_usec);
                /* a full bucket is as good as a new one: nothing is lost by taking it */
                if (!fullest || b->tokens > fullest->tokens ||
                    (b->tokens == fullest->tokens && b->counted_usec < fullest->counted_usec))
                        fullest = b;
        }

        if (!unused)
                unused = fullest;
        *unused = (LogBucket) {
                .used = true,
                .uid = uid,
                .tokens = LOG_LIMIT_BURST,
                .counted_usec = now_usec,
        };
        return unused;
}

LogLimitVerdict log_limit_check(LogLimit *l, uid_t uid, uint64_t now_usec, uint64_t *ret_dropped) {
        LogBucket *b = bucket_find(l, uid, now_usec);

        bucket_refill(b, now_usec);
        if (b->tokens == 0)
                return b->dropped++ == 0 ? LOG_LIMIT_DROP_FIRST : LOG_LIMIT_DROP;

        b->tokens--;
        if (ret_dropped)
                *ret_dropped = b->dropped;
        b->dropped = 0;
        return LOG_LIMIT_PASS;
}
