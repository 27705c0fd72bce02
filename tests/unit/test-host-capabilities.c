/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The capabilities provider on its own: a bus of two ends in this process,
 * one of them a logind that answers Can*() from a table, and a sysfs root
 * in a temporary directory. No manager, no requests. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "bus-names.h"
#include "host-capabilities.h"
#include "sysfs-fixture.h"
#include "timespan.h"

typedef struct FakeLogind {
        const char *answers[_SLEEP_TARGET_MAX];  /* NULL: the method is unknown */
        const char *error;                       /* every call fails with this error */
        unsigned calls;
} FakeLogind;

/* What a waiter was handed. */
typedef struct Answer {
        unsigned n_ready, n_destroyed;
        int query_error;
        char error_name[128];
        LogindAnswer answers[_SLEEP_TARGET_MAX];
        char raw[_SLEEP_TARGET_MAX][32];
        bool rtc_present, has_wakealarm;
        char rtc_device[16];
        uint64_t max_seconds;
        RtcAlarmRange range;
} Answer;

typedef struct Fixture {
        char root[64];
        sd_event *event;
        sd_bus *logind_end, *bus;
        FakeLogind logind;
        Config config;
        HostCapabilities *provider;
} Fixture;

static int fake_can(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        FakeLogind *f = userdata;
        const char *member = sd_bus_message_get_member(m);

        f->calls++;
        if (f->error)
                return sd_bus_error_set(error, f->error, "logind fails on purpose");
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                if (streq(member, sleep_target_to_logind_can_method(t))) {
                        if (!f->answers[t])
                                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_METHOD, "an older logind");
                        return sd_bus_reply_method_return(m, "s", f->answers[t]);
                }
        return -EINVAL;
}

static const sd_bus_vtable fake_logind_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CanSuspend", "", "s", fake_can, 0),
        SD_BUS_METHOD("CanHibernate", "", "s", fake_can, 0),
        SD_BUS_METHOD("CanHybridSleep", "", "s", fake_can, 0),
        SD_BUS_METHOD("CanSuspendThenHibernate", "", "s", fake_can, 0),
        SD_BUS_VTABLE_END
};

static int setup(void **state) {
        Fixture *x = calloc(1, sizeof *x);
        int fds[2];
        sd_id128_t id;

        assert_non_null(x);
        strcpy(x->root, "/tmp/hostpm-test-host-capabilities-XXXXXX");
        assert_non_null(mkdtemp(x->root));
        sysfs_fixture_write(x->root, "class/rtc/rtc0/name", "rtc_cmos\n");
        sysfs_fixture_write(x->root, "class/rtc/rtc0/wakealarm", "\n");
        sysfs_fixture_write(x->root, "class/rtc/rtc0/device/power/wakeup", "enabled\n");

        assert_int_equal(sd_event_new(&x->event), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
        assert_int_equal(sd_id128_randomize(&id), 0);

        assert_int_equal(sd_bus_new(&x->logind_end), 0);
        assert_int_equal(sd_bus_set_fd(x->logind_end, fds[0], fds[0]), 0);
        assert_int_equal(sd_bus_set_server(x->logind_end, 1, id), 0);
        assert_int_equal(sd_bus_add_object_vtable(x->logind_end, NULL, LOGIND_OBJECT_PATH, LOGIND_MANAGER_IFACE,
                                                  fake_logind_vtable, &x->logind), 0);
        assert_int_equal(sd_bus_start(x->logind_end), 0);
        assert_int_equal(sd_bus_attach_event(x->logind_end, x->event, 0), 0);

        assert_int_equal(sd_bus_new(&x->bus), 0);
        assert_int_equal(sd_bus_set_fd(x->bus, fds[1], fds[1]), 0);
        assert_int_equal(sd_bus_start(x->bus), 0);
        assert_int_equal(sd_bus_attach_event(x->bus, x->event, 0), 0);

        config_init_defaults(&x->config);
        assert_int_equal(host_capabilities_new(x->bus, x->event, &x->config, x->root, &x->provider), 0);
        *state = x;
        return 0;
}

static int teardown(void **state) {
        Fixture *x = *state;

        host_capabilities_free(x->provider);
        sd_bus_flush_close_unref(x->bus);
        sd_bus_flush_close_unref(x->logind_end);
        sd_event_unref(x->event);
        config_done(&x->config);
        sysfs_fixture_remove(x->root);
        free(x);
        return 0;
}

static void ready(const Capabilities *c, void *userdata) {
        Answer *a = userdata;

        a->n_ready++;
        a->query_error = c->query_error;
        snprintf(a->error_name, sizeof a->error_name, "%s", c->query_error_name ? c->query_error_name : "");
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                a->answers[t] = c->targets[t].answer;
                snprintf(a->raw[t], sizeof a->raw[t], "%s", c->targets[t].raw ? c->targets[t].raw : "");
        }
        a->rtc_present = c->rtc.present;
        a->has_wakealarm = c->rtc.has_wakealarm;
        snprintf(a->rtc_device, sizeof a->rtc_device, "%s", c->rtc.device ? c->rtc.device : "");
        a->max_seconds = c->rtc.max_seconds;
        a->range = c->rtc_range;
}

