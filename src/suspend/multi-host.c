/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Forked workers rather than one event loop with many connections. The
 * loop would work (sd-bus starts ssh and its authentication without
 * waiting; the first call waits), but every verb would have to be written
 * again asynchronously, --wait's reconnects across a sleep included. A
 * worker is today's single-host code path, unchanged, and a host that hangs
 * or crashes takes only its worker with it. The cost, a fork per host, is
 * small next to the ssh each host starts anyway: bench/fanout.py measures
 * it, and against one exec'd hostpm-suspend per host (xargs -P). */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "multi-host.h"
#include "timespan.h"

/* what one host may print before the rest is dropped */
#define WORKER_OUTPUT_MAX (1024 * 1024)

typedef struct Worker {
        HostResult *result;
        pid_t pid;
        int pidfd, out, err;
        bool out_eof, err_eof;   /* a closed pipe polls readable for ever */
        uint64_t started_usec;
} Worker;

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) {
        interrupted = sig;
}

static void worker_close(Worker *w) {
        closep(&w->pidfd);
        closep(&w->out);
        closep(&w->err);
        w->pidfd = w->out = w->err = -1;
}

/* Appends what is there to read; 0 at EOF or when nothing is left. */
static int drain(int fd, char **buf, size_t *size, bool *truncated) {
        for (;;) {
                char chunk[4096], *p;
                ssize_t n = read(fd, chunk, sizeof chunk);

                if (n < 0)
                        return errno == EINTR ? 1 : (errno == EAGAIN ? 1 : 0);
                if (n == 0)
                        return 0;
                if (*size + (size_t) n > WORKER_OUTPUT_MAX) {
                        *truncated = true;
                        continue;
                }
                p = realloc(*buf, *size + (size_t) n + 1);
                if (!p)
                        return -ENOMEM;
                memcpy(p + *size, chunk, (size_t) n);
                *buf = p;
                *size += (size_t) n;
                (*buf)[*size] = '\0';
        }
}

_noreturn_ static void worker_main(const char *host, int out, int err, multi_host_job_t job, void *userdata) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC), status;

        /* Its own session: ssh finds no terminal to ask a password or a
         * host key question on (a host that needs one fails, alone), and
         * the parent can stop the worker with its ssh as one group. */
        (void) setsid();
        (void) setenv("SSH_ASKPASS_REQUIRE", "never", 1);
        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGTERM, SIG_DFL);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(err, STDERR_FILENO) < 0)
                _exit(EXIT_FAILED);
        log_setup();  /* stderr is a pipe now, not the journal */

        status = job(host, userdata);
        fflush(stdout);
        fflush(stderr);
        _exit(status);
}

static int worker_start(Worker *w, HostResult *result, multi_host_job_t job, void *userdata) {
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, r;
        pid_t pid;

        *w = (Worker) { .result = result, .pidfd = -1, .out = -1, .err = -1 };
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                r = negative_errno();
                goto fail;
        }
        /* nothing buffered may be printed twice */
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                goto fail;
        }
        if (pid == 0)
                worker_main(result->host, out[1], err[1], job, userdata);

        close(out[1]);
        close(err[1]);
        w->pid = pid;
        w->out = out[0];
        w->err = err[0];
        w->started_usec = clock_now_usec(CLOCK_MONOTONIC);
        (void) fcntl(w->out, F_SETFL, O_NONBLOCK);
        (void) fcntl(w->err, F_SETFL, O_NONBLOCK);
        w->pidfd = pidfd_open(pid, 0);
        if (w->pidfd < 0) {
                r = negative_errno();
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                worker_close(w);
                return r;
        }
        return 0;
fail:
        for (size_t i = 0; i < 2; i++) {
                closep(&out[i]);
                closep(&err[i]);
        }
        return r;
}

/* The worker has exited: its status, and what it left in the pipes (a
 * grandchild such as ssh may still hold them open: no waiting for EOF). */
static void worker_finish(Worker *w) {
        HostResult *res = w->result;
        int status = 0;

        while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
                ;
        (void) drain(w->out, &res->out, &res->out_size, &res->truncated);
        (void) drain(w->err, &res->err, &res->err_size, &res->truncated);
        res->elapsed_usec = clock_now_usec(CLOCK_MONOTONIC) - w->started_usec;
        if (WIFEXITED(status))
                res->exit_status = WEXITSTATUS(status);
        else {
                res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
                res->exit_status = EXIT_FAILED;
        }
        worker_close(w);
        w->pid = 0;
}

