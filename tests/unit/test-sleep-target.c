/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "sleep-target.h"

static void test_names_round_trip(void **state) {
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                assert_int_equal(sleep_target_from_string(sleep_target_to_string(t)), t);
}

static void test_logind_and_libvirt_names(void **state) {
        assert_string_equal(sleep_target_to_logind_can_method(SLEEP_TARGET_MEM), "CanSuspend");
        assert_string_equal(sleep_target_to_logind_method(SLEEP_TARGET_DISK), "Hibernate");
        assert_string_equal(sleep_target_to_logind_method(SLEEP_TARGET_SUSPEND_THEN_HIBERNATE),
                            "SuspendThenHibernate");
        assert_string_equal(sleep_target_to_libvirt_element(SLEEP_TARGET_HYBRID), "suspend_hybrid");
        /* libvirt has no element for it, so it must never appear in its block */
        assert_null(sleep_target_to_libvirt_element(SLEEP_TARGET_SUSPEND_THEN_HIBERNATE));
}

static void test_bad_names_are_refused(void **state) {
        static const char *const bad[] = {
                "", "MEM", "mem ", " mem", "suspend", "freeze", "disk\n", "suspend_then_hibernate",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(sleep_target_from_string(bad[i]), _SLEEP_TARGET_INVALID);
        assert_int_equal(sleep_target_from_string(NULL), _SLEEP_TARGET_INVALID);
        assert_null(sleep_target_to_string(_SLEEP_TARGET_MAX));
        assert_null(sleep_target_to_string(_SLEEP_TARGET_INVALID));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names_round_trip),
                cmocka_unit_test(test_logind_and_libvirt_names),
                cmocka_unit_test(test_bad_names_are_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
