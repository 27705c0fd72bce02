/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "hibernate-check.h"
#include "macro.h"

bool sleep_target_writes_image(SleepTarget t) {
        return IN_SET(t, SLEEP_TARGET_DISK, SLEEP_TARGET_HYBRID, SLEEP_TARGET_SUSPEND_THEN_HIBERNATE);
}

uint64_t hibernate_swap_needed(const HibernateInfo *h) {
        uint64_t image;

        if (h->image_size > 0 && h->mem_in_use > 0)
                image = h->image_size < h->mem_in_use ? h->image_size : h->mem_in_use;
        else
                image = h->image_size > 0 ? h->image_size : h->mem_in_use;
        return image > 0 ? image + HIBERNATE_IO_RESERVE_BYTES : 0;
}

/* MiB, rounded up: "needs about" must not round below what is needed */
static uint64_t mib_up(uint64_t bytes) {
        return (bytes + MIB - 1) / MIB;
}

static uint64_t mib_near(uint64_t bytes) {
        return (bytes + MIB / 2) / MIB;
}

static int problem(char **ret, int error, const char *format, ...) _printf_(3, 4);
static int problem(char **ret, int error, const char *format, ...) {
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(ret, format, ap);
        va_end(ap);
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return error;
}

int hibernate_check(const HibernateInfo *h, const char *sysfs_root, const char *proc_root, char **ret_problem) {
        uint64_t need = hibernate_swap_needed(h);

        *ret_problem = NULL;
        if (h->swaps_error < 0)
                return problem(ret_problem, -EIO, "cannot tell whether the image fits: %s/swaps could not be read "
                               "(%s)", proc_root, STRERROR(h->swaps_error));
        if (need == 0)
                return problem(ret_problem, -EIO, "cannot tell how large the image would be: neither "
                               "%s/power/image_size nor %s/meminfo could be read", sysfs_root, proc_root);
        if (h->n_swaps == 0)
                return problem(ret_problem, -ENOSPC, "no swap is active (zram does not count), and the image "
                               "needs about %" PRIu64 " MiB of it; enable a swap partition or file with at "
                               "least that much free and make it the resume device", mib_up(need));
        if (h->swap_free < need)
                return problem(ret_problem, -ENOSPC, "swap too small: %" PRIu64 " MiB free (of %" PRIu64 " MiB), "
                               "the image needs about %" PRIu64 " MiB (the smaller of %s/power/image_size and "
                               "the memory in use, plus %" PRIu64 " MiB for I/O); enable at least that much "
                               "free swap, or lower image_size", mib_near(h->swap_free), mib_near(h->swap_total),
                               mib_up(need), sysfs_root, HIBERNATE_IO_RESERVE_BYTES / MIB);
        if (h->resume_error < 0)
                return problem(ret_problem, -EIO, "cannot tell where the image would be read back from: "
                               "%s/power/resume could not be read (%s)", sysfs_root, STRERROR(h->resume_error));
        if (h->resume_major == 0 && h->resume_minor == 0)
                return problem(ret_problem, -ENODEV, "no resume device: %s/power/resume is 0:0, so no boot would "
                               "read the image back; set resume= on the kernel command line (the initramfs "
                               "writes the device there at boot), or write the swap's MAJOR:MINOR to it",
                               sysfs_root);
        if (!h->resume_present)
                return problem(ret_problem, -ENODEV, "the resume device %u:%u (%s/power/resume) is missing: "
                               "there is no %s/dev/block/%u:%u; write the MAJOR:MINOR of an active swap there",
                               h->resume_major, h->resume_minor, sysfs_root, sysfs_root, h->resume_major,
                               h->resume_minor);
        return 0;
}

int hibernate_capabilities_read(Capabilities *c, const char *sysfs_root, const char *proc_root) {
        int r;

        c->rtc_s4_wake = c->rtc.present ? rtc_s4_wake_read(sysfs_root, c->rtc.name) : RTC_S4_WAKE_UNKNOWN;
        hibernate_info_read(sysfs_root, proc_root, &c->hibernate);
        c->hibernate_known = true;
        free(c->hibernate_problem);
        r = hibernate_check(&c->hibernate, sysfs_root, proc_root, &c->hibernate_problem);
        return r == -ENOMEM ? r : 0;
}
