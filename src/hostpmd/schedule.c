/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <time.h>

#include "bus-names.h"
#include "config.h"
#include "log.h"
#include "macro.h"
#include "schedule.h"
#include "rtc.h"
#include "timespan.h"

/* systemd's default AccuracySec= is a minute; the suspend must start when
 * the plan says. */
#define TIMER_ACCURACY_USEC (100 * USEC_PER_MSEC)

void strv_free(char **l) {
        for (char **i = l; i && *i; i++)
                free(*i);
        free(l);
}

static void strv_freep(char ***l) {
        strv_free(*l);
}

void pending_done(Pending *p) {
        free(p->id);
        *p = (Pending) {0};
}

const char *pending_state_to_string(PendingState s) {
        switch (s) {
        case PENDING_SCHEDULED:  return "scheduled";
        case PENDING_SUSPENDING: return "suspending";
        case PENDING_NONE:       return "";
        }
        return "";
}

const char *helper_path(void) {
        /* Test seam, read once: the build tree's helper instead of the
         * installed one. */
        const char *e = secure_getenv("HOSTPM_SLEEP_PATH");

        return isempty(e) ? LIBEXECDIR "/hostpm-sleep" : e;
}

char **helper_argv_new(const char *path, const HelperRequest *req) {
        char **argv = calloc(12, sizeof(char *));
        size_t n = 0;

        if (!argv)
                return NULL;
        if (!(argv[n++] = strdup(path)) ||
            asprintf(&argv[n++], "--id=%s", req->id) < 0 ||
            asprintf(&argv[n++], "--target=%s", sleep_target_to_string(req->target)) < 0 ||
            (req->wake_realtime_usec > 0
                     ? asprintf(&argv[n++], "--wake-at=%" PRIu64, req->wake_realtime_usec / USEC_PER_SEC)
                     : asprintf(&argv[n++], "--seconds=%" PRIu64, req->duration_sec)) < 0 ||
            asprintf(&argv[n++], "--rtc-device=%s", req->rtc_device) < 0 ||
            asprintf(&argv[n++], "--requester-uid=%u", (unsigned) req->requester_uid) < 0 ||
            asprintf(&argv[n++], "--requester-pid=%d", (int) req->requester_pid) < 0 ||
            (req->ignore_inhibitors && !(argv[n++] = strdup("--ignore-inhibitors"))) ||
            (req->wake_on_lan && asprintf(&argv[n++], "--wake-on-lan=%s", req->wake_on_lan) < 0)) {
                /* asprintf leaves the slot undefined on failure */
                argv[n - 1] = NULL;
                strv_free(argv);
                return NULL;
        }
        return argv;
}

static int parse_u64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
                return -EBADMSG;
        *ret = v;
        return 0;
}

int helper_argv_parse(char **argv, Pending *p) {
        uint64_t v;

        p->target = _SLEEP_TARGET_INVALID;
        for (char **a = argv && argv[0] ? argv + 1 : argv; a && *a; a++) {
                const char *eq = strchr(*a, '=');
                const char *value = eq ? eq + 1 : "";
                size_t klen = eq ? (size_t) (eq - *a) : strlen(*a);

#define KEY(k) (klen == strlen(k) && strncmp(*a, k, klen) == 0)
                if (KEY("--id")) {
                        free(p->id);
                        p->id = strdup(value);
                        if (!p->id)
                                return -ENOMEM;
                } else if (KEY("--target"))
                        p->target = sleep_target_from_string(value);
                else if (KEY("--seconds")) {
                        if (parse_u64(value, &p->duration_sec) < 0)
                                return -EBADMSG;
                } else if (KEY("--wake-at")) {
                        if (parse_u64(value, &v) < 0 || v > UINT64_MAX / USEC_PER_SEC)
                                return -EBADMSG;
                        p->wake_realtime_usec = v * USEC_PER_SEC;
                } else if (KEY("--requester-uid")) {
                        if (parse_u64(value, &v) < 0 || v > UINT32_MAX)
                                return -EBADMSG;
                        p->requester_uid = (uid_t) v;
                } else if (KEY("--requester-pid")) {
                        if (parse_u64(value, &v) < 0 || v > INT_MAX)
                                return -EBADMSG;
                        p->requester_pid = (pid_t) v;
                }
#undef KEY
        }
        return p->id && p->target >= 0 ? 0 : -EBADMSG;
}

/* Test seam, read once: transient properties the test bed's user manager
 * cannot apply (ProtectKernelTunables= and friends fail with 226/NAMESPACE
 * there). Production never sets it, so production hardening stays whole. */
