/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

#include "json-util.h"
#include "node-record.h"
#include "slurm-node.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup_dir(void **state) {
        char *dir = strdup("/tmp/hostpm-test-node-record-XXXXXX");

        assert_non_null(mkdtemp(dir));
        *state = dir;
        return 0;
}

static int teardown_dir(void **state) {
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static void test_names(void **state) {
        static const char *const good[] = { "node01", "gpu-a.b_c", "n", "_x" };
        static const char *const bad[] = { "", ".hidden", "..", "-x", "a/b", "../etc/passwd", "a b", "node\n",
                                           "x@y" };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                assert_true(node_record_name_valid(good[i]));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (node_record_name_valid(bad[i]))
                        fail_msg("'%s' accepted as a node name", bad[i]);
}

static json_object *section(const char *key, const char *value) {
        json_object *o = json_object_new_object();

        assert_int_equal(json_add(o, key, json_object_new_string(value)), 0);
        return o;
}

static void test_new_record(void **state) {
        _cleanup_(json_object_putp) json_object *r = NULL;

        assert_int_equal(node_record_load(*state, "node01", &r), 0);
        assert_string_equal(json_object_to_json_string(r), "{ \"node\": \"node01\" }");
        assert_int_equal(node_record_load(*state, "../node01", &r), -EINVAL);
}

static void test_sections_replaced_one_by_one(void **state) {
        _cleanup_(json_object_putp) json_object *r = NULL;
        _cleanup_free_ char *path = NULL;
        struct stat st;

        assert_int_equal(node_record_update(*state, "node01", "wake", section("mac", "02:00:00:00:00:01")), 0);
        assert_int_equal(node_record_update(*state, "node01", "suspend", section("result", "scheduled")), 0);
        assert_int_equal(node_record_update(*state, "node01", "suspend", section("result", "failed")), 0);
        assert_int_equal(node_record_load(*state, "node01", &r), 0);
        assert_string_equal(node_record_get_string(r, "node", "x") ? "" : "no", "no");
        assert_string_equal(node_record_get_string(r, "wake", "mac"), "02:00:00:00:00:01");
        assert_string_equal(node_record_get_string(r, "suspend", "result"), "failed");
        assert_null(node_record_get_string(r, "resume", "result"));
        assert_int_equal(node_record_get_u64(r, "resume", "usec"), 0);

        assert_true(asprintf(&path, "%s/node01.json", (char *) *state) > 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_damaged_record(void **state) {
        _cleanup_(json_object_putp) json_object *r = NULL;
        _cleanup_free_ char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/node02.json", (char *) *state) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs("{ \"node\": \"node02\", \"wake\": ", f);  /* cut short */
        fclose(f);
        assert_int_equal(node_record_load(*state, "node02", &r), -EBADMSG);
        /* the next step starts it afresh */
        assert_int_equal(node_record_update(*state, "node02", "resume", section("result", "sent")), 0);
        assert_int_equal(node_record_load(*state, "node02", &r), 0);
        assert_string_equal(node_record_get_string(r, "resume", "result"), "sent");
        assert_null(node_record_get_string(r, "wake", "mac"));
}

static void test_unwritable_directory(void **state) {
        assert_true(node_record_update("/nonexistent/dir", "node01", "wake", section("mac", "x")) < 0);
}

static void test_slurm_reason(void **state) {
        _cleanup_free_ char *plain = slurm_reason("hostpm refused the suspend: no wake alarm"),
                            *odd = slurm_reason("say \"no\"\nthen 'yes'\x1b[31m"), *none = slurm_reason(NULL),
                            *long_one = NULL, *long_reason = NULL;

        assert_string_equal(plain, "hostpm: hostpm refused the suspend: no wake alarm");
        assert_string_equal(odd, "hostpm: say `no` then `yes` [31m");
        assert_string_equal(none, "hostpm: unknown");
        long_one = malloc(1001);
        memset(long_one, 'x', 1000);
        long_one[1000] = '\0';
        long_reason = slurm_reason(long_one);
        assert_int_equal(strlen(long_reason), SLURM_REASON_MAX);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test_setup_teardown(test_new_record, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_sections_replaced_one_by_one, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_damaged_record, setup_dir, teardown_dir),
                cmocka_unit_test(test_unwritable_directory),
                cmocka_unit_test(test_slurm_reason),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
