/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "acpi-fadt.h"
#include "macro.h"
#include "rtc-range.h"
#include "rtc.h"

/* rtc_cmos uses CMOS indices below 128 only (cmos_do_probe) */
#define CMOS_INDEX_MAX 128

static const char *const rtc_range_source_table[_RTC_RANGE_SOURCE_MAX] = {
        [RTC_RANGE_SOURCE_FIRMWARE]   = "firmware",
        [RTC_RANGE_SOURCE_ASSUMED]    = "assumed",
        [RTC_RANGE_SOURCE_CONFIGURED] = "configured",
};

const char *rtc_range_source_to_string(RtcRangeSource s) {
        return s >= 0 && s < _RTC_RANGE_SOURCE_MAX ? rtc_range_source_table[s] : NULL;
}

RtcRangeSource rtc_range_source_from_string(const char *s) {
        for (RtcRangeSource i = 0; i < _RTC_RANGE_SOURCE_MAX; i++)
                if (streq_ptr(s, rtc_range_source_table[i]))
                        return i;
        return _RTC_RANGE_SOURCE_INVALID;
}

const char *rtc_day_alarm_to_string(RtcDayAlarm d) {
        switch (d) {
        case RTC_DAY_ALARM_YES: return "yes";
        case RTC_DAY_ALARM_NO:  return "no";
        default:                return "unknown";
        }
}

RtcDayAlarm rtc_day_alarm_from_string(const char *s) {
        if (streq_ptr(s, "yes"))
                return RTC_DAY_ALARM_YES;
        if (streq_ptr(s, "no"))
                return RTC_DAY_ALARM_NO;
        return RTC_DAY_ALARM_UNKNOWN;
}

static bool cmos_index_valid(uint8_t index) {
        return index > 0 && index < CMOS_INDEX_MAX;
}

int rtc_alarm_range_read(const char *sysfs_root, const char *driver, RtcAlarmRange *ret) {
        AcpiFadt fadt;
        bool day, month;
        int r;

        *ret = (RtcAlarmRange) {
                .seconds = RTC_RANGE_ASSUMED_SECONDS,
                .source = RTC_RANGE_SOURCE_ASSUMED,
                .day_alarm = RTC_DAY_ALARM_UNKNOWN,
        };
        if (!rtc_name_is_driver(driver, "rtc_cmos"))
                return -EOPNOTSUPP;
        r = acpi_fadt_read(sysfs_root, &fadt);
        if (r < 0)
                return r;

        day = cmos_index_valid(fadt.day_alarm);
        month = day && cmos_index_valid(fadt.month_alarm);  /* a month alarm alone is ignored */
        *ret = (RtcAlarmRange) {
                .seconds = month ? RTC_RANGE_YEAR_SECONDS :
                           day ? RTC_RANGE_MONTH_SECONDS : RTC_RANGE_DAY_SECONDS,
                .source = RTC_RANGE_SOURCE_FIRMWARE,
                .day_alarm = day ? RTC_DAY_ALARM_YES : RTC_DAY_ALARM_NO,
        };
        return 0;
}

RtcAlarmRange rtc_alarm_range_resolve(const Config *c, const RtcAlarmRange *detected) {
        RtcAlarmRange r = *detected;

        /* config_load() allows 1s at least; a test's Config may hold less */
        if (c->wake_alarm_range_usec > 0) {
                r.seconds = c->wake_alarm_range_usec >= USEC_PER_SEC ? c->wake_alarm_range_usec / USEC_PER_SEC : 1;
                r.source = RTC_RANGE_SOURCE_CONFIGURED;
        }
        return r;
}

uint64_t rtc_alarm_range_effective(const Config *c, const RtcAlarmRange *detected) {
        return rtc_alarm_range_resolve(c, detected).seconds;
}