static void destroyed(void *userdata) {
        ((Answer *) userdata)->n_destroyed++;
}

/* Runs the loop until the provider has nothing out, within 10 s. */
static void run_until_settled(Fixture *x) {
        uint64_t deadline = clock_now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;

        while (host_capabilities_busy(x->provider)) {
                assert_true(clock_now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(x->event, 100 * USEC_PER_MSEC) >= 0);
        }
}

static void set_answers(FakeLogind *f, const char *mem, const char *disk, const char *hybrid, const char *then) {
        const char *a[] = { mem, disk, hybrid, then };

        memcpy(f->answers, a, sizeof a);
}

static void test_waiters_share_one_round(void **state) {
        Fixture *x = *state;
        Answer a = {0}, b = {0}, c = {0};

        set_answers(&x->logind, "yes", "challenge", "na", "inhibited");
        assert_false(host_capabilities_busy(x->provider));
        assert_int_equal(host_capabilities_wait(x->provider, ready, &a, destroyed, NULL), 0);
        assert_int_equal(host_capabilities_wait(x->provider, ready, &b, destroyed, NULL), 0);
        assert_true(host_capabilities_busy(x->provider));
        run_until_settled(x);

        /* one Can*() per target for both */
        assert_int_equal(x->logind.calls, _SLEEP_TARGET_MAX);
        for (Answer *i = &a; i; i = i == &a ? &b : NULL) {
                assert_int_equal(i->n_ready, 1);
                assert_int_equal(i->n_destroyed, 0);
                assert_int_equal(i->query_error, 0);
                assert_int_equal(i->answers[SLEEP_TARGET_MEM], LOGIND_ANSWER_YES);
                assert_int_equal(i->answers[SLEEP_TARGET_DISK], LOGIND_ANSWER_CHALLENGE);
                assert_int_equal(i->answers[SLEEP_TARGET_HYBRID], LOGIND_ANSWER_NA);
                assert_string_equal(i->raw[SLEEP_TARGET_SUSPEND_THEN_HIBERNATE], "inhibited");
                /* completed with the host's own facts */
                assert_true(i->rtc_present);
                assert_true(i->has_wakealarm);
                assert_string_equal(i->rtc_device, "rtc0");
                assert_int_equal(i->max_seconds, x->config.maximum_duration_usec / USEC_PER_SEC);
        }

        /* an answer is not kept: the next caller gets logind's current one */
        set_answers(&x->logind, "no", "no", "no", "no");
        assert_int_equal(host_capabilities_wait(x->provider, ready, &c, destroyed, NULL), 0);
        run_until_settled(x);
        assert_int_equal(x->logind.calls, 2 * _SLEEP_TARGET_MAX);
        assert_int_equal(c.n_ready, 1);
        assert_int_equal(c.answers[SLEEP_TARGET_MEM], LOGIND_ANSWER_NO);
        assert_int_equal(a.n_ready, 1);
}

static void test_logind_error_supports_nothing(void **state) {
        Fixture *x = *state;
        Answer a = {0};

        set_answers(&x->logind, "yes", "yes", "yes", "yes");
        x->logind.error = SD_BUS_ERROR_ACCESS_DENIED;
        assert_int_equal(host_capabilities_wait(x->provider, ready, &a, NULL, NULL), 0);
        run_until_settled(x);
        assert_int_equal(a.n_ready, 1);
        assert_true(a.query_error < 0);
        assert_string_equal(a.error_name, SD_BUS_ERROR_ACCESS_DENIED);
        /* the RTC is still reported: it does not depend on logind */
        assert_true(a.rtc_present);
}

