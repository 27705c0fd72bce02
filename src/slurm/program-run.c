/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "macro.h"
#include "program-run.h"
#include "timespan.h"

void program_result_done(ProgramResult *r) {
        free(r->out);
        free(r->err);
        *r = (ProgramResult) {0};
}

typedef struct Stream {
        int fd;
        char *buf;
        size_t size;
} Stream;

/* Appends what one read() gives; 0 at the end of the stream. */
static int stream_read(Stream *s, size_t max) {
        char buf[65536];
        ssize_t got = read(s->fd, buf, sizeof buf);
        size_t keep;
        char *grown;

        if (got < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : negative_errno();
        if (got == 0)
                return 0;
        keep = s->size >= max ? 0 : (size_t) got < max - s->size ? (size_t) got : max - s->size;
        grown = realloc(s->buf, s->size + keep + 1);
        if (!grown)
                return -ENOMEM;
        memcpy(grown + s->size, buf, keep);  /* beyond max: read and dropped */
        s->size += keep;
        grown[s->size] = '\0';
        s->buf = grown;
        return 1;
}

static int read_both(Stream s[2], uint64_t deadline, size_t max) {
        while (s[0].fd >= 0 || s[1].fd >= 0) {
                struct pollfd p[2];
                uint64_t now = clock_now_usec(CLOCK_MONOTONIC);
                int n = 0, k;

                if (now >= deadline)
                        return -ETIMEDOUT;
                for (int i = 0; i < 2; i++)
                        if (s[i].fd >= 0)
                                p[n++] = (struct pollfd) { .fd = s[i].fd, .events = POLLIN };
                k = poll(p, n, (int) ((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                for (int j = 0; j < n; j++) {
                        Stream *t = p[j].fd == s[0].fd ? &s[0] : &s[1];
                        int r;

                        if (!p[j].revents)
                                continue;
                        r = stream_read(t, max);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                close(t->fd);
                                t->fd = -1;
                        }
                }
        }
        return 0;
}

int program_run(char *const *argv, uint64_t timeout_usec, size_t max_output, ProgramResult *ret) {
        Stream s[2] = { { -1, NULL, 0 }, { -1, NULL, 0 } };
        int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, status, r;
        pid_t pid;

        *ret = (ProgramResult) {0};
        if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
                r = negative_errno();
                goto fail;
        }
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                goto fail;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                (void) setpgid(0, 0);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_p[1], STDOUT_FILENO) < 0 ||
                    dup2(err_p[1], STDERR_FILENO) < 0)
                        _exit(127);
                (void) signal(SIGPIPE, SIG_DFL);
                execvp(argv[0], argv);
                fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        (void) setpgid(pid, pid);  /* also from here: no race with the kill below */
        close(out_p[1]);
        close(err_p[1]);
        s[0].fd = out_p[0];
        s[1].fd = err_p[0];

        r = read_both(s, clock_now_usec(CLOCK_MONOTONIC) + timeout_usec, max_output);
        if (r < 0)
                (void) kill(-pid, SIGKILL);
        for (int i = 0; i < 2; i++)
                if (s[i].fd >= 0)
                        close(s[i].fd);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = 0;
                        break;
                }
        ret->out = s[0].buf ? s[0].buf : strdup("");
        ret->err = s[1].buf ? s[1].buf : strdup("");
        ret->timed_out = r == -ETIMEDOUT;
        ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (!ret->out || !ret->err) {
                program_result_done(ret);
                return -ENOMEM;
        }
        return r == -ETIMEDOUT ? 0 : r;

fail:
        for (int i = 0; i < 2; i++) {
                if (out_p[i] >= 0)
                        close(out_p[i]);
                if (err_p[i] >= 0)
                        close(err_p[i]);
        }
        return r;
}
