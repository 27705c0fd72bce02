/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpmd's reading of the timer/service pair: the helper's argv written
 * and read back into the pending record, systemd's replies read into the
 * units' properties, and the pending state of every state the pair passes
 * through, the in-between ones included. */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "macro.h"
#include "schedule.h"
#include "strv.h"

#define ID "9f86d081884c7d659a2feaa0c55ad015"
#define NOW_MONO (UINT64_C(1000) * USEC_PER_SEC)
#define NOW_REAL (UINT64_C(1700000000) * USEC_PER_SEC)

static char **helper_argv(void) {
        HelperRequest req = {
                .id = ID,
                .target = SLEEP_TARGET_DISK,
                .duration_sec = 600,
                .min_seconds = 30,
                .rtc_device = "rtc0",
                .requester_uid = 1000,
                .requester_pid = 4242,
        };
        char **argv = NULL;

        assert_int_equal(helper_argv_new("/usr/libexec/hostpm-sleep", &req, &argv, NULL), 0);
        return argv;
}

static void test_helper_argv_reads_back(void **state) {
        _cleanup_(strv_freep) char **argv = helper_argv();
        _cleanup_(pending_done) Pending p = {0};
        HelperRequest until = {
                .id = "until-1",
                .target = SLEEP_TARGET_MEM,
                .duration_sec = 99,  /* ignored next to a wake time */
                .wake_realtime_usec = UINT64_C(1800000000) * USEC_PER_SEC + 999999,
                .wake_on_lan = "eno1",
        };
        _cleanup_free_ char *reason = NULL;

        assert_int_equal(pending_from_helper_argv(argv, &p), 0);
        assert_string_equal(p.id, ID);
        assert_int_equal(p.target, SLEEP_TARGET_DISK);
        assert_int_equal(p.duration_sec, 600);
        assert_int_equal(p.wake_realtime_usec, 0);
        assert_int_equal(p.requester_uid, 1000);
        assert_int_equal(p.requester_pid, 4242);

        strv_free(argv);
        argv = NULL;
        assert_int_equal(helper_argv_new("/h", &until, &argv, NULL), 0);
        assert_int_equal(pending_from_helper_argv(argv, &p), 0);
        assert_string_equal(p.id, "until-1");
        assert_int_equal(p.duration_sec, 0);
        /* whole seconds, as the helper is told */
        assert_true(p.wake_realtime_usec == UINT64_C(1800000000) * USEC_PER_SEC);

        /* what the helper would refuse is never scheduled */
        strv_free(argv);
        argv = NULL;
        until.id = "a b";
        assert_int_equal(helper_argv_new("/h", &until, &argv, &reason), -EINVAL);
        assert_null(argv);
        assert_non_null(strstr(reason, "invalid --id 'a b'"));
}

static void test_foreign_argv(void **state) {
        char *sh[] = { (char *) "/bin/sh", (char *) "-c", (char *) "sleep 1", NULL };
        char *help[] = { (char *) "/usr/libexec/hostpm-sleep", (char *) "--help", NULL };
        char *none[] = { NULL };
        Pending p = {0};

        assert_int_equal(pending_from_helper_argv(sh, &p), -EBADMSG);
        assert_int_equal(pending_from_helper_argv(help, &p), -EBADMSG);
        assert_int_equal(pending_from_helper_argv(none, &p), -EBADMSG);
        assert_int_equal(pending_from_helper_argv(NULL, &p), -EBADMSG);
        assert_null(p.id);
}

/* a bus that is never connected: it only makes messages */
static sd_bus *message_bus(int sv[2]) {
        sd_bus *bus = NULL;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, sv[0], sv[0]), 0);
        assert_true(sd_bus_start(bus) >= 0);
        return bus;
}

static void seal(sd_bus_message *m) {
        assert_true(sd_bus_message_seal(m, 1, 0) >= 0);
        assert_true(sd_bus_message_rewind(m, true) >= 0);
}

/* ListUnitsByPatterns() as systemd answers it, read back */
static void test_unit_list(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *call = NULL;
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        UnitProperties service, timer;
        int sv[2];

        bus = message_bus(sv);
        assert_int_equal(unit_list_new(bus, &call), 0);
        assert_string_equal(sd_bus_message_get_member(call), "ListUnitsByPatterns");

        assert_int_equal(sd_bus_message_new_signal(bus, &m, "/x", "x.y", "Z"), 0);
        assert_true(sd_bus_message_append(m, "a(ssssssouso)", 3,
                                          "other.service", "", "loaded", "active", "running", "", "/o", 0, "", "/",
                                          SCHEDULE_TIMER_UNIT, "d", "loaded", "inactive", "dead", "",
                                          "/org/freedesktop/systemd1/unit/hostpm_2dsuspend_2etimer", 7, "start",
                                          "/org/freedesktop/systemd1/job/7",
                                          SCHEDULE_SERVICE_UNIT, "d", "loaded", "inactive", "dead", "",
                                          "/org/freedesktop/systemd1/unit/hostpm_2dsuspend_2eservice", 0, "", "/") >= 0);
        seal(m);
        assert_int_equal(unit_list_read(m, &service, &timer), 0);
        assert_string_equal(timer.load_state, "loaded");
        assert_string_equal(timer.active_state, "inactive");
        assert_string_equal(timer.sub_state, "dead");
        assert_int_equal(timer.job_id, 7);
        assert_string_equal(timer.path, "/org/freedesktop/systemd1/unit/hostpm_2dsuspend_2etimer");
        assert_string_equal(service.path, "/org/freedesktop/systemd1/unit/hostpm_2dsuspend_2eservice");
        assert_int_equal(service.job_id, 0);
        /* just created: pending, though the timer is not active yet */
        assert_int_equal(pending_state_from_units(&service, &timer), PENDING_SCHEDULED);
        close(sv[1]);
}

