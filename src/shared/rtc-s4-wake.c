/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <stdio.h>

#include "fileio.h"
#include "macro.h"
#include "rtc-s4-wake.h"

const char *rtc_s4_wake_to_string(RtcS4Wake w) {
        switch (w) {
        case RTC_S4_WAKE_YES: return "yes";
        case RTC_S4_WAKE_NO:  return "no";
        default:              return "unknown";
        }
}

RtcS4Wake rtc_s4_wake_from_string(const char *s) {
        if (streq_ptr(s, "yes"))
                return RTC_S4_WAKE_YES;
        if (streq_ptr(s, "no"))
                return RTC_S4_WAKE_NO;
        return RTC_S4_WAKE_UNKNOWN;
}

RtcS4Wake rtc_s4_wake_read(const char *sysfs_root, const char *driver) {
        _cleanup_free_ char *path = NULL, *table = NULL;
        const unsigned char *b;
        size_t size;
        uint32_t flags;

        if (!streq_ptr(driver, "rtc_cmos"))
                return RTC_S4_WAKE_UNKNOWN;
        if (asprintf(&path, "%s/firmware/acpi/tables/FACP", sysfs_root) < 0)
                return RTC_S4_WAKE_UNKNOWN;
        if (read_file_bounded(path, 4096, &table, &size) < 0)
                return RTC_S4_WAKE_UNKNOWN;
        if (size < FADT_FLAGS_OFFSET + 4 || memcmp(table, "FACP", 4) != 0)
                return RTC_S4_WAKE_UNKNOWN;
        b = (const unsigned char *) table + FADT_FLAGS_OFFSET;
        flags = (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
        return flags & FADT_S4_RTC_WAKE ? RTC_S4_WAKE_YES : RTC_S4_WAKE_NO;
}
