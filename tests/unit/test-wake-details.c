/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "json-util.h"
#include "wake-details.h"

/* A name no resolver knows: the neighbour table cannot help. */
#define NODE "hostpm-test-node.invalid"

static json_object *caps(const char *interfaces) {
        _cleanup_free_ char *text = NULL;
        json_object *o;

        assert_true(asprintf(&text, "{ \"wake_alarm\": { \"max_seconds\": 82800 }, "
                             "\"network_interfaces\": { \"status\": \"ok\", \"interfaces\": [ %s ] } }",
                             interfaces) > 0);
        o = json_tokener_parse(text);
        assert_non_null(o);
        return o;
}

static void test_only_interface(void **state) {
        _cleanup_(json_object_putp) json_object *c = caps(
                "{ \"name\": \"veth0\", \"mac\": \"02:AA:BB:CC:DD:EE\", "
                "\"wake_on_lan\": { \"supported\": [], \"enabled\": [] } }");
        _cleanup_(wake_details_done) WakeDetails w = {0};
        const char *why = NULL;

        assert_int_equal(wake_details_find(c, NODE, &w, &why), 0);
        assert_string_equal(w.mac, "02:aa:bb:cc:dd:ee");
        assert_string_equal(w.source, "capabilities");
        assert_string_equal(w.interface, "veth0");
        assert_string_equal(w.wol_supported, "");
        assert_false(wake_details_magic_supported(&w));
}

static void test_the_one_that_wakes(void **state) {
        _cleanup_(json_object_putp) json_object *c = caps(
                "{ \"name\": \"eno1\", \"mac\": \"52:54:00:00:00:01\", "
                "  \"wake_on_lan\": { \"supported\": [\"phy\"], \"enabled\": [] } }, "
                "{ \"name\": \"eno2\", \"mac\": \"52:54:00:00:00:02\", "
                "  \"wake_on_lan\": { \"supported\": [\"phy\", \"magic\"], \"enabled\": [\"magic\"] } }");
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(wake_details_done) WakeDetails w = {0};
        const char *why = NULL;

        assert_int_equal(wake_details_find(c, NODE, &w, &why), 0);
        assert_string_equal(w.interface, "eno2");
        assert_string_equal(w.mac, "52:54:00:00:00:02");
        assert_string_equal(w.wol_supported, "phy magic");
        assert_string_equal(w.wol_enabled, "magic");
        assert_true(wake_details_magic_supported(&w));
        j = wake_details_to_json(&w);
        assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
                            "{\"mac\":\"52:54:00:00:00:02\",\"source\":\"capabilities\",\"interface\":\"eno2\","
                            "\"wol_supported\":\"phy magic\",\"wol_enabled\":\"magic\"}");
}

static void test_nothing_known(void **state) {
        static const char *const cases[] = {
                /* two interfaces, neither wakes, no neighbour: which one? */
                "{ \"name\": \"a\", \"mac\": \"52:54:00:00:00:01\", \"wake_on_lan\": { \"supported\": [] } }, "
                "{ \"name\": \"b\", \"mac\": \"52:54:00:00:00:02\", \"wake_on_lan\": { \"supported\": [] } }",
                /* not one NIC's address */
                "{ \"name\": \"a\", \"mac\": \"01:00:5e:00:00:01\", \"wake_on_lan\": { \"supported\": [\"magic\"] } }",
                "{ \"name\": \"a\", \"mac\": \"00:00:00:00:00:00\" }",
                "{ \"name\": \"a\", \"mac\": \"garbage\" }",
                "",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(json_object_putp) json_object *c = caps(cases[i]);
                WakeDetails w = {0};
                const char *why = NULL;

                assert_int_equal(wake_details_find(c, NODE, &w, &why), -ENOENT);
                assert_non_null(why);
                assert_non_null(strstr(why, "does not resolve"));
        }
}

static void test_no_document(void **state) {
        WakeDetails w = {0};
        const char *why = NULL;

        assert_int_equal(wake_details_find(NULL, NODE, &w, &why), -ENOENT);
        assert_non_null(why);
}

static void test_magic_supported(void **state) {
        static const struct { const char *modes; bool magic; } t[] = {
                { "magic", true }, { "phy magic", true }, { "magic phy", true }, { "", false },
                { "phy", false }, { "magicsecure", false }, { "secureon", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                WakeDetails w = { .wol_supported = (char *) t[i].modes };

                assert_int_equal(wake_details_magic_supported(&w), t[i].magic);
        }
        /* not known (the neighbour table's MAC only): not held against it */
        assert_true(wake_details_magic_supported(&(WakeDetails) {0}));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_only_interface),
                cmocka_unit_test(test_the_one_that_wakes),
                cmocka_unit_test(test_nothing_known),
                cmocka_unit_test(test_no_document),
                cmocka_unit_test(test_magic_supported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