/* Properties.Get() replies as systemd sends them, read back. */
static void test_unit_properties(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *t = NULL;
        _cleanup_(unit_properties_done) UnitProperties u = {0};
        _cleanup_(strv_freep) char **argv = helper_argv();
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int sv[2];

        bus = message_bus(sv);
        assert_int_equal(sd_bus_message_new_signal(bus, &m, "/x", "x.y", "Z"), 0);
        assert_true(sd_bus_message_open_container(m, 'v', "a(sasbttttuii)") >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "(sasbttttuii)") >= 0);
        for (int i = 0; i < 2; i++) {
                assert_true(sd_bus_message_open_container(m, 'r', "sasbttttuii") >= 0);
                assert_true(sd_bus_message_append(m, "s", argv[0]) >= 0);
                assert_true(sd_bus_message_append_strv(m, i == 0 ? argv : (char *[]) { (char *) "x", NULL }) >= 0);
                assert_true(sd_bus_message_append(m, "bttttuii", 0, 1, 2, 3, 4, 5, 6, 7) >= 0);
                assert_true(sd_bus_message_close_container(m) >= 0);
        }
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        seal(m);
        assert_int_equal(unit_property_read(m, "ExecStart", &u), 0);
        assert_non_null(u.argv);
        assert_int_equal(strv_length(u.argv), strv_length(argv));  /* the first command's */
        assert_string_equal(u.argv[1], argv[1]);

        assert_int_equal(sd_bus_message_new_signal(bus, &t, "/x", "x.y", "Z"), 0);
        assert_true(sd_bus_message_append(t, "v", "t", NOW_REAL) >= 0);
        seal(t);
        assert_int_equal(unit_property_read(t, "ExecMainStartTimestamp", &u), 0);
        assert_true(u.exec_main_start_usec == NOW_REAL);
        assert_int_equal(unit_property_read(t, "Id", &u), -EINVAL);
        close(sv[1]);
}

#define SERVICE(load, active, job, started) \
        { .load_state = (load), .active_state = (active), .job_id = (job), .exec_main_start_usec = (started) }
#define TIMER(load, active, sub, job) \
        { .load_state = (load), .active_state = (active), .sub_state = (sub), .job_id = (job) }
#define NO_UNIT { .load_state = "not-found", .active_state = "inactive", .sub_state = "dead" }
#define STARTED (NOW_REAL - 5 * USEC_PER_SEC)

/* Every state the pair passes through, in order, as one list shows both,
 * and the answer for each. */
