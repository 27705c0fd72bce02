/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The RTC's alarm range (rtc-range.h) on FADTs as firmware writes them,
 * and WakeAlarmRange= over it. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "acpi-fadt.h"
#include "config.h"
#include "macro.h"
#include "rtc-range.h"
#include "sysfs-fixture.h"
#include "timespan.h"

#define FACP "firmware/acpi/tables/FACP"

static int setup_root(void **state) {
        char *root = strdup("/tmp/hostpm-test-rtc-range-XXXXXX");

        assert_non_null(root);
        assert_non_null(mkdtemp(root));
        *state = root;
        return 0;
}

static int teardown_root(void **state) {
        sysfs_fixture_remove(*state);
        free(*state);
        return 0;
}

/* A FADT of revision 6 (276 bytes) with QEMU q35's flags, and the given
 * CMOS indices of the day and month alarm and the century. */
static void write_fadt(const char *root, uint8_t day, uint8_t month, uint8_t century, size_t size) {
        unsigned char fadt[276] = "FACP";

        assert_true(size <= sizeof fadt);
        fadt[FADT_DAY_ALARM_OFFSET] = day;
        fadt[FADT_MONTH_ALARM_OFFSET] = month;
        fadt[FADT_CENTURY_OFFSET] = century;
        fadt[FADT_FLAGS_OFFSET] = 0xa5;
        fadt[FADT_FLAGS_OFFSET + 1] = 0x84;
        fadt[FADT_FLAGS_OFFSET + 2] = 0x01;  /* RTC_S4 */
        sysfs_fixture_write_bytes(root, FACP, fadt, size);
}

static void assert_range(const char *root, const char *driver, int error, uint64_t seconds,
                         RtcRangeSource source, RtcDayAlarm day) {
        RtcAlarmRange r = { .seconds = 7 };

        assert_int_equal(rtc_alarm_range_read(root, driver, &r), error);
        assert_int_equal(r.seconds, seconds);
        assert_int_equal(r.source, source);
        assert_int_equal(r.day_alarm, day);
}

static void test_fadt_fields(void **state) {
        AcpiFadt f;

        write_fadt(*state, 0x0d, 0x7f, 0x32, 276);
        assert_int_equal(acpi_fadt_read(*state, &f), 0);
        assert_int_equal(f.day_alarm, 0x0d);
        assert_int_equal(f.month_alarm, 0x7f);
        assert_int_equal(f.century, 0x32);
        assert_int_equal(f.flags, 0x000184a5);
        assert_true(f.flags & FADT_S4_RTC_WAKE);
}

static void test_fadt_unreadable(void **state) {
        unsigned char apic[276] = "APIC";
        AcpiFadt f;

        assert_int_equal(acpi_fadt_read(*state, &f), -ENOENT);
        write_fadt(*state, 0, 0, 0, FADT_MIN_SIZE - 1);  /* cut before the flags end */
        assert_int_equal(acpi_fadt_read(*state, &f), -EBADMSG);
        write_fadt(*state, 0, 0, 0, FADT_MIN_SIZE);      /* ACPI 1.0's length: enough */
        assert_int_equal(acpi_fadt_read(*state, &f), 0);
        sysfs_fixture_write_bytes(*state, FACP, apic, sizeof apic);
        assert_int_equal(acpi_fadt_read(*state, &f), -EBADMSG);
}

/* QEMU's q35 and i440fx: "rtc_cmos 00:00: alarms up to one day, y3k" */
static void test_no_day_alarm(void **state) {
        write_fadt(*state, 0, 0, 0x32, 276);
        assert_range(*state, "rtc_cmos", 0, 86399, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_NO);
        /* the name attribute as Linux 5.x and later write it (seen in the VM) */
        assert_range(*state, "rtc_cmos 00:03", 0, 86399, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_NO);
}

/* "alarms up to one month": the shortest month from any day */
static void test_day_alarm(void **state) {
        write_fadt(*state, 0x0d, 0, 0x32, 276);
        assert_range(*state, "rtc_cmos", 0, 28 * 86400 - 1, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_YES);
}

/* "alarms up to one year", with or without a century register: the alarm
 * has no year of its own */
static void test_month_alarm(void **state) {
        write_fadt(*state, 0x0d, 0x7f, 0, 276);
        assert_range(*state, "rtc_cmos", 0, 365 * 86400 - 1, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_YES);
        write_fadt(*state, 0x0d, 0x7f, 0x32, 276);
        assert_range(*state, "rtc_cmos", 0, 365 * 86400 - 1, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_YES);
}

/* what rtc_cmos ignores: a month alarm without a day alarm, and an index
 * past the first 128 bytes of CMOS */
