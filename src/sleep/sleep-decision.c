/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "sleep-args.h"
#include "sleep-decision.h"

#define RESUME_MARGIN_MIN_USEC (60 * USEC_PER_SEC)
#define ALARM_EARLY_SEC        UINT64_C(2)
#define RESUME_FROM_RAM_SEC    UINT64_C(30)
#define RESUME_FROM_DISK_SEC   UINT64_C(300)

/* Time suspended that counts as a sleep. The bracketing reads leave no
 * measurement error beyond the microsecond rounding, and nothing but a
 * resume moves BOOTTIME away from MONOTONIC, so any real growth is a
 * sleep; 1 ms is far above the rounding. A larger bound (say a second)
 * would only lose the short sleeps that another wake source cut short,
 * and then the alarm would wait for the resume timeout instead. */
#define SUSPENDED_EVIDENCE_MIN_USEC (1 * USEC_PER_MSEC)

/* word is one of the colon-separated items of list */
static bool list_has(const char *list, const char *word) {
        size_t n = strlen(word);

        for (const char *p = list;; p++) {
                if (strncmp(p, word, n) == 0 && IN_SET(p[n], ':', '\0'))
                        return true;
                p = strchr(p, ':');
                if (!p)
                        return false;
        }
}

bool inhibitor_blocks_sleep(const Inhibitor *i) {
        return i->mode && i->what && streq(i->mode, "block") && list_has(i->what, "sleep");
}

int inhibitor_refusal_message(const Inhibitor *i, char **ret) {
        char *s;

        if (asprintf(&s, "sleep is blocked by %s (uid %" PRIu32 ", pid %" PRIu32 "): %s",
                     isempty(i->who) ? "an unnamed inhibitor" : i->who, i->uid, i->pid,
                     isempty(i->why) ? "no reason given" : i->why) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int seconds_until(uint64_t wake_at, uint64_t now_usec, uint64_t *ret) {
        uint64_t ahead;

        if (wake_at > SLEEP_SECONDS_MAX + now_usec / USEC_PER_SEC + 1)
                return -ERANGE;  /* also keeps wake_at * USEC_PER_SEC from overflowing */
        if (wake_at * USEC_PER_SEC <= now_usec)
                return -ETIME;
        ahead = (wake_at * USEC_PER_SEC - now_usec + USEC_PER_SEC / 2) / USEC_PER_SEC;
        if (ahead == 0)
                return -ETIME;
        if (ahead > SLEEP_SECONDS_MAX)
                return -ERANGE;
        *ret = ahead;
        return 0;
}

uint64_t resume_wait_usec(uint64_t seconds) {
        uint64_t asked = seconds * USEC_PER_SEC, margin = asked / 10;

        if (margin < RESUME_MARGIN_MIN_USEC)
                margin = RESUME_MARGIN_MIN_USEC;
        return asked + margin;
}

bool alarm_reached_at_resume(SleepTarget target, uint64_t rtc_now, uint64_t alarm) {
        uint64_t late = IN_SET(target, SLEEP_TARGET_DISK, SLEEP_TARGET_SUSPEND_THEN_HIBERNATE) ?
                        RESUME_FROM_DISK_SEC : RESUME_FROM_RAM_SEC;

        if (alarm == 0)
                return false;
        return rtc_now + ALARM_EARLY_SEC >= alarm && rtc_now <= alarm + late;
}

bool logind_error_is_refusal(const char *error_name) {
        static const char *const no_answer[] = {
                SD_BUS_ERROR_NO_REPLY,  /* what sd-bus synthesizes for a timeout or a lost connection */
                SD_BUS_ERROR_TIMEOUT,
                "org.freedesktop.DBus.Error.TimedOut",
                SD_BUS_ERROR_DISCONNECTED,
        };

        if (!error_name)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(no_answer); i++)
                if (streq(error_name, no_answer[i]))
                        return false;
        return true;
}

uint64_t time_suspended_usec(uint64_t boot_before, uint64_t mono_before, uint64_t boot_after, uint64_t mono_after) {
        uint64_t boot, mono;

        if (boot_after < boot_before || mono_after < mono_before)
                return 0;
        boot = boot_after - boot_before;
        mono = mono_after - mono_before;
        return boot > mono ? boot - mono : 0;
}

uint64_t sleep_evidence_suspended_usec(const SleepEvidence *before, const SleepEvidence *after) {
        if (!before->have_clocks || !after->have_clocks)
                return 0;
        /* the upper bound before, the lower bound after */
        return time_suspended_usec(before->boot_usec, before->mono_before_usec,
                                   after->boot_usec, after->mono_after_usec);
}

ResumeEvidence resume_evidence(const SleepEvidence *before, const SleepEvidence *after) {
        bool stats = before->have_stats && after->have_stats;

        /* "moved", not "grew": the kernel's int counters may wrap */
        if (sleep_evidence_suspended_usec(before, after) >= SUSPENDED_EVIDENCE_MIN_USEC ||
            (stats && after->success != before->success))
                return RESUME_EVIDENCE_SLEPT;
        if (stats && after->fail != before->fail)
                return RESUME_EVIDENCE_SUSPEND_FAILED;
        return RESUME_EVIDENCE_NONE;
}
