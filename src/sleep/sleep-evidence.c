/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <time.h>

#include "macro.h"
#include "sleep-evidence.h"
#include "timespan.h"

/* One counter: a decimal int and a newline, as the kernel prints it. */
static int read_counter(const char *sysfs_root, const char *name, int64_t *ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char line[32], *end;
        long long v;

        if (asprintf(&path, "%s/power/suspend_stats/%s", sysfs_root, name) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        if (!fgets(line, sizeof line, f))
                return -EBADMSG;
        errno = 0;
        v = strtoll(line, &end, 10);
        if (errno != 0 || end == line || !IN_SET(*end, '\n', '\0'))
                return -EBADMSG;
        *ret = v;
        return 0;
}

void sleep_evidence_read(const char *sysfs_root, SleepEvidence *ret) {
        SleepEvidence e = {0};

        /* in this order, as statements: an initializer list would leave
         * the order of the reads to the compiler */
        e.mono_before_usec = clock_now_usec(CLOCK_MONOTONIC);
        e.boot_usec = clock_now_usec(CLOCK_BOOTTIME);
        e.mono_after_usec = clock_now_usec(CLOCK_MONOTONIC);
        e.have_clocks = e.mono_before_usec > 0 && e.boot_usec > 0 && e.mono_after_usec > 0;
        e.have_stats = read_counter(sysfs_root, "success", &e.success) >= 0 &&
                       read_counter(sysfs_root, "fail", &e.fail) >= 0;
        *ret = e;
}