static void test_ignored_indices(void **state) {
        write_fadt(*state, 0, 0x7f, 0x32, 276);
        assert_range(*state, "rtc_cmos", 0, 86399, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_NO);
        write_fadt(*state, 0x80, 0x7f, 0x32, 276);
        assert_range(*state, "rtc_cmos", 0, 86399, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_NO);
        write_fadt(*state, 0x7f, 0xff, 0x32, 276);
        assert_range(*state, "rtc_cmos", 0, 28 * 86400 - 1, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_YES);
}

/* a driver that cannot tell, or no FADT to read: a day, assumed */
static void test_assumed(void **state) {
        assert_range(*state, "rtc_cmos", -ENOENT, 86399, RTC_RANGE_SOURCE_ASSUMED, RTC_DAY_ALARM_UNKNOWN);
        write_fadt(*state, 0, 0, 0, 100);
        assert_range(*state, "rtc_cmos", -EBADMSG, 86399, RTC_RANGE_SOURCE_ASSUMED, RTC_DAY_ALARM_UNKNOWN);
        write_fadt(*state, 0x0d, 0x7f, 0x32, 276);
        assert_range(*state, "rtc-efi", -EOPNOTSUPP, 86399, RTC_RANGE_SOURCE_ASSUMED, RTC_DAY_ALARM_UNKNOWN);
        assert_range(*state, NULL, -EOPNOTSUPP, 86399, RTC_RANGE_SOURCE_ASSUMED, RTC_DAY_ALARM_UNKNOWN);
}

static void test_configured(void **state) {
        const RtcAlarmRange month = { 28 * 86400 - 1, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_YES };
        _cleanup_(config_done) Config c = {0};
        RtcAlarmRange r;

        config_init_defaults(&c);
        assert_int_equal(c.wake_alarm_range_usec, 0);  /* auto */
        r = rtc_alarm_range_resolve(&c, &month);
        assert_memory_equal(&r, &month, sizeof r);
        assert_int_equal(rtc_alarm_range_effective(&c, &month), 28 * 86400 - 1);

        c.wake_alarm_range_usec = 3 * USEC_PER_HOUR;
        r = rtc_alarm_range_resolve(&c, &month);
        assert_int_equal(r.seconds, 10800);
        assert_int_equal(r.source, RTC_RANGE_SOURCE_CONFIGURED);
        assert_int_equal(r.day_alarm, RTC_DAY_ALARM_YES);  /* still the RTC's */
        assert_int_equal(rtc_alarm_range_effective(&c, &month), 10800);

        /* longer than the firmware says: the administrator knows better */
        c.wake_alarm_range_usec = 366 * USEC_PER_DAY;
        assert_int_equal(rtc_alarm_range_effective(&c, &month), 366 * 86400);
        /* whole seconds, never 0 */
        c.wake_alarm_range_usec = 1500 * USEC_PER_MSEC;
        assert_int_equal(rtc_alarm_range_effective(&c, &month), 1);
        c.wake_alarm_range_usec = 1;
        assert_int_equal(rtc_alarm_range_effective(&c, &month), 1);
}

static void test_strings(void **state) {
        for (RtcRangeSource s = 0; s < _RTC_RANGE_SOURCE_MAX; s++)
                assert_int_equal(rtc_range_source_from_string(rtc_range_source_to_string(s)), s);
        assert_string_equal(rtc_range_source_to_string(RTC_RANGE_SOURCE_FIRMWARE), "firmware");
        assert_string_equal(rtc_range_source_to_string(RTC_RANGE_SOURCE_ASSUMED), "assumed");
        assert_string_equal(rtc_range_source_to_string(RTC_RANGE_SOURCE_CONFIGURED), "configured");
        assert_null(rtc_range_source_to_string(_RTC_RANGE_SOURCE_MAX));
        assert_int_equal(rtc_range_source_from_string("bios"), _RTC_RANGE_SOURCE_INVALID);
        assert_int_equal(rtc_range_source_from_string(NULL), _RTC_RANGE_SOURCE_INVALID);

        assert_string_equal(rtc_day_alarm_to_string(RTC_DAY_ALARM_YES), "yes");
        assert_string_equal(rtc_day_alarm_to_string(RTC_DAY_ALARM_NO), "no");
        assert_string_equal(rtc_day_alarm_to_string(RTC_DAY_ALARM_UNKNOWN), "unknown");
        assert_int_equal(rtc_day_alarm_from_string("no"), RTC_DAY_ALARM_NO);
        assert_int_equal(rtc_day_alarm_from_string("maybe"), RTC_DAY_ALARM_UNKNOWN);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_fadt_fields, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_fadt_unreadable, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_no_day_alarm, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_day_alarm, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_month_alarm, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_ignored_indices, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_assumed, setup_root, teardown_root),
                cmocka_unit_test(test_configured),
                cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
