/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <time.h>

#include "bus-names.h"
#include "config.h"
#include "helper-args.h"
#include "log.h"
#include "macro.h"
#include "schedule.h"
#include "rtc.h"
#include "strv.h"
#include "test-seam.h"
#include "timespan.h"

/* systemd's default AccuracySec= is a minute; the suspend must start when
 * the plan says. */
#define TIMER_ACCURACY_USEC (100 * USEC_PER_MSEC)

const char *helper_path(void) {
        /* in a test build, the build tree's helper instead of the installed one */
        const char *e = test_seam_getenv(TEST_SEAM_SLEEP_PATH);

        return e ? e : LIBEXECDIR "/hostpm-sleep";
}

int helper_argv_new(const char *path, const HelperRequest *req, char ***ret, char **ret_reason) {
        HelperArgs a = {
                .id = req->id,
                .target = req->target,
                /* one or the other, as the plan has it */
                .seconds = req->wake_realtime_usec > 0 ? 0 : req->duration_sec,
                .wake_at = req->wake_realtime_usec / USEC_PER_SEC,
                .min_seconds = req->min_seconds,
                .alarm_range = req->alarm_range_sec,
                .hibernate_after = req->hibernate_after_sec,
                .ignore_inhibitors = req->ignore_inhibitors,
                .rtc_device = req->rtc_device,
                .wake_on_lan = (char *) req->wake_on_lan,  /* only read */
                .requester_uid = req->requester_uid,
                .requester_pid = req->requester_pid,
        };

        return helper_args_to_argv(path, &a, ret, ret_reason);
}

/* Test seam: transient properties a test leaves out (the bed's user
 * manager cannot apply ProtectHome=; memcheck needs executable memory). A
 * release build has no seams, so its hardening is always whole. */
static bool property_omitted(const char *name) {
        const char *e = test_seam_getenv(TEST_SEAM_TRANSIENT_OMIT);
        size_t l = strlen(name);

        for (const char *p = e; p && *p; ) {
                size_t n = strcspn(p, " ,");

                if (n == l && strncmp(p, name, l) == 0)
                        return true;
                p += n;
                p += strspn(p, " ,");
        }
        return false;
}

#define APPEND_PROPERTY(m, name, sig, ...)                                      \
        (property_omitted(name) ? 0 : sd_bus_message_append((m), "(sv)", (name), (sig), __VA_ARGS__))

/* IPAddressDeny=any: both families, prefix length 0 */
static int append_ip_address_deny_any(sd_bus_message *m) {
        static const uint8_t any6[16] = {0};
        int r;

        if (property_omitted("IPAddressDeny"))
                return 0;
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0) r = sd_bus_message_append(m, "s", "IPAddressDeny");
        if (r >= 0) r = sd_bus_message_open_container(m, 'v', "a(iayu)");
        if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(iayu)");
        if (r >= 0) r = sd_bus_message_open_container(m, 'r', "iayu");
        if (r >= 0) r = sd_bus_message_append(m, "i", AF_INET);
        if (r >= 0) r = sd_bus_message_append_array(m, 'y', any6, 4);
        if (r >= 0) r = sd_bus_message_append(m, "u", 0U);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_open_container(m, 'r', "iayu");
        if (r >= 0) r = sd_bus_message_append(m, "i", AF_INET6);
        if (r >= 0) r = sd_bus_message_append_array(m, 'y', any6, sizeof any6);
        if (r >= 0) r = sd_bus_message_append(m, "u", 0U);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        return r;
}

/* The helper writes one sysfs file and talks to logind; it gets nothing
 * else. With WakeOnLanInterfaces= it also arms the interfaces: that takes
 * CAP_NET_ADMIN in the host's network namespace and a netlink socket for
 * the ethtool ioctl, and nothing more (no IP traffic). */
