/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* capabilities_from_xml() on any document: what it accepts renders with
 * capabilities_to_xml(), and that render parses back to the same render. */

#include "capabilities-xml.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(capabilities_done) Capabilities c = {0}, again = {0};
        _cleanup_free_ char *s = NULL, *first = NULL, *second = NULL;
        int r;

        s = strndup((const char *) data, size);
        if (!s)
                return 0;

        r = capabilities_from_xml(s, &c);
        if (r < 0) {
                fuzz_assert(r == -EBADMSG || r == -ENOMEM);
                return 0;
        }

        fuzz_assert(capabilities_to_xml(&c, &first) == 0);
        r = capabilities_from_xml(first, &again);
        if (r < 0) {
                fprintf(stderr, "The render of the input is refused (r=%d):\n%s\n", r, first);
                abort();
        }
        fuzz_assert(capabilities_to_xml(&again, &second) == 0);
        if (!streq(first, second)) {
                fprintf(stderr, "Rendered:\n%s\nparsed and rendered again:\n%s\n", first, second);
                abort();
        }
        return 0;
}
