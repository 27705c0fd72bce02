/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the host's power management can do: logind's answer for each sleep
 * target, the RTC wake device and the network interfaces. hostpmd gathers
 * it (src/hostpmd/host-capabilities.c), the CLI reads it back from hostpmd's
 * document. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "net-interfaces.h"
#include "rtc.h"
#include "rtc-range.h"
#include "rtc-s4-wake.h"
#include "sleep-target.h"
#include "swap-info.h"

/* Every answer logind's Can*() may give. The platform supports the target
 * for all but NO, NA and UNKNOWN; the *INHIBIT* answers add that something
 * blocks it right now. */
typedef enum LogindAnswer {
        LOGIND_ANSWER_YES,
        LOGIND_ANSWER_NO,
        LOGIND_ANSWER_NA,
        LOGIND_ANSWER_CHALLENGE,
        LOGIND_ANSWER_INHIBITED,
        LOGIND_ANSWER_INHIBITOR_BLOCKED,
        LOGIND_ANSWER_CHALLENGE_INHIBITOR_BLOCKED,
        LOGIND_ANSWER_UNKNOWN,         /* a string this version of hostpm does not know */
        _LOGIND_ANSWER_MAX,
        _LOGIND_ANSWER_INVALID = -EINVAL,
} LogindAnswer;

const char *logind_answer_to_string(LogindAnswer a);
LogindAnswer logind_answer_from_string(const char *s);  /* never invalid: UNKNOWN for strangers */
bool logind_answer_is_supported(LogindAnswer a);
bool logind_answer_is_blocked(LogindAnswer a);
bool logind_answer_needs_authentication(LogindAnswer a);

typedef struct TargetCapability {
        LogindAnswer answer;
        char *raw;               /* logind's string as received */
} TargetCapability;

typedef struct Capabilities {
        /* 0 when logind answered; otherwise why not, and then targets[] is
         * meaningless and no <power_management> block may be claimed. */
        int query_error;
        char *query_error_name;  /* D-Bus error name, e.g. org.freedesktop.DBus.Error.ServiceUnknown */
        char *query_error_message;

        TargetCapability targets[_SLEEP_TARGET_MAX];
        RtcInfo rtc;
        RtcS4Wake rtc_s4_wake;
        /* how far ahead the RTC takes an alarm (rtc-range.h), WakeAlarmRange=
         * applied; seconds 0: not known (no RTC, or an older document) */
        RtcAlarmRange rtc_range;
        /* disk, hybrid, suspend-then-hibernate (hibernate-check.h) */
        bool hibernate_known;    /* read for this document; false: no <hibernation> element */
        HibernateInfo hibernate;
        char *hibernate_problem; /* NULL: the image fits and can be read back */
        NetInterfaces net;       /* asked=false: not known (no element in the document) */
} Capabilities;

void capabilities_done(Capabilities *c);
bool capabilities_target_supported(const Capabilities *c, SleepTarget t);

/* Records a failed query; name/message may be NULL. */
int capabilities_set_query_error(Capabilities *c, int error, const char *name, const char *message);
