/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* parse_duration() on any text, and the promise of format_duration(): what
 * it writes parses back to the same value, exactly. */

#include <inttypes.h>

#include "fuzz.h"
#include "timespan.h"

static void check_round_trip(uint64_t usec) {
        char buf[DURATION_MAX_STRING];
        uint64_t back = 0;
        int r;

        format_duration(buf, sizeof buf, usec);
        r = parse_duration(buf, &back);
        if (r < 0 || back != usec) {
                fprintf(stderr, "%" PRIu64 "us formats as \"%s\", which parses back as %" PRIu64 "us (r=%d)\n",
                        usec, buf, back, r);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint64_t untouched = UINT64_C(0xdeadbeefdeadbeef);
        _cleanup_free_ char *s = NULL;
        uint64_t usec = untouched, raw;
        int r;

        /* The leading bytes as a value too: format_duration() then sees
         * every bit pattern, not just the values some text adds up to. */
        if (size >= sizeof raw) {
                memcpy(&raw, data, sizeof raw);
                check_round_trip(raw);
        }

        /* what a C caller passes: the text up to the first NUL */
        s = strndup((const char *) data, size);
        if (!s)
                return 0;

        r = parse_duration(s, &usec);
        fuzz_assert(IN_SET(r, 0, -EINVAL, -ERANGE));
        if (r < 0) {
                fuzz_assert(usec == untouched); /* ret_ is set only on success */
                return 0;
        }
        check_round_trip(usec);
        return 0;
}
