/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* parse_wake_time() on any text, at a fixed "now", in the time zone named
 * by $HOSTPM_FUZZ_TZ (default Europe/Berlin); run it once per zone. */

#include <inttypes.h>
#include <time.h>

#include "fuzz.h"
#include "timespan.h"

/* 2026-03-28 21:30:00.123456 UTC: in Europe/Berlin the evening before the
 * clocks skip 02:00-03:00, so "02:30" tomorrow falls in the gap; the
 * fraction checks "strictly after now" against a now between seconds. */
#define FUZZ_NOW_USEC (UINT64_C(1774733400) * USEC_PER_SEC + 123456)

/* "HH:MM" is today or one of the next two days; a day more for zones
 * whose changes move the clock far (Pacific/Apia skipped a whole day). */
#define CLOCK_TIME_HORIZON_USEC (4 * USEC_PER_DAY)

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *tz = secure_getenv("HOSTPM_FUZZ_TZ");

        /* once: tzset() rereads the zone file whenever TZ changes */
        if (setenv("TZ", isempty(tz) ? "Europe/Berlin" : tz, /* overwrite= */ 1) < 0)
                abort();
        tzset();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint64_t untouched = UINT64_C(0xdeadbeefdeadbeef);
        char wall[WALL_TIME_MAX_STRING];
        _cleanup_free_ char *s = NULL;
        uint64_t usec = untouched, again = untouched;
        bool clock_time;
        int r;

        s = strndup((const char *) data, size);
        if (!s)
                return 0;

        r = parse_wake_time(s, FUZZ_NOW_USEC, &usec);
        fuzz_assert(IN_SET(r, 0, -EINVAL, -ERANGE));
        if (r < 0) {
                fuzz_assert(usec == untouched); /* ret_ is set only on success */
                return 0;
        }

        /* every form names a whole second */
        fuzz_assert(usec % USEC_PER_SEC == 0);
        fuzz_assert(format_wall_time(wall, sizeof wall, usec));

        clock_time = s[0] != '@' && !(strspn(s, "0123456789") == 4 && s[4] == '-');
        if (!clock_time) {
                /* absolute forms do not depend on now */
                r = parse_wake_time(s, FUZZ_NOW_USEC + 7 * USEC_PER_DAY, &again);
                fuzz_assert(r == 0 && again == usec);
                return 0;
        }

        fuzz_assert(usec > FUZZ_NOW_USEC);
        fuzz_assert(usec - FUZZ_NOW_USEC <= CLOCK_TIME_HORIZON_USEC);

        /* The next occurrence after just before the result is the result,
         * and the one after the result is later still. */
        r = parse_wake_time(s, usec - 1, &again);
        if (r < 0 || again != usec) {
                fprintf(stderr, "\"%s\" after now is %s (%" PRIu64 "), but after 1us before that %" PRIu64 " (r=%d)\n",
                        s, wall, usec, again, r);
                abort();
        }
        r = parse_wake_time(s, usec, &again);
        fuzz_assert(r == 0 && again > usec);
        return 0;
}
