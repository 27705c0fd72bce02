/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>

#include "bus-names.h"
#include "macro.h"
#include "sleep-unit.h"

#define SYSTEMD_UNIT_IFACE    "org.freedesktop.systemd1.Unit"
#define SYSTEMD_SERVICE_IFACE "org.freedesktop.systemd1.Service"

const char *sleep_target_to_sleep_unit(SleepTarget t) {
        switch (t) {
        case SLEEP_TARGET_DISK:                   return "systemd-hibernate.service";
        case SLEEP_TARGET_HYBRID:                 return "systemd-hybrid-sleep.service";
        case SLEEP_TARGET_SUSPEND_THEN_HIBERNATE: return "systemd-suspend-then-hibernate.service";
        default:                                  return NULL;
        }
}

int sleep_unit_ref(sd_bus *bus, SleepTarget t) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *unit = sleep_target_to_sleep_unit(t);

        if (!unit)
                return -EINVAL;
        return sd_bus_call_method(bus, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE, "RefUnit",
                                  &error, NULL, "s", unit);
}

static int get_string(sd_bus *bus, const char *path, const char *iface, const char *name, char *buf, size_t l) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *s = NULL;
        int r;

        r = sd_bus_get_property_string(bus, SYSTEMD_BUS_NAME, path, iface, name, &error, &s);
        if (r < 0)
                return r;
        snprintf(buf, l, "%s", s);
        return 0;
}

int sleep_unit_read(sd_bus *bus, SleepTarget t, SleepUnitRun *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        const char *unit = sleep_target_to_sleep_unit(t);
        SleepUnitRun u = {0};
        int r;

        *ret = u;
        if (!unit)
                return -EINVAL;
        /* the unit's object path, loaded or not: PID 1 loads it to answer */
        r = sd_bus_path_encode(SYSTEMD_OBJECT_PATH "/unit", unit, &path);
        if (r < 0)
                return r;
        r = get_string(bus, path, SYSTEMD_UNIT_IFACE, "ActiveState", u.active_state, sizeof u.active_state);
        if (r >= 0)
                r = get_string(bus, path, SYSTEMD_SERVICE_IFACE, "Result", u.result, sizeof u.result);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, SYSTEMD_BUS_NAME, path, SYSTEMD_UNIT_IFACE,
                                                "InactiveExitTimestampMonotonic", &error, 't',
                                                &u.start_monotonic);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, SYSTEMD_BUS_NAME, path, SYSTEMD_SERVICE_IFACE,
                                                "ExecMainStatus", &error, 'i', &u.exit_status);
        if (r < 0)
                return r;
        u.read = true;
        *ret = u;
        return 0;
}

ResumeEvidence image_resume_evidence(SleepTarget t, const SleepUnitRun *u, uint64_t committed_mono_usec,
                                     ResumeEvidence clocks, char **ret_failure) {
        *ret_failure = NULL;
        if (!u->read || u->start_monotonic == 0 || u->start_monotonic < committed_mono_usec)
                return RESUME_EVIDENCE_NONE;  /* not this attempt's run, or not known */
        if (streq(u->active_state, "activating") || streq(u->active_state, "deactivating"))
                return RESUME_EVIDENCE_NONE;  /* still at it */
        if (streq(u->result, "success") && !streq(u->active_state, "failed"))
                return clocks;
        if (asprintf(ret_failure, "%s failed (result %s, exit status %" PRIi32 "): the kernel did not %s; "
                     "its reason is in the kernel log and in journalctl -u %s",
                     sleep_target_to_sleep_unit(t), u->result[0] ? u->result : "unknown", u->exit_status,
                     t == SLEEP_TARGET_SUSPEND_THEN_HIBERNATE ? "suspend and hibernate" :
                     t == SLEEP_TARGET_HYBRID ? "write its image and suspend" : "hibernate",
                     sleep_target_to_sleep_unit(t)) < 0)
                *ret_failure = NULL;
        return RESUME_EVIDENCE_SUSPEND_FAILED;
}
