/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Durations ("1h 30min") and wall-clock wake times ("07:30", "@1790000000"):
 * parsing and formatting. No bound checks here: callers compare against
 * the configured limits. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "macro.h"

#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR   (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY    (24 * USEC_PER_HOUR)
#define USEC_PER_WEEK   (7 * USEC_PER_DAY)

/* Saturating: a sum or a product too large for 64 bits is UINT64_MAX (as
 * far off as can be said), never a wrapped, small time that would make a
 * host wake at once. */
static inline uint64_t usec_add(uint64_t a, uint64_t b) {
        uint64_t r;

        return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t usec_from_sec(uint64_t sec) {
        uint64_t r;

        return __builtin_mul_overflow(sec, USEC_PER_SEC, &r) ? UINT64_MAX : r;
}

/* The clock's time in microseconds; 0 if it cannot be read. */
uint64_t clock_now_usec(clockid_t clock);

/* Room for any format_duration() / format_wall_time() result. */
#define DURATION_MAX_STRING 64
#define WALL_TIME_MAX_STRING 64

/* A systemd-style time span: one or more "<number><unit>" components,
 * summed, optionally separated by whitespace ("1h 30min", "1h30min",
 * "1.5h"). A lone number without unit means seconds ("90"); a unit-less
 * number next to other components is refused as ambiguous ("1h 30").
 * Decimals are accepted ("0.5s", "1.5h"; digits on both sides of the
 * dot); precision below 1us is dropped. Units: us usec, ms msec, s sec
 * second seconds, m min minute minutes, h hr hour hours, d day days, w week
 * weeks. Zero is valid. -EINVAL for empty or malformed input (signs,
 * unknown units, stray characters), -ERANGE when the sum exceeds
 * UINT64_MAX microseconds. */
int parse_duration(const char *s, uint64_t *ret_usec);

/* An absolute wake time, as CLOCK_REALTIME microseconds:
 *   "HH:MM" / "HH:MM:SS"     the next time the local clock shows it, strictly
 *                            after now_usec (today, else tomorrow)
 *   "YYYY-MM-DD HH:MM[:SS]"  local time ('T' is accepted for the space)
 *   "@SECONDS"               seconds since the epoch
 * Local time honours TZ. A time a DST change repeats resolves to its first
 * occurrence (after now_usec for "HH:MM"); a time a DST change skips is
 * read as mktime() normalizes it, i.e. on the clock before the change
 * (02:30 becomes 03:30 summer time). Past dates are returned as they are:
 * the caller's bound check refuses them. -EINVAL for malformed input or
 * out-of-range fields (25:00, 10:00:60, 2026-02-30), -ERANGE for times
 * before the epoch or past UINT64_MAX microseconds. */
int parse_wake_time(const char *s, uint64_t now_usec, uint64_t *ret_usec);

/* "1h 30min", "2d 3h", "1min", "1s 500ms", "0s": every non-zero unit from
 * days down to microseconds, so parse_duration() reads it back exactly.
 * Returns buf; if l is too small, only the components that fit. */
char *format_duration(char *buf, size_t l, uint64_t usec);

/* "2026-03-29 03:30:00 CEST" in local time; NULL if the time cannot be
 * represented or buf is too small. */
char *format_wall_time(char *buf, size_t l, uint64_t realtime_usec);
