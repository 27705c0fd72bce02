/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "capabilities.h"
#include "macro.h"

/* Every answer logind can give, and what hostpm makes of it. */
static const struct {
        const char *raw;
        LogindAnswer answer;
        bool supported, blocked, authentication;
} answers[] = {
        { "yes",                         LOGIND_ANSWER_YES,                         true,  false, false },
        { "challenge",                   LOGIND_ANSWER_CHALLENGE,                   true,  false, true  },
        { "no",                          LOGIND_ANSWER_NO,                          false, false, false },
        { "na",                          LOGIND_ANSWER_NA,                          false, false, false },
        { "inhibited",                   LOGIND_ANSWER_INHIBITED,                   true,  true,  false },
        { "inhibitor-blocked",           LOGIND_ANSWER_INHIBITOR_BLOCKED,           true,  true,  false },
        { "challenge-inhibitor-blocked", LOGIND_ANSWER_CHALLENGE_INHIBITOR_BLOCKED, true,  true,  true  },
        /* strangers are never taken for support */
        { "maybe",                       LOGIND_ANSWER_UNKNOWN,                     false, false, false },
        { "",                            LOGIND_ANSWER_UNKNOWN,                     false, false, false },
        { "YES",                         LOGIND_ANSWER_UNKNOWN,                     false, false, false },
        { "unknown",                     LOGIND_ANSWER_UNKNOWN,                     false, false, false },
};

static void test_answer_mapping(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(answers); i++) {
                LogindAnswer a = logind_answer_from_string(answers[i].raw);

                assert_int_equal(a, answers[i].answer);
                assert_int_equal(logind_answer_is_supported(a), answers[i].supported);
                assert_int_equal(logind_answer_is_blocked(a), answers[i].blocked);
                assert_int_equal(logind_answer_needs_authentication(a), answers[i].authentication);
        }
        assert_int_equal(logind_answer_from_string(NULL), LOGIND_ANSWER_UNKNOWN);
}

static void test_failed_query_supports_nothing(void **state) {
        Capabilities c = {0};

        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                c.targets[t].answer = LOGIND_ANSWER_YES;
        assert_true(capabilities_target_supported(&c, SLEEP_TARGET_MEM));

        assert_int_equal(capabilities_set_query_error(&c, -EHOSTUNREACH, "org.example.Error", "gone"), 0);
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                assert_false(capabilities_target_supported(&c, t));
        assert_int_equal(c.query_error, -EHOSTUNREACH);
        assert_string_equal(c.query_error_name, "org.example.Error");
        assert_string_equal(c.query_error_message, "gone");
        capabilities_done(&c);
        assert_null(c.query_error_name);
}

static void test_query_error_is_always_negative(void **state) {
        Capabilities c = {0};

        /* a caller that passes 0 or a positive errno still records a failure */
        assert_int_equal(capabilities_set_query_error(&c, 0, NULL, NULL), 0);
        assert_true(c.query_error < 0);
        capabilities_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_answer_mapping),
                cmocka_unit_test(test_failed_query_supports_nothing),
                cmocka_unit_test(test_query_error_is_always_negative),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