static int append_service_hardening(sd_bus_message *m, const char *wakealarm_path, bool wake_on_lan) {
        int r = 0;

        if (r >= 0) r = APPEND_PROPERTY(m, "NoNewPrivileges", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectSystem", "s", "strict");
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectHome", "s", "yes");
        if (r >= 0) r = APPEND_PROPERTY(m, "PrivateTmp", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "PrivateDevices", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "PrivateNetwork", "b", !wake_on_lan);
        if (r >= 0 && wake_on_lan) r = append_ip_address_deny_any(m);
        /* ProtectKernelTunables= makes /sys read-only: the one file the
         * helper must write is opened up again below. */
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectKernelTunables", "b", 1);
        if (r >= 0 && wakealarm_path)
                r = APPEND_PROPERTY(m, "ReadWritePaths", "as", 1, wakealarm_path);
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectKernelModules", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectKernelLogs", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectControlGroups", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectClock", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectHostname", "b", 1);
        /* /proc shows the helper its own processes and nothing of the
         * kernel's (it reads no /proc file; sd-bus only /proc/self) */
        if (r >= 0) r = APPEND_PROPERTY(m, "ProtectProc", "s", "invisible");
        if (r >= 0) r = APPEND_PROPERTY(m, "ProcSubset", "s", "pid");
        if (r >= 0) r = APPEND_PROPERTY(m, "PrivateIPC", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "RestrictNamespaces", "t", UINT64_C(0));
        if (r >= 0) r = APPEND_PROPERTY(m, "RestrictRealtime", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "RestrictSUIDSGID", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "LockPersonality", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "MemoryDenyWriteExecute", "b", 1);
        if (r >= 0) r = APPEND_PROPERTY(m, "CapabilityBoundingSet", "t",
                                        wake_on_lan ? UINT64_C(1) << CAP_NET_ADMIN : UINT64_C(0));
        if (r >= 0 && wake_on_lan)
                r = APPEND_PROPERTY(m, "RestrictAddressFamilies", "(bas)", 1, 2, "AF_UNIX", "AF_NETLINK");
        else if (r >= 0)
                r = APPEND_PROPERTY(m, "RestrictAddressFamilies", "(bas)", 1, 1, "AF_UNIX");
        if (r >= 0) r = APPEND_PROPERTY(m, "SystemCallArchitectures", "as", 1, "native");
        /* A deny list is an assignment of its own (allow-list flag false),
         * as in a unit file: systemd does not parse "~" inside a list, it
         * logs "Failed to parse system call, ignoring" and drops it. */
        if (r >= 0) r = APPEND_PROPERTY(m, "SystemCallFilter", "(bas)", 1, 1, "@system-service");
        if (r >= 0) r = APPEND_PROPERTY(m, "SystemCallFilter", "(bas)", 0, 2, "@privileged", "@resources");
        /* a denied call fails with EPERM rather than killing the helper
         * mid-suspend, when the alarm may be set */
        if (r >= 0) r = APPEND_PROPERTY(m, "SystemCallErrorNumber", "i", (int32_t) EPERM);
        if (r >= 0) r = APPEND_PROPERTY(m, "UMask", "u", 0077U);
        return r;
}

static int append_exec_start(sd_bus_message *m, char **argv) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0) r = sd_bus_message_append(m, "s", "ExecStart");
        if (r >= 0) r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0) r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0) r = sd_bus_message_append(m, "s", argv[0]);
        if (r >= 0) r = sd_bus_message_append_strv(m, argv);
        if (r >= 0) r = sd_bus_message_append(m, "b", 0);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        return r;
}

/* The real path of the RTC's wakealarm, for ReadWritePaths=; NULL when it
 * cannot be resolved (the helper will then fail safe and say why). */
static char *wakealarm_real_path(const char *device) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/class/rtc/%s/wakealarm", rtc_sysfs_root(), device) < 0)
                return NULL;
        return realpath(p, NULL);
}

