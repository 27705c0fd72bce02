/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpmd: the org.hostpm1 system service. D-Bus activated; exits when
 * idle. */

#include "config.h"
#include "log.h"
#include "manager.h"

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_set_program_name("hostpmd");
        log_setup();

        if (argc > 1) {
                if (streq(argv[1], "--version")) {
                        printf("hostpm %s\n", PACKAGE_VERSION);
                        return 0;
                }
                return log_error_errno(-EINVAL, "hostpmd takes no arguments (got '%s'); it is started by D-Bus "
                                       "activation as hostpmd.service", argv[1]);
        }

        r = manager_new(&m);
        if (r < 0)
                return r;
        r = manager_connect_bus(m);
        if (r < 0)
                return r;
        r = manager_run(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %s", STRERROR(r));
        return 0;
}

int main(int argc, char *argv[]) {
        return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
