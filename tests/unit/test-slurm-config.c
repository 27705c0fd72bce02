/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "slurm-config.h"
#include "timespan.h"

static char *write_config(const char *content) {
        char *path = strdup("/tmp/hostpm-test-slurm-config-XXXXXX");
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
        close(fd);
        return path;
}

static void test_defaults_without_file(void **state) {
        SlurmConfig c;
        char *message = NULL;

        slurm_config_init(&c);
        assert_int_equal(slurm_config_load("/nonexistent/hostpm-slurm.conf", &c, &message), 0);
        assert_null(message);
        assert_int_equal(c.maximum_sleep_usec, 23 * USEC_PER_HOUR);
        assert_int_equal(c.target, SLEEP_TARGET_MEM);
        assert_int_equal(c.delay_usec, 0);
        assert_int_equal(c.parallel, 32);
        assert_null(c.user);
        assert_null(c.broadcast);
        assert_null(c.interface);
        assert_int_equal(c.port, 9);
        assert_int_equal(c.repeat, 3);
        assert_null(c.state_directory);
        slurm_config_done(&c);
}

static void test_every_key(void **state) {
        _cleanup_free_ char *path = write_config(
                "# comment\n"
                "[Suspend]\n"
                "MaximumSleep=2h 30min\n"
                "  Target=suspend-then-hibernate\n"
                "Delay=3s\n"
                "Parallel=64\n"
                "User=hostpm-admin\n"
                "; another comment\n"
                "[Wake]\n"
                "Broadcast=10.1.255.255\n"
                "Interface=eno1\n"
                "Port=7\n"
                "Repeat=1\n"
                "[State]\n"
                "Directory=/srv/slurm/hostpm\n");
        SlurmConfig c;
        char *message = NULL;

        slurm_config_init(&c);
        assert_int_equal(slurm_config_load(path, &c, &message), 0);
        assert_null(message);
        assert_int_equal(c.maximum_sleep_usec, 150 * USEC_PER_MINUTE);
        assert_int_equal(c.target, SLEEP_TARGET_SUSPEND_THEN_HIBERNATE);
        assert_int_equal(c.delay_usec, 3 * USEC_PER_SEC);
        assert_int_equal(c.parallel, 64);
        assert_string_equal(c.user, "hostpm-admin");
        assert_string_equal(c.broadcast, "10.1.255.255");
        assert_string_equal(c.interface, "eno1");
        assert_int_equal(c.port, 7);
        assert_int_equal(c.repeat, 1);
        assert_string_equal(c.state_directory, "/srv/slurm/hostpm");
        slurm_config_done(&c);
        unlink(path);
}

static void test_empty_values_reset(void **state) {
        _cleanup_free_ char *path = write_config("[Suspend]\nUser=\nDelay=\n[Wake]\nInterface=\n");
        SlurmConfig c;
        char *message = NULL;

        slurm_config_init(&c);
        assert_int_equal(slurm_config_load(path, &c, &message), 0);
        assert_null(c.user);
        assert_null(c.interface);
        assert_int_equal(c.delay_usec, 0);
        slurm_config_done(&c);
        unlink(path);
}

/* Each bad file is refused with a message naming the line and what is
 * accepted. */
static const struct {
        const char *content;
        const char *line;      /* ":N: " */
        const char *expected;  /* part of the message */
} bad[] = {
        { "[Suspend]\nMaximumSleep=30s\n", ":2: ", "at least 1min" },
        { "[Suspend]\nMaximumSleep=soon\n", ":2: ", "expected a time span" },
        { "[Suspend]\nMaximumSleep=-1h\n", ":2: ", "expected a time span" },
        { "[Suspend]\nTarget=sleep\n", ":2: ", "expected one of mem" },
        { "[Suspend]\nDelay=0\n", ":2: ", "from 1s to 1h" },
        { "[Suspend]\nDelay=2h\n", ":2: ", "from 1s to 1h" },
        { "[Suspend]\nParallel=0\n", ":2: ", "from 1 to 1024" },
        { "[Suspend]\nParallel=1025\n", ":2: ", "from 1 to 1024" },
        { "[Suspend]\nParallel=8 nodes\n", ":2: ", "from 1 to 1024" },
        { "[Suspend]\nUser=-oProxyCommand=x\n", ":2: ", "expected a user name" },
        { "[Suspend]\nUser=a b\n", ":2: ", "expected a user name" },
        { "[Suspend]\nMaximumDuration=1h\n", ":2: ", "expected MaximumSleep, Target" },
        { "[Wake]\nBroadcast=broadcast\n", ":2: ", "expected an IPv4 address" },
        { "[Wake]\nBroadcast=ff02::1\n", ":2: ", "expected an IPv4 address" },
        { "[Wake]\nPort=0\n", ":2: ", "from 1 to 65535" },
        { "[Wake]\nPort=65536\n", ":2: ", "from 1 to 65535" },
        { "[Wake]\nRepeat=11\n", ":2: ", "from 1 to 10" },
        { "[Wake]\nInterface=a-very-long-interface\n", ":2: ", "1 to 15" },
        { "[Wake]\nInterface=eth0:1\n", ":2: ", "no '/', ':'" },
        { "[Wake]\nMAC=aa:bb:cc:dd:ee:ff\n", ":2: ", "expected Broadcast, Interface, Port or Repeat" },
        { "[State]\nDirectory=relative/dir\n", ":2: ", "absolute path" },
        { "[State]\nPath=/x\n", ":2: ", "expected Directory" },
        { "[Slurm]\nUser=x\n", ":2: ", "unknown section [Slurm]" },
        { "MaximumSleep=1h\n", ":1: ", "outside a section" },
        { "[Suspend]\nParallel=1\nParallel=0\nTarget=x\n", ":3: ", "from 1 to 1024" },
        { "[Suspend]\nthis is not a setting\n", ":2: ", "not a [Section] or Key=value" },
};

static void test_bad_files(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *path = write_config(bad[i].content), *message = NULL;
                SlurmConfig c;

                slurm_config_init(&c);
                assert_true(slurm_config_load(path, &c, &message) < 0);
                assert_non_null(message);
                if (!strstr(message, path) || !strstr(message, bad[i].line) || !strstr(message, bad[i].expected))
                        fail_msg("case %zu: message '%s' lacks the path, '%s' or '%s'", i, message, bad[i].line,
                                 bad[i].expected);
                slurm_config_done(&c);
                unlink(path);
        }
}

static void test_nul_byte(void **state) {
        _cleanup_free_ char *path = strdup("/tmp/hostpm-test-slurm-config-XXXXXX"), *message = NULL;
        static const char content[] = "[Suspend]\nUser=a\0b\n";
        SlurmConfig c;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, sizeof content - 1), (ssize_t) sizeof content - 1);
        close(fd);
        slurm_config_init(&c);
        assert_true(slurm_config_load(path, &c, &message) < 0);
        assert_non_null(strstr(message, ":2: a NUL byte"));
        slurm_config_done(&c);
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_without_file),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_empty_values_reset),
                cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_nul_byte),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