int schedule_start(sd_bus *bus, const SuspendPlan *plan, const HelperRequest *req, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_free_ char *description = NULL, *wakealarm = NULL, *reason = NULL;
        char dur[DURATION_MAX_STRING];
        int r;

        r = helper_argv_new(helper_path(), req, &argv, &reason);
        if (r == -EINVAL)
                /* a bug of hostpmd's: the helper would refuse its argv */
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Refusing to start the helper with an "
                                         "argument it would refuse: %s", reason ? reason : "?");
        if (r < 0)
                return r;
        wakealarm = wakealarm_real_path(req->rtc_device);

        if (asprintf(&description, "hostpm: suspend to %s for %s, requested by UID %u (PID %d), request %s",
                     sleep_target_to_string(plan->target),
                     format_duration(dur, sizeof dur, usec_from_sec(plan->duration_sec)),
                     (unsigned) req->requester_uid, (int) req->requester_pid, req->id) < 0)
                return -ENOMEM;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH,
                                           SYSTEMD_MANAGER_IFACE, "StartTransientUnit");
        if (r < 0)
                return r;

        /* "fail": never replace or queue behind anything already there */
        r = sd_bus_message_append(m, "ss", SCHEDULE_TIMER_UNIT, "fail");
        if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "Description", "s", description);
        /* TimersMonotonic= rather than the obsolete OnActiveSec= property */
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "TimersMonotonic", "a(st)", 1, "OnActiveSec",
                                              plan->delay_usec);
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "AccuracyUSec", "t", TIMER_ACCURACY_USEC);
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "RemainAfterElapse", "b", 0);
        if (r >= 0) r = sd_bus_message_close_container(m);

        /* the service, as the auxiliary unit of the same call */
        if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sa(sv))");
        if (r >= 0) r = sd_bus_message_open_container(m, 'r', "sa(sv)");
        if (r >= 0) r = sd_bus_message_append(m, "s", SCHEDULE_SERVICE_UNIT);
        if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "Description", "s", description);
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "Type", "s", "oneshot");
        /* a failed run must not block the next request's unit name */
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
        if (r >= 0) r = sd_bus_message_append(m, "(sv)", "StateDirectory", "as", 1, "hostpm");
        if (r >= 0) r = append_exec_start(m, argv);
        /* A helper from a build tree (the test seam) may live under /tmp,
         * which PrivateTmp= hides: bring it along. The installed one needs
         * nothing. */
        if (r >= 0 && test_seam_getenv(TEST_SEAM_SLEEP_PATH))
                r = sd_bus_message_append(m, "(sv)", "BindReadOnlyPaths", "a(ssbt)", 1,
                                          argv[0], argv[0], 0, UINT64_C(0));
        if (r >= 0) r = append_service_hardening(m, wakealarm, !isempty(req->wake_on_lan));
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;

        return sd_bus_call(bus, m, 0, error, &reply);
}

int schedule_stop_timer(sd_bus *bus, sd_bus_error *error) {
        return sd_bus_call_method(bus, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE,
                                  "StopUnit", error, NULL, "ss", SCHEDULE_TIMER_UNIT, "fail");
}

#define SERVICE_IFACE "org.freedesktop.systemd1.Service"
#define TIMER_IFACE   "org.freedesktop.systemd1.Timer"

static int get_property(sd_bus *bus, const UnitProperties *u, const char *iface, const char *name,
                        UnitProperties *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_BUS_NAME, u->path, "org.freedesktop.DBus.Properties", "Get", error,
                               &reply, "ss", iface, name);
        if (r < 0)
                return r;
        return unit_property_read(reply, name, ret);
}

int schedule_read_pending(sd_bus *bus, Pending *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *list = NULL;
        _cleanup_(unit_properties_done) UnitProperties service = {0}, timer = {0};
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        PendingState state;
        const char *time_property;
        bool of_timer;
        int r;

        /* both units' states in one look, so that they agree */
        r = unit_list_new(bus, &m);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 0, error, &list);
        if (r < 0)
                return r;
        r = unit_list_read(list, &service, &timer);
        if (r < 0)
                return r;

        /* then what the request is, and when it starts or started */
        state = pending_state_from_units(&service, &timer);
        time_property = pending_time_property(state, &of_timer);
        if (state != PENDING_NONE) {
                r = get_property(bus, &service, SERVICE_IFACE, "ExecStart", &service, &e);
                if (r >= 0)
                        r = get_property(bus, of_timer ? &timer : &service, of_timer ? TIMER_IFACE : SERVICE_IFACE,
                                         time_property, of_timer ? &timer : &service, &e);
                /* unloaded since the list: that request is over */
                if (r < 0 && sd_bus_error_has_names(&e, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                                    "org.freedesktop.systemd1.NoSuchUnit")) {
                        *ret = (Pending) {0};
                        return 0;
                }
                if (r < 0) {
                        sd_bus_error_move(error, &e);
                        return r;
                }
        }
        return pending_from_units(&service, &timer, clock_now_usec(CLOCK_MONOTONIC),
                                  clock_now_usec(CLOCK_REALTIME), ret);
}
