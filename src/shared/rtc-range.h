/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How far ahead the RTC takes an alarm. rtc_cmos refuses a wakealarm
 * beyond what its CMOS alarm registers can express, and which registers
 * it has comes from the ACPI FADT (drivers/rtc/rtc-cmos.c,
 * cmos_validate_alarm; the driver reports the same figures to the RTC core
 * as alarm_offset_max):
 *   - no day-of-month alarm (DAY_ALRM 0): hour, minute and second only, so
 *     at most 24 h - 1 s ahead;
 *   - a day alarm but no month alarm: up to the same day of the next
 *     month - 1 s, which is 28 d - 1 s from any day of the year;
 *   - a month alarm as well: up to the same day of the next year - 1 s,
 *     365 d - 1 s from any day. The alarm has no year register, so the
 *     century register (CENTURY) extends the clock, not the alarm.
 * The driver ignores a month alarm without a day alarm ("bogus FADT
 * month_alarm") and an index past the CMOS's first 128 bytes; so does this.
 * Another driver, or a FADT that cannot be read: the range is assumed to
 * be a day, the narrowest rtc_cmos has. A leg too many costs a wake; an
 * alarm the driver refuses costs the whole sleep. WakeAlarmRange= in
 * hostpm.conf overrides it all. */

#include <stdint.h>

#include "config.h"

#define RTC_RANGE_DAY_SECONDS   (UINT64_C(24) * 3600 - 1)
#define RTC_RANGE_MONTH_SECONDS (UINT64_C(28) * 24 * 3600 - 1)
#define RTC_RANGE_YEAR_SECONDS  (UINT64_C(365) * 24 * 3600 - 1)
/* what an RTC that cannot tell is taken to reach */
#define RTC_RANGE_ASSUMED_SECONDS RTC_RANGE_DAY_SECONDS

typedef enum RtcRangeSource {
        RTC_RANGE_SOURCE_FIRMWARE,    /* rtc_cmos's rule on the FADT */
        RTC_RANGE_SOURCE_ASSUMED,     /* the driver cannot tell: a day */
        RTC_RANGE_SOURCE_CONFIGURED,  /* WakeAlarmRange= */
        _RTC_RANGE_SOURCE_MAX,
        _RTC_RANGE_SOURCE_INVALID = -EINVAL,
} RtcRangeSource;

typedef enum RtcDayAlarm {
        RTC_DAY_ALARM_UNKNOWN,
        RTC_DAY_ALARM_YES,
        RTC_DAY_ALARM_NO,
} RtcDayAlarm;

typedef struct RtcAlarmRange {
        uint64_t seconds;             /* the farthest alarm ahead, seconds; never 0 */
        RtcRangeSource source;
        RtcDayAlarm day_alarm;        /* whether the RTC has a day-of-month alarm */
} RtcAlarmRange;

const char *rtc_range_source_to_string(RtcRangeSource s);
RtcRangeSource rtc_range_source_from_string(const char *s);
const char *rtc_day_alarm_to_string(RtcDayAlarm d);
RtcDayAlarm rtc_day_alarm_from_string(const char *s);  /* never invalid: UNKNOWN for strangers */

/* The range the RTC driver takes (driver: the RTC's name, "rtc_cmos", NULL
 * if unknown). *ret is always filled: from the firmware, and 0 returned;
 * or assumed, and a negative errno returned that says why (-EOPNOTSUPP:
 * not rtc_cmos; -ENOENT, -EACCES, -EBADMSG, ...: the FADT could not be
 * read), for the caller to log if it wants. */
int rtc_alarm_range_read(const char *sysfs_root, const char *driver, RtcAlarmRange *ret);

/* The range with WakeAlarmRange= applied: the configured one (source
 * CONFIGURED, whole seconds, at least 1) when set, else detected as it
 * is. day_alarm stays what was detected: it is a fact of the RTC. */
RtcAlarmRange rtc_alarm_range_resolve(const Config *c, const RtcAlarmRange *detected);

/* Seconds: WakeAlarmRange= when set, else detected's. */
uint64_t rtc_alarm_range_effective(const Config *c, const RtcAlarmRange *detected);