static void result_failed(HostResult *res, const char *message) {
        free(res->err);
        res->err = strdup(message);
        res->err_size = res->err ? strlen(res->err) : 0;
        res->exit_status = EXIT_FAILED;
}

int multi_host_run(const HostTargets *targets, unsigned parallel, MultiHostVerb verb, OutputFormat output,
                   multi_host_job_t job, void *userdata) {
        _cleanup_free_ HostResult *results = NULL;
        _cleanup_free_ Worker *workers = NULL;
        _cleanup_free_ struct pollfd *fds = NULL;
        struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
        size_t next = 0, running = 0, n = targets->n;
        bool stopping = false;
        int r = 0;

        parallel = parallel == 0 ? 1 : parallel;
        if (parallel > n)
                parallel = (unsigned) n;
        results = calloc(n, sizeof *results);
        workers = calloc(parallel, sizeof *workers);
        fds = calloc(parallel * 3, sizeof *fds);
        if (!results || !workers || !fds)
                return log_oom(), EXIT_FAILED;
        for (size_t i = 0; i < n; i++)
                results[i].host = targets->hosts[i];

        /* an interrupt stops the workers too: they are in sessions of their own */
        (void) sigaction(SIGINT, &sa, &old_int);
        (void) sigaction(SIGTERM, &sa, &old_term);

        while ((next < n && !interrupted) || running > 0) {
                size_t nfds = 0;

                for (size_t s = 0; s < parallel && next < n && !interrupted; s++)
                        if (workers[s].pid == 0) {
                                r = worker_start(&workers[s], &results[next], job, userdata);
                                if (r < 0)
                                        result_failed(&results[next], "Failed to start a worker for this host.");
                                else
                                        running++;
                                next++;
                        }

                if (interrupted && !stopping) {
                        for (size_t s = 0; s < parallel; s++)
                                if (workers[s].pid > 0)
                                        (void) kill(-workers[s].pid, SIGTERM);
                        stopping = true;
                }

                for (size_t s = 0; s < parallel; s++) {
                        if (workers[s].pid == 0)
                                continue;
                        fds[nfds++] = (struct pollfd) { .fd = workers[s].pidfd, .events = POLLIN };
                        fds[nfds++] = (struct pollfd) { .fd = workers[s].out_eof ? -1 : workers[s].out, .events = POLLIN };
                        fds[nfds++] = (struct pollfd) { .fd = workers[s].err_eof ? -1 : workers[s].err, .events = POLLIN };
                }
                if (nfds == 0)
                        continue;
                if (poll(fds, nfds, -1) < 0 && errno != EINTR) {
                        r = log_error_errno(negative_errno(), "poll() failed: %s", STRERROR(errno));
                        break;
                }

                for (size_t s = 0, f = 0; s < parallel; s++) {
                        Worker *w = &workers[s];
                        HostResult *res = w->result;

                        if (w->pid == 0)
                                continue;
                        /* reading as it comes, so a chatty worker never blocks on a full pipe */
                        if (fds[f + 1].revents && drain(w->out, &res->out, &res->out_size, &res->truncated) <= 0)
                                w->out_eof = true;
                        if (fds[f + 2].revents && drain(w->err, &res->err, &res->err_size, &res->truncated) <= 0)
                                w->err_eof = true;
                        if (fds[f].revents) {
                                worker_finish(w);
                                running--;
                        }
                        f += 3;
                }
        }

        (void) sigaction(SIGINT, &old_int, NULL);
        (void) sigaction(SIGTERM, &old_term, NULL);
        for (size_t i = next; i < n; i++)
                result_failed(&results[i], "Not asked: interrupted.");

        if (r >= 0)
                r = multi_host_print(results, n, verb, output);
        if (r >= 0)
                r = interrupted ? EXIT_FAILED : multi_host_exit_status(results, n);
        else
                r = EXIT_FAILED;
        for (size_t i = 0; i < n; i++) {
                free(results[i].out);
                free(results[i].err);
        }
        return r;
}
