/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "macro.h"
#include "slurm-node.h"
#include "timespan.h"

#define SCONTROL_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define SCONTROL_OUTPUT_MAX 4096

char *slurm_reason(const char *why) {
        const char *prefix = "hostpm: ";
        size_t n = strlen(prefix);
        char *s = malloc(SLURM_REASON_MAX + 1);

        if (!s)
                return NULL;
        memcpy(s, prefix, n);
        for (const char *p = why ? why : "unknown"; *p && n < SLURM_REASON_MAX; p++) {
                unsigned char c = (unsigned char) *p;

                /* Slurm prints reasons in tables: one line, no quotes */
                s[n++] = c < 0x20 || c >= 0x7f ? ' ' : c == '"' || c == '\'' ? '`' : (char) c;
        }
        s[n] = '\0';
        return s;
}

/* Runs argv with stdin from /dev/null and stdout and stderr read into
 * *ret_output; bounded by SCONTROL_TIMEOUT_USEC. The exit status, or < 0. */
static int run(char *const *argv, char **ret_output) {
        char *out = calloc(SCONTROL_OUTPUT_MAX + 1, 1);
        uint64_t deadline = clock_now_usec(CLOCK_MONOTONIC) + SCONTROL_TIMEOUT_USEC;
        size_t size = 0;
        int p[2], status, r = 0;
        pid_t pid;

        if (!out)
                return -ENOMEM;
        if (pipe2(p, O_CLOEXEC) < 0) {
                free(out);
                return negative_errno();
        }
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                close(p[0]);
                close(p[1]);
                free(out);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                (void) setpgid(0, 0);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0 ||
                    dup2(p[1], STDERR_FILENO) < 0)
                        _exit(127);
                execvp(argv[0], argv);
                fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                uint64_t now = clock_now_usec(CLOCK_MONOTONIC);
                ssize_t got;
                char buf[1024];

                if (now >= deadline) {
                        (void) kill(-pid, SIGKILL);
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(&pfd, 1, (int) ((deadline - now) / USEC_PER_MSEC) + 1) <= 0)
                        continue;
                got = read(p[0], buf, sizeof buf);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        break;
                if (size < SCONTROL_OUTPUT_MAX) {
                        size_t k = (size_t) got < SCONTROL_OUTPUT_MAX - size ? (size_t) got : SCONTROL_OUTPUT_MAX - size;

                        memcpy(out + size, buf, k);
                        size += k;
                }
        }
        close(p[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        free(out);
                        return negative_errno();
                }
        *ret_output = out;
        if (r < 0)
                return r;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int slurm_set_node_down(const char *node, const char *why, char **ret_error) {
        _cleanup_free_ char *reason = slurm_reason(why), *name_arg = NULL, *reason_arg = NULL, *out = NULL;
        int r;

        *ret_error = NULL;
        if (!reason || asprintf(&name_arg, "NodeName=%s", node) < 0 || asprintf(&reason_arg, "Reason=%s", reason) < 0)
                return -ENOMEM;
        r = run((char *[]) { (char *) "scontrol", (char *) "update", name_arg, (char *) "State=DOWN", reason_arg,
                             NULL }, &out);
        if (r == 0)
                return 0;
        if (r == -ETIMEDOUT)
                *ret_error = strdup("scontrol did not finish within 30 s");
        else if (r < 0)
                *ret_error = strdup(STRERROR(r));
        else {
                out[strcspn(out, "\n")] = '\0';
                if (asprintf(ret_error, "scontrol exited with status %d: %s", r, out) < 0)
                        *ret_error = NULL;
        }
        return r < 0 ? r : -EIO;
}
