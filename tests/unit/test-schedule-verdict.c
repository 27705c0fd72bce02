/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Whether the host's capabilities let a suspend be scheduled: the
 * decision a schedule request takes on the provider's answer, as a plain
 * function. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bus-names.h"
#include "capabilities-fixture.h"
#include "suspend-request.h"

typedef struct Case {
        const char *what;
        const char *mem;              /* logind's CanSuspend() */
        int query_error;
        bool rtc_present, has_wakealarm;
        RtcWakeup wakeup;
        const char *error;            /* NULL: scheduled */
        const char *says;             /* in the message */
} Case;

static const Case cases[] = {
        { "all there",              "yes",       0,       true,  true,  RTC_WAKEUP_ENABLED,  NULL, NULL },
        { "needs a password",       "challenge", 0,       true,  true,  RTC_WAKEUP_ENABLED,  NULL, NULL },
        { "blocked now",            "inhibited", 0,       true,  true,  RTC_WAKEUP_ENABLED,  NULL, NULL },
        { "no wakeup file",         "yes",       0,       true,  true,  RTC_WAKEUP_UNKNOWN,  NULL, NULL },
        { "logind not asked",       "yes",       -EIO,    true,  true,  RTC_WAKEUP_ENABLED,
          HOSTPM_ERROR_CAPABILITIES_UNKNOWN, "logind could not be asked (it failed)" },
        { "not supported",          "no",        0,       true,  true,  RTC_WAKEUP_ENABLED,
          HOSTPM_ERROR_UNSUPPORTED_TARGET, "logind answered 'no'" },
        { "not available",          "na",        0,       true,  true,  RTC_WAKEUP_ENABLED,
          HOSTPM_ERROR_UNSUPPORTED_TARGET, "logind answered 'na'" },
        { "a stranger's answer",    "maybe",     0,       true,  true,  RTC_WAKEUP_ENABLED,
          HOSTPM_ERROR_UNSUPPORTED_TARGET, "logind answered 'maybe'" },
        { "no RTC",                 "yes",       0,       false, false, RTC_WAKEUP_UNKNOWN,
          HOSTPM_ERROR_NO_WAKE_ALARM, "RTC rtc0 has no wake alarm" },
        { "RTC without alarm",      "yes",       0,       true,  false, RTC_WAKEUP_ENABLED,
          HOSTPM_ERROR_NO_WAKE_ALARM, "has no wake alarm" },
        { "RTC may not wake",       "yes",       0,       true,  true,  RTC_WAKEUP_DISABLED,
          HOSTPM_ERROR_NO_WAKE_ALARM, "its power/wakeup is 'disabled'" },
        /* logind first: without its answer nothing else is worth saying */
        { "nothing known",          "no",        -EIO,    false, false, RTC_WAKEUP_UNKNOWN,
          HOSTPM_ERROR_CAPABILITIES_UNKNOWN, NULL },
};

static void test_verdicts(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(capabilities_done) Capabilities c = {0};
                const Case *k = &cases[i];
                int r;

                capabilities_fill(&c, k->mem, "yes", "yes", "yes");
                if (k->query_error != 0)
                        assert_int_equal(capabilities_set_query_error(&c, k->query_error, NULL, "it failed"), 0);
                c.rtc.present = k->rtc_present;
                c.rtc.has_wakealarm = k->has_wakealarm;
                c.rtc.wakeup = k->wakeup;

                r = schedule_check_capabilities(&c, SLEEP_TARGET_MEM, &error);
                print_message("%s: %d %s\n", k->what, r, error.message ? error.message : "");
                if (!k->error) {
                        assert_int_equal(r, 0);
                        assert_false(sd_bus_error_is_set(&error));
                        continue;
                }
                assert_true(r < 0);
                assert_string_equal(error.name, k->error);
                if (k->says)
                        assert_non_null(strstr(error.message, k->says));
        }
}

static void test_target_out_of_range(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(capabilities_done) Capabilities c = {0};

        capabilities_fill(&c, "yes", "yes", "yes", "yes");
        assert_true(schedule_check_capabilities(&c, _SLEEP_TARGET_MAX, &error) < 0);
        assert_string_equal(error.name, HOSTPM_ERROR_UNSUPPORTED_TARGET);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verdicts),
                cmocka_unit_test(test_target_out_of_range),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