static void test_pending_through_a_request(void **state) {
        static const struct {
                const char *what;
                UnitProperties service, timer;
                PendingState expected;
        } cases[] = {
                { "nothing there", NO_UNIT, NO_UNIT, PENDING_NONE },
                { "not listed", {0}, {0}, PENDING_NONE },
                { "just created: the timer's start job queued",
                  SERVICE("loaded", "inactive", 0, 0), TIMER("loaded", "inactive", "dead", 7), PENDING_SCHEDULED },
                { "the timer waits",
                  SERVICE("loaded", "inactive", 0, 0), TIMER("loaded", "active", "waiting", 0), PENDING_SCHEDULED },
                /* the window: the timer fired, the service's start job is
                 * queued but has not run (stopping the timer now stops
                 * nothing) */
                { "fired: the service's start job queued, the timer running",
                  SERVICE("loaded", "inactive", 9, 0), TIMER("loaded", "active", "running", 0), PENDING_SUSPENDING },
                { "fired: the service's start job queued, the timer stopped",
                  SERVICE("loaded", "inactive", 9, 0), TIMER("loaded", "inactive", "dead", 0), PENDING_SUSPENDING },
                { "fired: the service's start job queued, the timer gone",
                  SERVICE("loaded", "inactive", 9, 0), NO_UNIT, PENDING_SUSPENDING },
                { "the helper runs",
                  SERVICE("loaded", "activating", 9, STARTED), TIMER("loaded", "active", "running", 0),
                  PENDING_SUSPENDING },
                { "the helper runs, the timer stopped by hand",
                  SERVICE("loaded", "activating", 9, STARTED), NO_UNIT, PENDING_SUSPENDING },
                { "the helper stops",
                  SERVICE("loaded", "deactivating", 0, STARTED), TIMER("loaded", "active", "running", 0),
                  PENDING_SUSPENDING },
                { "the helper ended, the timer not told yet",
                  SERVICE("loaded", "inactive", 0, 0), TIMER("loaded", "active", "running", 0), PENDING_NONE },
                { "the helper failed",
                  SERVICE("loaded", "failed", 0, 0), TIMER("loaded", "inactive", "dead", 0), PENDING_NONE },
                { "cancelled: the timer stopped",
                  SERVICE("loaded", "inactive", 0, 0), TIMER("loaded", "inactive", "dead", 0), PENDING_NONE },
                { "cancelled and the service collected, a new timer made since",
                  NO_UNIT, TIMER("loaded", "active", "waiting", 0), PENDING_NONE },
                { "the timer failed",
                  SERVICE("loaded", "inactive", 0, 0), TIMER("loaded", "failed", "failed", 0), PENDING_NONE },
                { "the timer elapsed (RemainAfterElapse=, not ours)",
                  SERVICE("loaded", "inactive", 0, 0), TIMER("loaded", "active", "elapsed", 0), PENDING_NONE },
                { "a masked service", SERVICE("masked", "inactive", 0, 0), TIMER("loaded", "active", "waiting", 0),
                  PENDING_NONE },
        };
        _cleanup_(strv_freep) char **argv = helper_argv();

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(pending_done) Pending p = {0};
                UnitProperties service = cases[i].service, timer = cases[i].timer;
                int r;

                service.argv = argv;
                r = pending_from_units(&service, &timer, NOW_MONO, NOW_REAL, &p);
                if (r != (cases[i].expected != PENDING_NONE) || p.state != cases[i].expected)
                        fail_msg("%s: %d, '%s'; expected '%s'", cases[i].what, r, pending_state_to_string(p.state),
                                 pending_state_to_string(cases[i].expected));
                if (r > 0)
                        assert_string_equal(p.id, ID);
                else
                        assert_null(p.id);
        }
}

static void test_pending_times(void **state) {
        _cleanup_(strv_freep) char **argv = helper_argv();
        _cleanup_(pending_done) Pending p = {0};
        UnitProperties service = SERVICE("loaded", "inactive", 0, 0), timer = TIMER("loaded", "active", "waiting", 0);

        service.argv = argv;
        /* scheduled: the timer's monotonic elapse in wall time */
        timer.next_elapse_monotonic_usec = NOW_MONO + 30 * USEC_PER_SEC;
        assert_int_equal(pending_from_units(&service, &timer, NOW_MONO, NOW_REAL, &p), 1);
        assert_true(p.suspend_realtime_usec == NOW_REAL + 30 * USEC_PER_SEC);
        pending_done(&p);
        /* not armed yet: 0, "soon" */
        timer = (UnitProperties) TIMER("loaded", "inactive", "dead", 3);
        assert_int_equal(pending_from_units(&service, &timer, NOW_MONO, NOW_REAL, &p), 1);
        assert_true(p.suspend_realtime_usec == 0);
        pending_done(&p);

        /* suspending: the helper's start, or now while its start job is queued */
        service = (UnitProperties) SERVICE("loaded", "activating", 9, STARTED);
        service.argv = argv;
        assert_int_equal(pending_from_units(&service, &timer, NOW_MONO, NOW_REAL, &p), 1);
        assert_true(p.suspend_realtime_usec == STARTED);
        pending_done(&p);
        service = (UnitProperties) SERVICE("loaded", "inactive", 9, 0);
        service.argv = argv;
        timer = (UnitProperties) NO_UNIT;
        assert_int_equal(pending_from_units(&service, &timer, NOW_MONO, NOW_REAL, &p), 1);
        assert_true(p.suspend_realtime_usec == NOW_REAL);
}

static void test_pending_needs_our_argv(void **state) {
        char *sh[] = { (char *) "/bin/sh", (char *) "-c", (char *) "true", NULL };
        UnitProperties service = SERVICE("loaded", "activating", 1, STARTED),
                       timer = TIMER("loaded", "active", "waiting", 0);
        Pending p = { .id = NULL };

        /* someone else's units of these names, or a stub without ExecStart= */
        service.argv = sh;
        assert_int_equal(pending_from_units(&service, &timer, NOW_MONO, NOW_REAL, &p), 0);
        service.argv = NULL;
        assert_int_equal(pending_from_units(&service, &timer, NOW_MONO, NOW_REAL, &p), 0);
        assert_int_equal(p.state, PENDING_NONE);
        assert_null(p.id);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_helper_argv_reads_back),
                cmocka_unit_test(test_foreign_argv),
                cmocka_unit_test(test_unit_list),
                cmocka_unit_test(test_unit_properties),
                cmocka_unit_test(test_pending_through_a_request),
                cmocka_unit_test(test_pending_times),
                cmocka_unit_test(test_pending_needs_our_argv),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
