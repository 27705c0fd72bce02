/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hosts_call() against stand-ins for hostpm-suspend: small shell scripts
 * that record their arguments and print what the real one prints. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

#include "hosts-call.h"
#include "macro.h"

static char dir[] = "/tmp/hostpm-test-hosts-call-XXXXXX";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state) {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

/* A stand-in that records its arguments, one per line, then runs body. */
static char *program(const char *name, const char *body) {
        char *path;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done >'%s.args'\n%s\n", path, body);
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
        return path;
}

static char *args_of(const char *path) {
        _cleanup_free_ char *p = NULL;
        char *text = calloc(4096, 1);
        FILE *f;

        assert_true(asprintf(&p, "%s.args", path) > 0);
        f = fopen(p, "re");
        assert_non_null(f);
        assert_true(fread(text, 1, 4095, f) > 0);
        fclose(f);
        return text;
}

static void test_list(void **state) {
        _cleanup_free_ char *p = program("list",
                "echo '{\"host\": \"slurm@node2\", \"exit_status\": 6, \"status\": \"refused\", \"output\": [], "
                "\"messages\": [\"Failed to schedule: no wake alarm\", \"second line\"]}'\n"
                "echo 'not json'\n"
                "echo '{\"host\": \"slurm@node1\", \"exit_status\": 0, \"status\": \"ok\", "
                "\"output\": [{\"id\": \"abc\"}], \"messages\": []}'\n"
                "exit 10");
        _cleanup_(host_replies_done) HostReplies r = {0};
        _cleanup_free_ char *args = NULL, *summary = NULL;
        json_object *v;

        assert_int_equal(hosts_call(p, "slurm", (char *[]) { (char *) "node1", (char *) "node2" }, 2, 4,
                                    (char *[]) { (char *) "--capabilities", NULL }, &r), 0);
        args = args_of(p);
        assert_string_equal(args, "-H\nslurm@node1,node2\n--parallel=4\n--json\n--capabilities\n");
        assert_null(r.failure);
        assert_int_equal(r.n, 2);
        assert_string_equal(r.replies[0].node, "node2");
        assert_int_equal(r.replies[0].exit_status, 6);
        assert_string_equal(r.replies[0].status, "refused");
        assert_null(host_reply_document(&r.replies[0]));
        summary = host_reply_summary(&r.replies[0]);
        assert_string_equal(summary, "Failed to schedule: no wake alarm; second line");
        assert_string_equal(r.replies[1].node, "node1");
        assert_true(json_object_object_get_ex(host_reply_document(&r.replies[1]), "id", &v));
        assert_string_equal(json_object_get_string(v), "abc");
}

static void test_one_host(void **state) {
        _cleanup_free_ char *p = program("single",
                "echo '{\"id\": \"\", \"dry_run\": true}'\n"
                "echo 'hostpm-suspend: Failed to schedule the suspend: A suspend is already pending.' >&2\n"
                "exit 5");
        _cleanup_(host_replies_done) HostReplies r = {0};
        _cleanup_free_ char *args = NULL, *summary = NULL;
        json_object *v;

        assert_int_equal(hosts_call(p, NULL, (char *[]) { (char *) "node7" }, 1, 32,
                                    (char *[]) { (char *) "--target=mem", (char *) "3600s", NULL }, &r), 0);
        args = args_of(p);
        assert_string_equal(args, "-H\nnode7\n--parallel=32\n--json\n--target=mem\n3600s\n");
        assert_null(r.failure);
        assert_int_equal(r.n, 1);
        assert_string_equal(r.replies[0].node, "node7");
        assert_int_equal(r.replies[0].exit_status, 5);
        assert_string_equal(r.replies[0].status, "busy");
        assert_true(json_object_object_get_ex(host_reply_document(&r.replies[0]), "dry_run", &v));
        summary = host_reply_summary(&r.replies[0]);
        assert_string_equal(summary, "Failed to schedule the suspend: A suspend is already pending.");
}

static void test_lines_missing(void **state) {
        _cleanup_free_ char *p = program("missing",
                "echo '{\"host\": \"node1\", \"exit_status\": 0, \"status\": \"ok\", \"output\": []}'\n"
                "echo 'hostpm-suspend: malformed host list' >&2\nexit 2");
        _cleanup_(host_replies_done) HostReplies r = {0};

        assert_int_equal(hosts_call(p, NULL, (char *[]) { (char *) "node1", (char *) "node2" }, 2, 2,
                                    (char *[]) { NULL }, &r), 0);
        assert_int_equal(r.n, 1);
        assert_non_null(r.failure);
        assert_non_null(strstr(r.failure, "exited with status 2 without a result for every node: "
                                          "hostpm-suspend: malformed host list"));
}

static void test_program_missing(void **state) {
        _cleanup_(host_replies_done) HostReplies r = {0};

        assert_int_equal(hosts_call("/nonexistent/hostpm-suspend", NULL,
                                    (char *[]) { (char *) "node1", (char *) "node2" }, 2, 2, (char *[]) { NULL }, &r),
                         0);
        assert_int_equal(r.n, 0);
        assert_non_null(r.failure);
        assert_non_null(strstr(r.failure, "status 127"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list),
                cmocka_unit_test(test_one_host),
                cmocka_unit_test(test_lines_missing),
                cmocka_unit_test(test_program_missing),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
