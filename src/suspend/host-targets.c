/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "host-targets.h"
#include "hostlist.h"
#include "log.h"
#include "macro.h"
#include "timespan.h"

/* scontrol reads slurm.conf (and may ask DNS for it): a bound, then our own */
#define SCONTROL_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define SCONTROL_OUTPUT_MAX   (4 * 1024 * 1024)

void host_targets_done(HostTargets *t) {
        hostlist_free(t->hosts);
        *t = (HostTargets) {0};
}

static const char *after_user(const char *arg) {
        const char *at = strchr(arg, '@');

        return at ? at + 1 : arg;
}

bool host_argument_is_list(const char *arg) {
        const char *h = after_user(arg);

        /* "[::1]:22" is sd-bus's own syntax for an IPv6 address */
        return strpbrk(h, ", \t\n") || (h[0] != '[' && strchr(h, '['));
}

typedef struct Output {
        char *data;
        size_t size;
        bool truncated;
} Output;

static int output_read(int fd, Output *o) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        char *p;

        if (n <= 0)
                return n < 0 && errno == EINTR ? 1 : 0;
        if (o->size + (size_t) n > SCONTROL_OUTPUT_MAX) {
                o->truncated = true;
                return 1;
        }
        p = realloc(o->data, o->size + (size_t) n + 1);
        if (!p)
                return -ENOMEM;
        memcpy(p + o->size, buf, (size_t) n);
        o->data = p;
        o->size += (size_t) n;
        o->data[o->size] = '\0';
        return 1;
}

/* Runs scontrol show hostnames TEXT. 1 with its lines as the hosts; 0 if
 * scontrol is missing or cannot work here (no slurm.conf: the caller uses
 * its own expander); -EINVAL if Slurm calls the list invalid. */
