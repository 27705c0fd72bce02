/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a hibernation needs from the host, as the kernel shows it: the
 * active swaps (<proc>/swaps), the memory in use (<proc>/meminfo), the
 * image size the kernel aims at (<sysfs>/power/image_size) and the resume
 * device (<sysfs>/power/resume). hibernate-check.h judges them.
 *
 * Not read: /proc/cmdline. A resume= there is resolved at boot (by the
 * kernel, the initramfs or systemd-hibernate-resume) into
 * <sysfs>/power/resume; still 0:0 after boot means no boot step found it,
 * and the next boot would not find the image either. */

#include <stdbool.h>
#include <stdint.h>

#define MIB (UINT64_C(1) << 20)

typedef struct HibernateInfo {
        int swaps_error;            /* 0, or why <proc>/swaps could not be read: then no swap figure is known */
        unsigned n_swaps;           /* active swaps an image may go to (zram is not one) */
        uint64_t swap_total;        /* bytes, over those swaps */
        uint64_t swap_free;
        uint64_t mem_in_use;        /* MemTotal - MemFree, bytes; 0 = unknown */
        uint64_t image_size;        /* <sysfs>/power/image_size, bytes; 0 = unknown */
        int resume_error;           /* 0, or why <sysfs>/power/resume could not be read */
        unsigned resume_major, resume_minor;
        bool resume_present;        /* <sysfs>/dev/block/MAJOR:MINOR exists */
} HibernateInfo;

/* "/proc", or HOSTPM_PROC_ROOT in a test build (test-seam.h). */
const char *swap_proc_root(void);

/* Never fails as a whole: what cannot be read is marked so in ret. */
void hibernate_info_read(const char *sysfs_root, const char *proc_root, HibernateInfo *ret);

/* <proc>/swaps' text into the figures above (zram skipped); -EBADMSG if
 * it is not the kernel's table. */
int swaps_parse(const char *text, unsigned *ret_n, uint64_t *ret_total, uint64_t *ret_free);
