/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether the RTC can wake the host from S4 (hibernation, powered off).
 * rtc_cmos decides it from the ACPI FADT's RTC_S4 flag and logs "RTC can
 * wake from S4" when it is set; the same flag is read here from the table
 * itself (acpi-fadt.h). Other RTC drivers: unknown. */

typedef enum RtcS4Wake {
        RTC_S4_WAKE_UNKNOWN,
        RTC_S4_WAKE_YES,
        RTC_S4_WAKE_NO,
} RtcS4Wake;

const char *rtc_s4_wake_to_string(RtcS4Wake w);
RtcS4Wake rtc_s4_wake_from_string(const char *s);

/* driver: the RTC's name ("rtc_cmos"), NULL if unknown */
RtcS4Wake rtc_s4_wake_read(const char *sysfs_root, const char *driver);
