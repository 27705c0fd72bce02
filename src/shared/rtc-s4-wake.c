/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "acpi-fadt.h"
#include "macro.h"
#include "rtc-s4-wake.h"
#include "rtc.h"

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
        AcpiFadt fadt;

        if (!rtc_name_is_driver(driver, "rtc_cmos"))
                return RTC_S4_WAKE_UNKNOWN;
        if (acpi_fadt_read(sysfs_root, &fadt) < 0)
                return RTC_S4_WAKE_UNKNOWN;
        return fadt.flags & FADT_S4_RTC_WAKE ? RTC_S4_WAKE_YES : RTC_S4_WAKE_NO;
}
