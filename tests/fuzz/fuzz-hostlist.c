/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostlist_expand() on any text: it either refuses with a reason inside the
 * text, or gives 1 to HOSTLIST_HOSTS_MAX names, each a valid host name that
 * expands to itself again. */

#include "fuzz.h"
#include "hostlist.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL;
        char **hosts = (char **) 0x1;
        HostlistError e = { .offset = SIZE_MAX };
        size_t n = SIZE_MAX, i = 0, j = 0;
        int r;

        s = strndup((const char *) data, size);
        if (!s)
                return 0;

        r = hostlist_expand(s, &hosts, &n, &e);
        fuzz_assert(IN_SET(r, 0, -EINVAL, -E2BIG));
        if (r < 0) {
                fuzz_assert(hosts == (char **) 0x1);   /* set only on success */
                fuzz_assert(e.reason && e.offset <= strlen(s));
                return 0;
        }

        fuzz_assert(n >= 1 && n <= HOSTLIST_HOSTS_MAX && hosts[n] == NULL);
        for (size_t k = 0; k < n; k++) {
                char **again = NULL;
                size_t m = 0;

                fuzz_assert(hostlist_name_valid(hosts[k]));
                /* a plain name is a list of itself; the first 64 are enough */
                if (k < 64) {
                        fuzz_assert(hostlist_expand(hosts[k], &again, &m, NULL) == 0);
                        fuzz_assert(m == 1 && streq(again[0], hosts[k]));
                        hostlist_free(again);
                }
        }
        r = hostlist_find_duplicate(hosts, n, &i, &j);
        fuzz_assert(IN_SET(r, 0, 1));
        if (r == 1)
                fuzz_assert(i < j && j < n && streq(hosts[i], hosts[j]));
        hostlist_free(hosts);
        return 0;
}