static void test_unknown_method_is_not_available(void **state) {
        Fixture *x = *state;
        Answer a = {0};

        set_answers(&x->logind, "yes", "yes", NULL, NULL);
        assert_int_equal(host_capabilities_wait(x->provider, ready, &a, NULL, NULL), 0);
        run_until_settled(x);
        assert_int_equal(a.query_error, 0);
        assert_int_equal(a.answers[SLEEP_TARGET_MEM], LOGIND_ANSWER_YES);
        assert_int_equal(a.answers[SLEEP_TARGET_HYBRID], LOGIND_ANSWER_NA);
        assert_string_equal(a.raw[SLEEP_TARGET_SUSPEND_THEN_HIBERNATE], "na");
}

static void test_withdrawn_and_dropped_waiters(void **state) {
        Fixture *x = *state;
        CapabilitiesWaiter *w = NULL;
        Answer gone = {0}, stays = {0}, dropped = {0};

        set_answers(&x->logind, "yes", "yes", "yes", "yes");
        assert_int_equal(host_capabilities_wait(x->provider, ready, &gone, destroyed, &w), 0);
        assert_int_equal(host_capabilities_wait(x->provider, ready, &stays, destroyed, NULL), 0);
        host_capabilities_withdraw(x->provider, w);
        run_until_settled(x);
        assert_int_equal(gone.n_ready, 0);
        assert_int_equal(stays.n_ready, 1);

        /* freed with a waiter: it learns so through destroy, never ready */
        assert_int_equal(host_capabilities_wait(x->provider, ready, &dropped, destroyed, NULL), 0);
        x->provider = host_capabilities_free(x->provider);
        assert_int_equal(dropped.n_ready, 0);
        assert_int_equal(dropped.n_destroyed, 1);
}

static void test_configured_device_absent(void **state) {
        Fixture *x = *state;
        Answer a = {0};

        free(x->config.rtc_device);
        x->config.rtc_device = strdup("rtc7");
        assert_non_null(x->config.rtc_device);
        set_answers(&x->logind, "yes", "yes", "yes", "yes");
        assert_int_equal(host_capabilities_wait(x->provider, ready, &a, NULL, NULL), 0);
        run_until_settled(x);
        assert_false(a.rtc_present);
        assert_string_equal(a.rtc_device, "rtc7");
}

/* The alarm range as the RTC's firmware says it, WakeAlarmRange= over it,
 * a day assumed without a FADT; none for an absent RTC. */
static void test_alarm_range(void **state) {
        unsigned char fadt[276] = "FACP";
        Fixture *x = *state;
        Answer a = {0}, b = {0}, c = {0}, d = {0};

        set_answers(&x->logind, "yes", "yes", "yes", "yes");
        assert_int_equal(host_capabilities_wait(x->provider, ready, &a, NULL, NULL), 0);
        run_until_settled(x);
        assert_int_equal(a.range.seconds, 86399);
        assert_int_equal(a.range.source, RTC_RANGE_SOURCE_ASSUMED);
        assert_int_equal(a.range.day_alarm, RTC_DAY_ALARM_UNKNOWN);

        fadt[106] = 0x0d;  /* DAY_ALRM */
        sysfs_fixture_write_bytes(x->root, "firmware/acpi/tables/FACP", fadt, sizeof fadt);
        assert_int_equal(host_capabilities_wait(x->provider, ready, &b, NULL, NULL), 0);
        run_until_settled(x);
        assert_int_equal(b.range.seconds, 28 * 86400 - 1);
        assert_int_equal(b.range.source, RTC_RANGE_SOURCE_FIRMWARE);
        assert_int_equal(b.range.day_alarm, RTC_DAY_ALARM_YES);

        x->config.wake_alarm_range_usec = 3 * USEC_PER_DAY;
        assert_int_equal(host_capabilities_wait(x->provider, ready, &c, NULL, NULL), 0);
        run_until_settled(x);
        assert_int_equal(c.range.seconds, 3 * 86400);
        assert_int_equal(c.range.source, RTC_RANGE_SOURCE_CONFIGURED);
        assert_int_equal(c.range.day_alarm, RTC_DAY_ALARM_YES);

        free(x->config.rtc_device);
        x->config.rtc_device = strdup("rtc7");
        assert_non_null(x->config.rtc_device);
        assert_int_equal(host_capabilities_wait(x->provider, ready, &d, NULL, NULL), 0);
        run_until_settled(x);
        assert_false(d.rtc_present);
        assert_int_equal(d.range.seconds, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_waiters_share_one_round, setup, teardown),
                cmocka_unit_test_setup_teardown(test_logind_error_supports_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_method_is_not_available, setup, teardown),
                cmocka_unit_test_setup_teardown(test_withdrawn_and_dropped_waiters, setup, teardown),
                cmocka_unit_test_setup_teardown(test_configured_device_absent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_alarm_range, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
