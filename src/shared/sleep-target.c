/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "macro.h"
#include "sleep-target.h"

static const struct {
        const char *name;
        const char *logind_can;
        const char *logind_method;
        const char *libvirt_element;
} sleep_target_table[_SLEEP_TARGET_MAX] = {
        [SLEEP_TARGET_MEM]    = { "mem",    "CanSuspend",     "Suspend",     "suspend_mem" },
        [SLEEP_TARGET_DISK]   = { "disk",   "CanHibernate",   "Hibernate",   "suspend_disk" },
        [SLEEP_TARGET_HYBRID] = { "hybrid", "CanHybridSleep", "HybridSleep", "suspend_hybrid" },
        [SLEEP_TARGET_SUSPEND_THEN_HIBERNATE] = {
                "suspend-then-hibernate", "CanSuspendThenHibernate", "SuspendThenHibernate", NULL },
};

static bool sleep_target_valid(SleepTarget t) {
        return t >= 0 && t < _SLEEP_TARGET_MAX;
}

const char *sleep_target_to_string(SleepTarget t) {
        return sleep_target_valid(t) ? sleep_target_table[t].name : NULL;
}

SleepTarget sleep_target_from_string(const char *s) {
        if (!s)
                return _SLEEP_TARGET_INVALID;
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                if (streq(s, sleep_target_table[t].name))
                        return t;
        return _SLEEP_TARGET_INVALID;
}

const char *sleep_target_to_logind_can_method(SleepTarget t) {
        return sleep_target_valid(t) ? sleep_target_table[t].logind_can : NULL;
}

const char *sleep_target_to_logind_method(SleepTarget t) {
        return sleep_target_valid(t) ? sleep_target_table[t].logind_method : NULL;
}

const char *sleep_target_to_libvirt_element(SleepTarget t) {
        return sleep_target_valid(t) ? sleep_target_table[t].libvirt_element : NULL;
}

const char *sleep_target_list(void) {
        return "mem, disk, hybrid, suspend-then-hibernate";
}
