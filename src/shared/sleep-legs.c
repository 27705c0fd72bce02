/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "macro.h"
#include "sleep-legs.h"

typedef struct Part {
        SleepTarget target;
        uint64_t start, end;       /* seconds into the whole sleep */
} Part;

/* suspend-then-hibernate splits only when more than MinimumDuration= is
 * left for the disk: else the whole sleep is in RAM (and so, with no
 * split asked, is logind's method as before). */
static unsigned chain_parts(const SleepChain *c, Part ret[static 2]) {
        if (c->target == SLEEP_TARGET_SUSPEND_THEN_HIBERNATE && c->hibernate_after > 0) {
                if (c->seconds <= c->hibernate_after || c->seconds - c->hibernate_after < c->min_seconds) {
                        ret[0] = (Part) { SLEEP_TARGET_MEM, 0, c->seconds };
                        return 1;
                }
                ret[0] = (Part) { SLEEP_TARGET_MEM, 0, c->hibernate_after };
                ret[1] = (Part) { SLEEP_TARGET_DISK, c->hibernate_after, c->seconds };
                return 2;
        }
        ret[0] = (Part) { c->target, 0, c->seconds };
        return 1;
}

SleepTarget sleep_chain_part_target(const SleepChain *c, unsigned part) {
        Part parts[2];
        unsigned n = chain_parts(c, parts);

        return parts[part < n ? part : n - 1].target;
}

/* Legs for `left` seconds: as few as the range allows, of equal length
 * (the shortest is what MinimumDuration= must allow). */
static uint64_t legs_for(uint64_t left, uint64_t range) {
        return range == 0 || left <= range ? 1 : left / range + (left % range != 0);
}

int sleep_chain_check(const SleepChain *c, unsigned *ret_legs, char **ret_reason) {
        Part parts[2];
        unsigned n = chain_parts(c, parts);
        uint64_t total = 0;

        assert(c);

        for (unsigned i = 0; i < n; i++) {
                uint64_t length = parts[i].end - parts[i].start, legs = legs_for(length, c->range);
                const char *what = n == 1 ? "the sleep" : i == 0 ? "the time in RAM" : "the time on disk";

                /* a sleep in one leg is the duration checks' business */
                if (length / legs < c->min_seconds && (n > 1 || legs > 1)) {
                        if (ret_reason &&
                            asprintf(ret_reason, "%s of %" PRIu64 " s needs %" PRIu64 " legs, as the wake alarm "
                                     "reaches at most %" PRIu64 " s ahead (WakeAlarmRange=), and a leg of %" PRIu64
                                     " s is less than MinimumDuration= (%" PRIu64 " s): a later leg could not be "
                                     "armed; expected a sleep of at most %" PRIu64 " s, or one a leg of at least "
                                     "%" PRIu64 " s can divide",
                                     what, length, legs, c->range, length / legs, c->min_seconds, c->range,
                                     c->min_seconds) < 0)
                                return -ENOMEM;
                        return -ERANGE;
                }
                total += legs;
        }
        if (total > SLEEP_LEGS_MAX) {
                if (ret_reason &&
                    asprintf(ret_reason, "a sleep of %" PRIu64 " s needs %" PRIu64 " legs of at most %" PRIu64
                             " s (the wake alarm's range, WakeAlarmRange=); expected at most %d legs",
                             c->seconds, total, c->range, SLEEP_LEGS_MAX) < 0)
                        return -ENOMEM;
                return -E2BIG;
        }
        if (ret_legs)
                *ret_legs = (unsigned) total;
        return 0;
}

int sleep_chain_next_leg(const SleepChain *c, uint64_t elapsed, SleepTarget *ret_target, uint64_t *ret_seconds) {
        Part parts[2];
        unsigned n = chain_parts(c, parts), i = 0;
        uint64_t left, legs, leg;

        assert(c && ret_target && ret_seconds);

        if (elapsed >= c->seconds) {
                *ret_seconds = 0;
                return 0;
        }
        while (i + 1 < n && elapsed >= parts[i].end)
                i++;
        left = parts[i].end - elapsed;
        /* too little left of this part to arm an alarm for: the next part
         * begins now, or, after the last, the sleep is over (early: better
         * awake a little early than asleep with no alarm) */
        if (left < c->min_seconds) {
                if (i + 1 == n) {
                        *ret_seconds = left;
                        return 0;
                }
                i++;
                left = parts[i].end - elapsed;
        }
        legs = legs_for(left, c->range);
        leg = left / legs + (left % legs != 0);
        /* Late wakes can leave a time no legs of MinimumDuration= divide
         * (the plan could): then as far as the alarm reaches, and what is
         * left at the end, less than MinimumDuration=, stays unslept. */
        if (left / legs < c->min_seconds)
                leg = left < c->range ? left : c->range;
        *ret_target = parts[i].target;
        *ret_seconds = leg;
        return 1;
}
