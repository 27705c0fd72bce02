/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Test seams: environment variables through which the test suites point
 * hostpm at a fake RTC, fake swap and memory figures, a configuration, a state directory and the build
 * tree's helper, and shorten its timeouts. Only a build configured with
 * -Dtest-seams=true reads them; in a release build every seam reads as
 * unset and the variables' names are not even in the binaries, so a stray
 * variable in a service manager's environment cannot make the helper arm a
 * fake alarm and then suspend a real host, or strip its sandbox.
 *
 * Not seams (release builds honour them): HOSTPM_LOG_LEVEL, which changes
 * only how much is printed, never what is done (the audit entries do not
 * depend on it), like SYSTEMD_LOG_LEVEL for systemd's daemons; and
 * STATE_DIRECTORY and JOURNAL_STREAM, which systemd itself sets. */

#include <stdbool.h>

typedef enum TestSeam {
        TEST_SEAM_SYSFS_ROOT,            /* HOSTPM_SYSFS_ROOT: stands for /sys */
        TEST_SEAM_PROC_ROOT,             /* HOSTPM_PROC_ROOT: stands for /proc (swaps, meminfo) */
        TEST_SEAM_CONFIG_DIR,            /* HOSTPM_CONFIG_DIR: instead of SYSCONFDIR/hostpm */
        TEST_SEAM_STATE_DIR,             /* HOSTPM_STATE_DIR: without STATE_DIRECTORY, instead of /var/lib/hostpm */
        TEST_SEAM_SLEEP_PATH,            /* HOSTPM_SLEEP_PATH: the helper hostpmd schedules */
        TEST_SEAM_TRANSIENT_OMIT,        /* HOSTPM_TRANSIENT_OMIT: sandbox properties a user manager cannot apply */
        TEST_SEAM_IDLE_TIMEOUT_USEC,     /* HOSTPM_IDLE_TIMEOUT_USEC */
        TEST_SEAM_LOGIND_TIMEOUT_USEC,   /* HOSTPM_LOGIND_TIMEOUT_USEC */
        TEST_SEAM_POLKIT_TIMEOUT_USEC,   /* HOSTPM_POLKIT_TIMEOUT_USEC */
        _TEST_SEAM_MAX,
        _TEST_SEAM_INVALID = -22,
} TestSeam;

/* The seam's value, read once per process (the first call decides); NULL
 * when unset or empty, and always NULL in a release build. */
const char *test_seam_getenv(TestSeam seam);

/* Whether this build reads test seams at all (-Dtest-seams=true). */
bool test_seams_enabled(void);
