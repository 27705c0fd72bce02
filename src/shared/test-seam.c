/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The one place that decides whether a build reads test seams (see
 * test-seam.h): every seam is read here, and the names exist only in a
 * test build. */

#include <assert.h>

#include "build-config.h"
#include "log.h"
#include "macro.h"
#include "test-seam.h"

#if ENABLE_TEST_SEAMS

static const char *const test_seam_names[_TEST_SEAM_MAX] = {
        [TEST_SEAM_SYSFS_ROOT]          = "HOSTPM_SYSFS_ROOT",
        [TEST_SEAM_PROC_ROOT]           = "HOSTPM_PROC_ROOT",
        [TEST_SEAM_CONFIG_DIR]          = "HOSTPM_CONFIG_DIR",
        [TEST_SEAM_STATE_DIR]           = "HOSTPM_STATE_DIR",
        [TEST_SEAM_SLEEP_PATH]          = "HOSTPM_SLEEP_PATH",
        [TEST_SEAM_TRANSIENT_OMIT]      = "HOSTPM_TRANSIENT_OMIT",
        [TEST_SEAM_IDLE_TIMEOUT_USEC]   = "HOSTPM_IDLE_TIMEOUT_USEC",
        [TEST_SEAM_LOGIND_TIMEOUT_USEC] = "HOSTPM_LOGIND_TIMEOUT_USEC",
        [TEST_SEAM_POLKIT_TIMEOUT_USEC] = "HOSTPM_POLKIT_TIMEOUT_USEC",
};

const char *test_seam_getenv(TestSeam seam) {
        static const char *values[_TEST_SEAM_MAX];
        static bool read[_TEST_SEAM_MAX];

        assert(seam >= 0 && seam < _TEST_SEAM_MAX);
        if (!read[seam]) {
                const char *e = secure_getenv(test_seam_names[seam]);

                values[seam] = isempty(e) ? NULL : e;
                read[seam] = true;
                if (values[seam])
                        log_debug("Test seam %s=%s", test_seam_names[seam], values[seam]);
        }
        return values[seam];
}

bool test_seams_enabled(void) {
        return true;
}

#else

const char *test_seam_getenv(TestSeam seam) {
        assert(seam >= 0 && seam < _TEST_SEAM_MAX);
        return NULL;
}

bool test_seams_enabled(void) {
        return false;
}

#endif
