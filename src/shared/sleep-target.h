/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The four ways a host can sleep, and what each is called by hostpm's API,
 * by logind and by libvirt. */

#include <errno.h>

typedef enum SleepTarget {
        SLEEP_TARGET_MEM,
        SLEEP_TARGET_DISK,
        SLEEP_TARGET_HYBRID,
        SLEEP_TARGET_SUSPEND_THEN_HIBERNATE,
        _SLEEP_TARGET_MAX,
        _SLEEP_TARGET_INVALID = -EINVAL,
} SleepTarget;

const char *sleep_target_to_string(SleepTarget t);
SleepTarget sleep_target_from_string(const char *s);

/* logind's question ("CanSuspend") and action ("Suspend") for the target. */
const char *sleep_target_to_logind_can_method(SleepTarget t);
const char *sleep_target_to_logind_method(SleepTarget t);

/* libvirt's <power_management> element, or NULL where libvirt has none
 * (suspend-then-hibernate). */
const char *sleep_target_to_libvirt_element(SleepTarget t);

/* "mem, disk, hybrid, suspend-then-hibernate", for messages that say what
 * is accepted. */
const char *sleep_target_list(void);