static bool property_omitted(const char *name) {
        const char *e = secure_getenv("HOSTPM_TRANSIENT_OMIT");
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
        if (r >= 0) r = APPEND_PROPERTY(m, "SystemCallFilter", "(bas)", 0, 1, "@privileged");
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
        _cleanup_free_ char *description = NULL, *wakealarm = NULL;
        char dur[DURATION_MAX_STRING];
        int r;

        argv = helper_argv_new(helper_path(), req);
        if (!argv)
                return -ENOMEM;
        wakealarm = wakealarm_real_path(req->rtc_device);

        if (asprintf(&description, "hostpm: suspend to %s for %s, requested by UID %u (PID %d), request %s",
                     sleep_target_to_string(plan->target),
                     format_duration(dur, sizeof dur, plan->duration_sec * USEC_PER_SEC),
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
        if (r >= 0 && !isempty(secure_getenv("HOSTPM_SLEEP_PATH")))
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

/* The object path of a loaded unit; 0 and NULL if it is not loaded. */
static int get_unit_path(sd_bus *bus, const char *unit, char **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE,
                               "GetUnit", &e, &reply, "s", unit);
        if (r < 0) {
                if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
                        *ret = NULL;
                        return 0;
                }
                sd_bus_error_move(error, &e);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        *ret = strdup(path);
        return *ret ? 1 : -ENOMEM;
}

static int get_active_state(sd_bus *bus, const char *path, char **ret, sd_bus_error *error) {
        return sd_bus_get_property_string(bus, SYSTEMD_BUS_NAME, path, "org.freedesktop.systemd1.Unit",
                                          "ActiveState", error, ret);
}

/* The unit has a job queued (e.g. the start job of a timer just created). */
static bool unit_has_job(sd_bus *bus, const char *path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *job_path;
        uint32_t job_id;

        if (sd_bus_get_property(bus, SYSTEMD_BUS_NAME, path, "org.freedesktop.systemd1.Unit", "Job", NULL,
                                &reply, "(uo)") < 0)
                return false;
        if (sd_bus_message_read(reply, "(uo)", &job_id, &job_path) < 0)
                return false;
        return job_id != 0;
}

static int read_exec_start(sd_bus *bus, const char *path, Pending *p, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(strv_freep) char **argv = NULL;
        const char *binary;
        int r;

        r = sd_bus_get_property(bus, SYSTEMD_BUS_NAME, path, "org.freedesktop.systemd1.Service",
                                "ExecStart", error, &reply, "a(sasbttttuii)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sasbttttuii)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'r', "sasbttttuii");
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        r = sd_bus_message_read(reply, "s", &binary);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &argv);
        if (r < 0)
                return r;
        return helper_argv_parse(argv, p);
}

int schedule_read_pending(sd_bus *bus, Pending *ret, sd_bus_error *error) {
        _cleanup_free_ char *timer_path = NULL, *service_path = NULL;
        _cleanup_free_ char *timer_state = NULL, *service_state = NULL;
        _cleanup_(pending_done) Pending p = {0};
        int r;

        r = get_unit_path(bus, SCHEDULE_TIMER_UNIT, &timer_path, error);
        if (r < 0)
                return r;
        r = get_unit_path(bus, SCHEDULE_SERVICE_UNIT, &service_path, error);
        if (r < 0)
                return r;

        if (timer_path) {
                r = get_active_state(bus, timer_path, &timer_state, error);
                if (r < 0)
                        return r;
        }
        if (service_path) {
                r = get_active_state(bus, service_path, &service_state, error);
                if (r < 0)
                        return r;
        }

        if (service_state && (streq(service_state, "activating") || streq(service_state, "active") ||
                              streq(service_state, "deactivating")))
                p.state = PENDING_SUSPENDING;
        else if (timer_state && (streq(timer_state, "active") || unit_has_job(bus, timer_path)))
                /* just created, its start job not run yet: pending all the same */
                p.state = PENDING_SCHEDULED;
        else {
                *ret = (Pending) {0};
                return 0;
        }

        if (service_path) {
                r = read_exec_start(bus, service_path, &p, error);
                if (r == -EBADMSG) {
                        /* The service ended and was collected between our
                         * two questions: asking loaded an empty stub. It is
                         * no longer pending; a real clash of names would
                         * still meet UnitExists when scheduling. */
                        *ret = (Pending) {0};
                        return 0;
                }
                if (r < 0)
                        return r;
        }

        if (p.state == PENDING_SUSPENDING) {
                /* the helper started when the timer fired: the plan's clock */
                r = sd_bus_get_property_trivial(bus, SYSTEMD_BUS_NAME, service_path,
                                                "org.freedesktop.systemd1.Service", "ExecMainStartTimestamp",
                                                error, 't', &p.suspend_realtime_usec);
                if (r < 0)
                        return r;
        }

        if (p.state == PENDING_SCHEDULED) {
                uint64_t next_mono = 0;

                r = sd_bus_get_property_trivial(bus, SYSTEMD_BUS_NAME, timer_path, "org.freedesktop.systemd1.Timer",
                                                "NextElapseUSecMonotonic", error, 't', &next_mono);
                if (r < 0)
                        return r;
                /* the timer counts in CLOCK_MONOTONIC; callers want wall time */
                if (next_mono > 0) {
                        uint64_t now_mono = clock_now_usec(CLOCK_MONOTONIC);
                        uint64_t now_real = clock_now_usec(CLOCK_REALTIME);

                        p.suspend_realtime_usec = now_real + (next_mono > now_mono ? next_mono - now_mono : 0);
                }
        }

        *ret = p;
        p = (Pending) {0};
        return 1;
}