static int scontrol_expand(const char *text, char ***ret, size_t *ret_n) {
        _cleanup_free_ char *out_data = NULL, *err_data = NULL;
        Output out = {0}, err = {0};
        int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, status = 0, r;
        uint64_t deadline = clock_now_usec(CLOCK_MONOTONIC) + SCONTROL_TIMEOUT_USEC;
        bool open_out = true, open_err = true, killed = false;
        char **hosts = NULL;
        size_t n = 0;
        pid_t pid;

        if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
                r = negative_errno();
                goto finish;
        }
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                goto finish;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_pipe[1], STDOUT_FILENO) < 0 ||
                    dup2(err_pipe[1], STDERR_FILENO) < 0)
                        _exit(127);
                /* no PATH (as slurmctld runs its programs): execvp() uses the default */
                execvp("scontrol", (char *[]) { (char *) "scontrol", (char *) "show", (char *) "hostnames",
                                                (char *) text, NULL });
                _exit(errno == ENOENT ? 127 : 126);
        }
        close(out_pipe[1]);
        close(err_pipe[1]);
        out_pipe[1] = err_pipe[1] = -1;

        while (open_out || open_err) {
                struct pollfd fds[2] = {
                        { .fd = open_out ? out_pipe[0] : -1, .events = POLLIN },
                        { .fd = open_err ? err_pipe[0] : -1, .events = POLLIN },
                };
                uint64_t now = clock_now_usec(CLOCK_MONOTONIC);

                if (now >= deadline) {
                        (void) kill(pid, SIGKILL);
                        killed = true;
                        break;
                }
                if (poll(fds, 2, (int) ((deadline - now) / USEC_PER_MSEC) + 1) < 0 && errno != EINTR)
                        break;
                if (open_out && fds[0].revents && (r = output_read(out_pipe[0], &out)) <= 0)
                        open_out = false;
                if (open_err && fds[1].revents && output_read(err_pipe[0], &err) <= 0)
                        open_err = false;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        out_data = out.data;
        err_data = err.data;

        if (killed || out.truncated) {
                log_debug("scontrol show hostnames did not answer in time or said too much; using hostpm's expander");
                r = 0;
                goto finish;
        }
        if (err_data && strstr(err_data, "Invalid hostlist")) {
                char *nl = strchr(err_data, '\n');

                if (nl)
                        *nl = '\0';
                log_error("Slurm refuses the host list '%s': %s", text, err_data);
                r = -EINVAL;
                goto finish;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || isempty(out_data)) {
                /* 127: not installed; 1: no slurm.conf to read, and the like */
                log_debug("scontrol show hostnames cannot expand here (status %d); using hostpm's expander",
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                r = 0;
                goto finish;
        }

        for (char *line = out_data, *next; line && *line; line = next) {
                char **p;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (!hostlist_name_valid(line)) {
                        log_error("Slurm expands the host list '%s' to '%s', which is not a host name.", text, line);
                        r = -EINVAL;
                        goto finish;
                }
                p = realloc(hosts, (n + 2) * sizeof *p);
                if (!p) {
                        r = -ENOMEM;
                        goto finish;
                }
                hosts = p;
                hosts[n + 1] = NULL;
                if (!(hosts[n] = strdup(line))) {
                        r = -ENOMEM;
                        goto finish;
                }
                n++;
        }
        log_debug("Expanded '%s' with scontrol: %zu hosts", text, n);
        *ret = TAKE_PTR(hosts);
        *ret_n = n;
        r = 1;
finish:
        hostlist_free(hosts);
        for (size_t i = 0; i < 2; i++) {
                closep(&out_pipe[i]);
                closep(&err_pipe[i]);
        }
        return r;
}

/* One -H argument: [USER@]LIST. */
static int expand_argument(const char *arg, char ***ret, size_t *ret_n) {
        const char *list = after_user(arg);
        _cleanup_free_ char *user = NULL;
        char **hosts = NULL;
        HostlistError e;
        size_t n = 0;
        int r;

        if (list != arg) {
                user = strndup(arg, (size_t) (list - 1 - arg));
                if (!user)
                        return log_oom();
                if (isempty(user) || strpbrk(user, "@,[] \t\n:/"))
                        return log_error_errno(-EINVAL, "invalid user in --host '%s'; expected [USER@]HOSTLIST "
                                               "such as admin@node[01-04]", arg);
        }

        /* our grammar first: a malformed list is refused here, with where */
        r = hostlist_expand(list, &hosts, &n, &e);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(-EINVAL, "malformed host list '%s': %s at character %zu; expected "
                                       "names and ranges such as node[01-04,07],gpu1", list, e.reason,
                                       e.offset + 1);

        /* then Slurm's, where there is something to interpret */
        if (strchr(list, '[')) {
                char **slurm = NULL;
                size_t m = 0;

                r = scontrol_expand(list, &slurm, &m);
                if (r < 0) {
                        hostlist_free(hosts);
                        return r;
                }
                if (r > 0) {
                        hostlist_free(hosts);
                        hosts = slurm;
                        n = m;
                }
        }

        if (user)
                for (size_t i = 0; i < n; i++) {
                        char *u;

                        if (asprintf(&u, "%s@%s", user, hosts[i]) < 0) {
                                hostlist_free(hosts);
                                return log_oom();
                        }
                        free(hosts[i]);
                        hosts[i] = u;
                }
        *ret = hosts;
        *ret_n = n;
        return 0;
}

int host_targets_expand(char *const *args, size_t n_args, HostTargets *ret) {
        _cleanup_(host_targets_done) HostTargets t = { .list = n_args > 1 };
        _cleanup_free_ const char **names = NULL;
        size_t first, second;
        int r;

        for (size_t a = 0; a < n_args; a++) {
                char **hosts = NULL, **p;
                size_t n = 0;

                if (!host_argument_is_list(args[a])) {
                        /* one host, for sd-bus as it is */
                        hosts = calloc(2, sizeof *hosts);
                        if (!hosts || !(hosts[0] = strdup(args[a]))) {
                                free(hosts);
                                return log_oom();
                        }
                        n = 1;
                } else {
                        t.list = true;
                        r = expand_argument(args[a], &hosts, &n);
                        if (r < 0)
                                return r;
                }
                if (t.n + n > HOSTLIST_HOSTS_MAX) {
                        hostlist_free(hosts);
                        return log_error_errno(-E2BIG, "too many hosts; expected at most %d in all",
                                               HOSTLIST_HOSTS_MAX);
                }
                p = realloc(t.hosts, (t.n + n + 1) * sizeof *p);
                if (!p) {
                        hostlist_free(hosts);
                        return log_oom();
                }
                t.hosts = p;
                memcpy(t.hosts + t.n, hosts, n * sizeof *hosts);
                t.n += n;
                t.hosts[t.n] = NULL;
                free(hosts);  /* the names moved */
        }

        /* A host named twice is refused, not quietly asked once: a
         * repeated name is most often a typo for another node. The user
         * does not make it another host. */
        names = calloc(t.n + 1, sizeof *names);
        if (!names)
                return log_oom();
        for (size_t i = 0; i < t.n; i++)
                names[i] = after_user(t.hosts[i]);
        r = hostlist_find_duplicate((char *const *) names, t.n, &first, &second);
        if (r < 0)
                return log_oom();
        if (r > 0)
                return log_error_errno(-EINVAL, "host '%s' is given twice (hosts %zu and %zu of the list); "
                                       "expected each host once", names[second], first + 1, second + 1);

        *ret = t;
        t = (HostTargets) {0};
        return 0;
}
