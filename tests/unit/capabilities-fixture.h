/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Capabilities as logind and a typical rtc_cmos would give them, for the
 * rendering tests. */

#include "capabilities.h"

static inline void capabilities_fill(Capabilities *c, const char *mem, const char *disk, const char *hybrid,
                                     const char *then_hibernate) {
        const char *raw[] = { mem, disk, hybrid, then_hibernate };

        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                c->targets[t].raw = strdup(raw[t]);
                c->targets[t].answer = logind_answer_from_string(raw[t]);
        }
        c->rtc.device = strdup("rtc0");
        c->rtc.present = true;
        c->rtc.name = strdup("rtc_cmos");
        c->rtc.has_wakealarm = true;
        c->rtc.wakeup = RTC_WAKEUP_ENABLED;
        c->rtc.max_seconds = 82800;
        c->rtc_range = (RtcAlarmRange) { 86399, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_NO };
}
