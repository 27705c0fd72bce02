/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "rtc.h"
#include "sysfs-fixture.h"

static int setup_root(void **state) {
        char *root = strdup("/tmp/hostpm-test-rtc-XXXXXX");

        assert_non_null(mkdtemp(root));
        *state = root;
        return 0;
}

static int teardown_root(void **state) {
        sysfs_fixture_remove(*state);
        free(*state);
        return 0;
}

static void test_missing_device(void **state) {
        _cleanup_(rtc_info_done) RtcInfo info = {0};

        assert_int_equal(rtc_read_info(*state, "rtc0", &info), 0);
        assert_false(info.present);
        assert_string_equal(info.device, "rtc0");
}

static void test_full_device(void **state) {
        _cleanup_(rtc_info_done) RtcInfo info = {0};

        sysfs_fixture_write(*state, "class/rtc/rtc0/name", "rtc_cmos\n");
        sysfs_fixture_write(*state, "class/rtc/rtc0/wakealarm", "1795000000\n");
        sysfs_fixture_write(*state, "class/rtc/rtc0/device/power/wakeup", "enabled\n");
        assert_int_equal(rtc_read_info(*state, "rtc0", &info), 0);
        assert_true(info.present);
        assert_string_equal(info.name, "rtc_cmos");
        assert_true(info.has_wakealarm);
        assert_int_equal(info.wakeup, RTC_WAKEUP_ENABLED);
        assert_int_equal(info.alarm, 1795000000);
}

static void test_no_alarm_no_wakeup_file(void **state) {
        _cleanup_(rtc_info_done) RtcInfo info = {0};

        sysfs_fixture_write(*state, "class/rtc/rtc1/name", "rtc-efi\n");
        sysfs_fixture_write(*state, "class/rtc/rtc1/wakealarm", "");
        assert_int_equal(rtc_read_info(*state, "rtc1", &info), 0);
        assert_true(info.present);
        assert_true(info.has_wakealarm);
        assert_int_equal(info.alarm, 0);
        assert_int_equal(info.wakeup, RTC_WAKEUP_UNKNOWN);
}

static void test_disabled_and_garbage_alarm(void **state) {
        _cleanup_(rtc_info_done) RtcInfo info = {0};

        sysfs_fixture_write(*state, "class/rtc/rtc0/wakealarm", "12abc\n");
        sysfs_fixture_write(*state, "class/rtc/rtc0/device/power/wakeup", "disabled\n");
        assert_int_equal(rtc_read_info(*state, "rtc0", &info), 0);
        assert_null(info.name);
        assert_int_equal(info.alarm, 0);  /* not a number: not an alarm */
        assert_int_equal(info.wakeup, RTC_WAKEUP_DISABLED);
}

static void test_device_without_wakealarm(void **state) {
        _cleanup_(rtc_info_done) RtcInfo info = {0};

        sysfs_fixture_write(*state, "class/rtc/rtc0/name", "rtc_pcf\n");
        assert_int_equal(rtc_read_info(*state, "rtc0", &info), 0);
        assert_true(info.present);
        assert_false(info.has_wakealarm);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_missing_device, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_full_device, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_no_alarm_no_wakeup_file, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_disabled_and_garbage_alarm, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_device_without_wakealarm, setup_root, teardown_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
