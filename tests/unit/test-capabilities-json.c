/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "capabilities-json.h"
#include "capabilities-fixture.h"
#include "macro.h"

static void test_mixed(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *json = NULL;

        capabilities_fill(&c, "yes", "challenge", "na", "challenge-inhibitor-blocked");
        assert_int_equal(capabilities_to_json(&c, &json), 0);
        assert_string_equal(json,
                "{\n"
                "  \"power_management\": [\n"
                "    \"suspend_mem\",\n"
                "    \"suspend_disk\"\n"
                "  ],\n"
                "  \"sleep_targets\": {\n"
                "    \"source\": \"logind\",\n"
                "    \"status\": \"ok\",\n"
                "    \"targets\": [\n"
                "      {\n"
                "        \"name\": \"mem\",\n"
                "        \"supported\": true,\n"
                "        \"blocked\": false,\n"
                "        \"logind\": \"yes\"\n"
                "      },\n"
                "      {\n"
                "        \"name\": \"disk\",\n"
                "        \"supported\": true,\n"
                "        \"blocked\": false,\n"
                "        \"logind\": \"challenge\"\n"
                "      },\n"
                "      {\n"
                "        \"name\": \"hybrid\",\n"
                "        \"supported\": false,\n"
                "        \"blocked\": false,\n"
                "        \"logind\": \"na\"\n"
                "      },\n"
                "      {\n"
                "        \"name\": \"suspend-then-hibernate\",\n"
                "        \"supported\": true,\n"
                "        \"blocked\": true,\n"
                "        \"logind\": \"challenge-inhibitor-blocked\"\n"
                "      }\n"
                "    ]\n"
                "  },\n"
                "  \"wake_alarm\": {\n"
                "    \"device\": \"rtc0\",\n"
                "    \"present\": true,\n"
                "    \"driver\": \"rtc_cmos\",\n"
                "    \"wakealarm\": true,\n"
                "    \"wakeup\": \"enabled\",\n"
                "    \"s4_wake\": \"unknown\",\n"
                "    \"range_seconds\": 86399,\n"
                "    \"range_source\": \"firmware\",\n"
                "    \"day_alarm\": \"no\",\n"
                "    \"max_seconds\": 82800\n"
                "  }\n"
                "}");
}

static void test_nothing_supported_is_an_empty_list(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *json = NULL;

        capabilities_fill(&c, "no", "na", "no", "na");
        assert_int_equal(capabilities_to_json(&c, &json), 0);
        assert_non_null(strstr(json, "\"power_management\": [\n  ],"));
}

static void test_failed_query_is_null(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *json = NULL;

        capabilities_fill(&c, "yes", "yes", "yes", "yes");
        assert_int_equal(capabilities_set_query_error(&c, -ENOENT, "org.freedesktop.DBus.Error.ServiceUnknown",
                                                      "The name is not \"there\""), 0);
        assert_int_equal(capabilities_to_json(&c, &json), 0);
        assert_non_null(strstr(json, "\"power_management\": null,"));
        assert_non_null(strstr(json,
                "    \"status\": \"failed\",\n"
                "    \"error\": {\n"
                "      \"name\": \"org.freedesktop.DBus.Error.ServiceUnknown\",\n"
                "      \"message\": \"The name is not \\\"there\\\"\"\n"
                "    }\n"));
        assert_null(strstr(json, "\"targets\""));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mixed),
                cmocka_unit_test(test_nothing_supported_is_an_empty_list),
                cmocka_unit_test(test_failed_query_is_null),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
