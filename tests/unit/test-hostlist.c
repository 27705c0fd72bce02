/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hostlist.h"
#include "macro.h"

/* What Slurm 22.05's scontrol show hostnames prints for the same text. */
static void test_expand_good(void **state) {
        static const struct {
                const char *text;
                const char *hosts;   /* space separated */
        } good[] = {
                { "node01",                  "node01" },
                { "node[01-04,07],gpu1",     "node01 node02 node03 node04 node07 gpu1" },
                { "n[8-010]",                "n8 n9 n10" },          /* the width of the first number */
                { "n[001-3]",                "n001 n002 n003" },
                { "n[09-11]",                "n09 n10 n11" },
                { "n[3,1-2]",                "n3 n1 n2" },           /* the order written */
                { "n[1-3]x[1-2]",            "n1x1 n1x2 n2x1 n2x2 n3x1 n3x2" },
                { "rack[1-2]-n[1-2]",        "rack1-n1 rack1-n2 rack2-n1 rack2-n2" },
                { "n[1-2][3-4]",             "n13 n14 n23 n24" },
                { "[1-2]",                   "1 2" },
                { "a b",                     "a b" },
                { " a , b ",                 "a b" },
                { "a,\tb\nc",                "a b c" },
                { "n[5]",                    "n5" },
                { "n[0-0]",                  "n0" },
                { "host.example.com,x_y-z",  "host.example.com x_y-z" },
                { "n[1-2,2]",                "n1 n2 n2" },           /* duplicates are the caller's */
                { "_a",                      "_a" },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                char **hosts = NULL;
                size_t n = 0;
                char joined[512] = "";
                HostlistError e = {0};
                int r;

                r = hostlist_expand(good[i].text, &hosts, &n, &e);
                if (r < 0)
                        fail_msg("'%s': %d at %zu: %s", good[i].text, r, e.offset, e.reason);
                for (size_t k = 0; k < n; k++) {
                        assert_true(hostlist_name_valid(hosts[k]));
                        if (k > 0)
                                strcat(joined, " ");
                        strcat(joined, hosts[k]);
                }
                assert_null(hosts[n]);
                assert_string_equal(joined, good[i].hosts);
                hostlist_free(hosts);
        }
}

static void test_expand_bad(void **state) {
        static const struct {
                const char *text;
                int error;
                size_t offset;
        } bad[] = {
                { "",                  -EINVAL, 0 },
                { "   ",               -EINVAL, 3 },
                { "node[01-04",        -EINVAL, 4 },   /* Slurm prints "node]" */
                { "n[1-3",             -EINVAL, 1 },
                { "n[",                -EINVAL, 2 },
                { "n]",                -EINVAL, 1 },
                { "n[1-3]]",           -EINVAL, 6 },
                { "n[[1]]",            -EINVAL, 2 },
                { "n[]",               -EINVAL, 2 },
                { "n[3-1]",            -EINVAL, 2 },
                { "n[1-3,5-4]",        -EINVAL, 6 },
                { "x[-1]",             -EINVAL, 2 },
                { "n[a-b]",            -EINVAL, 2 },
                { "n[1-0x3]",          -EINVAL, 5 },
                { "n[1--3]",           -EINVAL, 4 },
                { "n[ 1]",             -EINVAL, 2 },
                { "n[1,]",             -EINVAL, 4 },
                { "n[1;2]",            -EINVAL, 3 },
                { "a,,b",              -EINVAL, 2 },
                { "a, ,b",             -EINVAL, 3 },
                { ",a",                -EINVAL, 0 },
                { "a,",                -EINVAL, 2 },
                { "a@b",               -EINVAL, 1 },
                { "a:22",              -EINVAL, 1 },
                { "a/b",               -EINVAL, 1 },
                { "a;rm",              -EINVAL, 1 },
                { "-oProxyCommand=x",  -EINVAL, 14 },  /* the "=" */
                { "-x",                -EINVAL, 0 },
                { ".x",                -EINVAL, 0 },
                { "n[-]",              -EINVAL, 2 },
                { "n[1234567890]",     -EINVAL, 2 },
                { "n[1-70000]",        -E2BIG,  2 },
                { "n[1-300][1-300]",   -E2BIG,  0 },
                { "n[0-65535],x",      -E2BIG,  11 },
                { "\xc3\xa9t\xc3\xa9", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char **hosts = (char **) 0x1;
                HostlistError e = {0};
                int r;

                r = hostlist_expand(bad[i].text, &hosts, NULL, &e);
                if (r != bad[i].error || e.offset != bad[i].offset)
                        fail_msg("'%s': expected %d at %zu, got %d at %zu (%s)", bad[i].text, bad[i].error,
                                 bad[i].offset, r, e.offset, e.reason ? e.reason : "");
                assert_non_null(e.reason);
                assert_ptr_equal(hosts, (char **) 0x1);  /* set only on success */
        }
}

static void test_name_too_long(void **state) {
        char text[HOSTLIST_NAME_MAX + 8];
        char **hosts = NULL;
        HostlistError e;

        memset(text, 'a', HOSTLIST_NAME_MAX);
        text[HOSTLIST_NAME_MAX] = '\0';
        assert_int_equal(hostlist_expand(text, &hosts, NULL, &e), 0);
        hostlist_free(hosts);

        /* one more character, as text or as a digit of a range */
        strcpy(text + HOSTLIST_NAME_MAX - 1, "[10]");
        assert_int_equal(hostlist_expand(text, &hosts, NULL, &e), -EINVAL);
        assert_string_equal(e.reason, "host name too long");
}

static void test_limit(void **state) {
        char **hosts = NULL;
        size_t n = 0;

        assert_int_equal(hostlist_expand("n[1-65536]", &hosts, &n, NULL), 0);
        assert_int_equal(n, HOSTLIST_HOSTS_MAX);
        assert_string_equal(hosts[0], "n1");
        assert_string_equal(hosts[n - 1], "n65536");
        hostlist_free(hosts);
}

static void test_name_valid(void **state) {
        assert_true(hostlist_name_valid("node01"));
        assert_true(hostlist_name_valid("a.b-c_d"));
        assert_false(hostlist_name_valid(""));
        assert_false(hostlist_name_valid(NULL));
        assert_false(hostlist_name_valid("-x"));
        assert_false(hostlist_name_valid("node]"));
        assert_false(hostlist_name_valid("a b"));
        assert_false(hostlist_name_valid("a\n"));
}

static void test_find_duplicate(void **state) {
        char *none[] = { "a", "b", "c" };
        char *one[] = { "a", "b", "c", "b" };
        char *two[] = { "x", "a", "y", "y", "a", "a" };   /* y repeats first */
        size_t i = 99, j = 99;

        assert_int_equal(hostlist_find_duplicate(none, 3, &i, &j), 0);
        assert_int_equal(hostlist_find_duplicate(none, 0, &i, &j), 0);
        assert_int_equal(hostlist_find_duplicate(one, 4, &i, &j), 1);
        assert_int_equal(i, 1);
        assert_int_equal(j, 3);
        assert_int_equal(hostlist_find_duplicate(two, 6, &i, &j), 1);
        assert_int_equal(i, 2);
        assert_int_equal(j, 3);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_expand_good),
                cmocka_unit_test(test_expand_bad),
                cmocka_unit_test(test_name_too_long),
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_name_valid),
                cmocka_unit_test(test_find_duplicate),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
