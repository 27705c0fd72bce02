/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "log.h"
#include "macro.h"
#include "polkit-agent.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"

pid_t polkit_agent_open(void) {
        _cleanup_close_ int notify_read = -1;
        int pipe_fds[2];
        char fd_arg[16];
        pid_t pid;

        if (!isatty(STDIN_FILENO) || access(PKTTYAGENT, X_OK) < 0)
                return 0;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return negative_errno();
        notify_read = pipe_fds[0];

        pid = fork();
        if (pid < 0) {
                close(pipe_fds[1]);
                return negative_errno();
        }
        if (pid == 0) {
                /* the agent tells us on this fd when it is registered */
                int fd = fcntl(pipe_fds[1], F_DUPFD, 3);

                if (fd < 0)
                        _exit(EXIT_FAILURE);
                snprintf(fd_arg, sizeof fd_arg, "%d", fd);
                execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fd_arg, "--fallback",
                      (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        close(pipe_fds[1]);

        /* Wait (bounded) until it is ready, so polkit finds it. */
        struct pollfd p = { .fd = notify_read, .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0)
                log_debug("pkttyagent did not report ready; going on without waiting.");
        return pid;
}

void polkit_agent_close(pid_t pid) {
        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, NULL, 0);
}
