/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether a hibernation image can be written and read back, judged before
 * anything is scheduled: logind 252's CanHibernate weighs swap against
 * Active(anon) only, so it says "yes" to a swap far smaller than the image,
 * and the kernel then fails to write it ("No space left on device").
 *
 * The rule, for disk, hybrid and suspend-then-hibernate:
 *   - at least one swap is active (zram does not count);
 *   - its free space holds the image: the kernel frees memory until the
 *     image is no larger than image_size, and never frees more, so the image
 *     is the smaller of image_size and the memory in use (MemTotal -
 *     MemFree, page cache included); plus the 4 MiB the kernel keeps free
 *     for I/O (PAGES_FOR_IO). The image is compressed on the way out, but by
 *     how much depends on what memory holds, and the uncompressed size is
 *     what the kernel itself demands without compression; so no ratio is
 *     assumed;
 *   - a resume device is set (<sysfs>/power/resume is not 0:0) and exists
 *     (<sysfs>/dev/block/MAJOR:MINOR): otherwise nothing reads the image
 *     back at the next boot. */

#include <stdbool.h>
#include <stdint.h>

#include "capabilities.h"
#include "sleep-target.h"
#include "swap-info.h"

#define HIBERNATE_IO_RESERVE_BYTES (4 * MIB)

/* disk, hybrid, suspend-then-hibernate */
bool sleep_target_writes_image(SleepTarget t);

/* The swap the image needs, bytes (reserve included); 0 if neither
 * image_size nor the memory in use is known. */
uint64_t hibernate_swap_needed(const HibernateInfo *h);

/* 0 if the image fits and can be read back. Otherwise a negative errno
 * (-ENOSPC: no or too little swap; -ENODEV: no or a missing resume device;
 * -EIO: a fact could not be read) and, in ret_problem, a sentence that
 * names the problem and what would be accepted. sysfs_root and proc_root
 * only name the files in it. */
int hibernate_check(const HibernateInfo *h, const char *sysfs_root, const char *proc_root, char **ret_problem);

/* Fills c's hibernation facts and c->rtc_s4_wake from the host as it is
 * now (c->rtc must be read already); -ENOMEM only. */
int hibernate_capabilities_read(Capabilities *c, const char *sysfs_root, const char *proc_root);
