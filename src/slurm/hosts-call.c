/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "hosts-call.h"
#include "json-util.h"
#include "log.h"
#include "timespan.h"
#include "verbs.h"

#define OUTPUT_MAX (16U * 1024U * 1024U)  /* a bound, far above 65536 nodes' lines */

void host_replies_done(HostReplies *r) {
        for (size_t i = 0; i < r->n; i++) {
                free(r->replies[i].node);
                free(r->replies[i].status);
                json_object_put(r->replies[i].output);
                free(r->replies[i].messages);
        }
        free(r->replies);
        free(r->failure);
        *r = (HostReplies) {0};
}

json_object *host_reply_document(const HostReply *r) {
        if (!r->output || !json_object_is_type(r->output, json_type_array) ||
            json_object_array_length(r->output) == 0)
                return NULL;
        return json_object_array_get_idx(r->output, 0);
}

char *host_reply_summary(const HostReply *r) {
        char *s = strdup(r->messages ? r->messages : "");

        if (!s)
                return NULL;
        for (char *p = s; *p; p++)
                if (*p == '\n')
                        *p = p[1] ? ';' : '\0';
        return s;
}

/* "user@node01,node02,…" */
static char *host_argument(const char *user, char *const *hosts, size_t n) {
        size_t len = user ? strlen(user) + 1 : 0;
        char *s, *p;

        for (size_t i = 0; i < n; i++)
                len += strlen(hosts[i]) + 1;
        s = p = malloc(len + 1);
        if (!s)
                return NULL;
        if (user)
                p += sprintf(p, "%s@", user);
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%s", i > 0 ? "," : "", hosts[i]);
        return s;
}

/* Reads both pipes to their end, within the deadline. */
static int read_all(int out_fd, int err_fd, uint64_t deadline, char **ret_out, char **ret_err) {
        struct { int fd; char *buf; size_t size; } s[2] = { { out_fd, NULL, 0 }, { err_fd, NULL, 0 } };
        int open_fds = 2, r = 0;

        while (open_fds > 0) {
                struct pollfd p[2];
                uint64_t now = clock_now_usec(CLOCK_MONOTONIC);
                int n = 0, k;

                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                for (int i = 0; i < 2; i++)
                        if (s[i].fd >= 0)
                                p[n++] = (struct pollfd) { .fd = s[i].fd, .events = POLLIN };
                k = poll(p, n, (int) ((deadline - now) / USEC_PER_MSEC) + 1);
                if (k < 0 && errno != EINTR) {
                        r = negative_errno();
                        break;
                }
                for (int j = 0; j < n && k > 0; j++) {
                        char buf[65536];
                        ssize_t got;
                        int i = p[j].fd == s[0].fd ? 0 : 1;
                        char *grown;

                        if (!p[j].revents)
                                continue;
                        got = read(s[i].fd, buf, sizeof buf);
                        if (got < 0 && errno == EINTR)
                                continue;
                        if (got <= 0 || s[i].size + (size_t) got > OUTPUT_MAX) {
                                if (got > 0)
                                        r = -EFBIG;
                                s[i].fd = -1;
                                open_fds--;
                                continue;
                        }
                        grown = realloc(s[i].buf, s[i].size + (size_t) got + 1);
                        if (!grown) {
                                r = -ENOMEM;
                                s[i].fd = -1;
                                open_fds--;
                                continue;
                        }
                        memcpy(grown + s[i].size, buf, (size_t) got);
                        s[i].size += (size_t) got;
                        grown[s[i].size] = '\0';
                        s[i].buf = grown;
                }
        }
        *ret_out = s[0].buf ? s[0].buf : strdup("");
        *ret_err = s[1].buf ? s[1].buf : strdup("");
        return r;
}

static const char *get_string(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v) : NULL;
}

static int parse_line(const char *line, HostReply *ret) {
        _cleanup_(json_object_putp) json_object *o = json_tokener_parse(line);
        json_object *v, *messages;
        const char *host, *status, *at;
        size_t len = 0;

        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        host = get_string(o, "host");
        status = get_string(o, "status");
        if (!host || !status || !json_object_object_get_ex(o, "exit_status", &v))
                return -EBADMSG;
        at = strrchr(host, '@');
        *ret = (HostReply) {
                .node = strdup(at ? at + 1 : host),
                .status = strdup(status),
                .exit_status = json_object_get_int(v),
        };
        if (json_object_object_get_ex(o, "output", &v))
                ret->output = json_object_get(v);
        if (json_object_object_get_ex(o, "messages", &messages) &&
            json_object_is_type(messages, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(messages); i++)
                        len += strlen(json_object_get_string(json_object_array_get_idx(messages, i))) + 1;
                ret->messages = calloc(len + 1, 1);
                for (size_t i = 0; ret->messages && i < json_object_array_length(messages); i++) {
                        strcat(ret->messages, json_object_get_string(json_object_array_get_idx(messages, i)));
                        strcat(ret->messages, "\n");
                }
        }
        return ret->node && ret->status ? 0 : -ENOMEM;
}

/* hostpm-suspend's exit statuses, as its per-host lines name them */
static const char *status_word(int status) {
        static const char *const words[] = {
                [EXIT_OK]                   = "ok",
                [EXIT_FAILED]               = "failed",
                [EXIT_USAGE]                = "usage",
                [EXIT_CAPABILITIES_UNKNOWN] = "capabilities-unknown",
                [EXIT_NOT_AUTHORIZED]       = "not-authorized",
                [EXIT_BUSY]                 = "busy",
                [EXIT_REFUSED]              = "refused",
                [EXIT_NOTHING_PENDING]      = "nothing-pending",
                [EXIT_TOO_LATE]             = "too-late",
                [EXIT_SLEEP_FAILED]         = "sleep-failed",
        };

        return status >= 0 && (size_t) status < ELEMENTSOF(words) && words[status] ? words[status] : "failed";
}

/* One host is not a list for hostpm-suspend: it prints the verb's own
 * documents and messages, and its exit status is the host's. */
static int parse_single(const char *host, int exit_status, const char *out, const char *err, HostReplies *ret) {
        _cleanup_(json_object_putp) json_object *docs = json_object_new_array();
        const char *prefix = "hostpm-suspend: ", *at = strrchr(host, '@');
        json_tokener *tok = json_tokener_new();
        size_t left = strlen(out), k = strlen(prefix);
        char *m;

        if (!docs || !tok) {
                json_tokener_free(tok);
                return -ENOMEM;
        }
        while (left > 0) {
                size_t skip = strspn(out, " \t\r\n");
                json_object *o;

                out += skip;
                left -= skip;
                if (left == 0)
                        break;
                o = json_tokener_parse_ex(tok, out, (int) left);
                if (!o || json_object_array_add(docs, o) < 0) {
                        json_object_put(o);
                        break;  /* not JSON: what it said is in the messages */
                }
                skip = json_tokener_get_parse_end(tok);
                out += skip;
                left -= skip;
                json_tokener_reset(tok);
        }
        json_tokener_free(tok);

        ret->replies = calloc(1, sizeof *ret->replies);
        m = calloc(strlen(err) + 2, 1);  /* a newline added after the last line */
        if (!ret->replies || !m) {
                free(m);
                return -ENOMEM;
        }
        for (const char *line = err; *line; ) {
                size_t n = strcspn(line, "\n");

                if (n >= k && strncmp(line, prefix, k) == 0) {
                        line += k;
                        n -= k;
                }
                strncat(m, line, n);
                strcat(m, "\n");
                line += n + (line[n] == '\n');
        }
        ret->replies[0] = (HostReply) {
                .node = strdup(at ? at + 1 : host),
                .exit_status = exit_status,
                .status = strdup(status_word(exit_status)),
                .output = TAKE_PTR(docs),
                .messages = m,
        };
        ret->n = 1;
        return ret->replies[0].node && ret->replies[0].status ? 0 : -ENOMEM;
}

static int parse_output(char *out, HostReplies *ret) {
        for (char *line = out, *next; line && *line; line = next) {
                HostReply *grown;
                int r;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (isempty(line))
                        continue;
                grown = realloc(ret->replies, (ret->n + 1) * sizeof *grown);
                if (!grown)
                        return -ENOMEM;
                ret->replies = grown;
                r = parse_line(line, &ret->replies[ret->n]);
                if (r < 0) {
                        log_debug("Unexpected line from hostpm-suspend, ignoring: %.200s", line);
                        continue;
                }
                ret->n++;
        }
        return 0;
}

int hosts_call(const char *program, const char *user, char *const *hosts, size_t n_hosts,
               unsigned parallel, char *const *args, HostReplies *ret) {
        _cleanup_free_ char *list = host_argument(user, hosts, n_hosts), *par = NULL, *out = NULL, *err = NULL;
        _cleanup_close_ int out_r = -1, err_r = -1;
        int out_p[2], err_p[2], status, r;
        size_t n_args = 0;
        char **argv;
        pid_t pid;

        *ret = (HostReplies) {0};
        if (!list || asprintf(&par, "--parallel=%u", parallel) < 0)
                return -ENOMEM;
        while (args[n_args])
                n_args++;
        argv = calloc(n_args + 6, sizeof *argv);
        if (!argv)
                return -ENOMEM;
        argv[0] = (char *) program;
        argv[1] = (char *) "-H";
        argv[2] = list;
        argv[3] = par;
        argv[4] = (char *) "--json";
        memcpy(argv + 5, args, n_args * sizeof *args);

        if (pipe2(out_p, O_CLOEXEC) < 0) {
                free(argv);
                return negative_errno();
        }
        if (pipe2(err_p, O_CLOEXEC) < 0) {
                r = negative_errno();
                close(out_p[0]);
                close(out_p[1]);
                free(argv);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                close(out_p[0]);
                close(out_p[1]);
                close(err_p[0]);
                close(err_p[1]);
                free(argv);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                /* its own process group, so a timeout ends ssh too */
                (void) setpgid(0, 0);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_p[1], STDOUT_FILENO) < 0 ||
                    dup2(err_p[1], STDERR_FILENO) < 0)
                        _exit(127);
                execv(program, argv);
                fprintf(stderr, "cannot run %s: %s\n", program, strerror(errno));
                _exit(127);
        }
        free(argv);
        close(out_p[1]);
        close(err_p[1]);
        out_r = out_p[0];
        err_r = err_p[0];

        r = read_all(out_r, err_r, clock_now_usec(CLOCK_MONOTONIC) + HOSTS_CALL_TIMEOUT_USEC, &out, &err);
        if (r == -ETIMEDOUT)
                (void) kill(-pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (!out || !err)
                return -ENOMEM;
        if (r == -ETIMEDOUT) {
                if (asprintf(&ret->failure, "%s did not finish within %" PRIu64 " s and was killed", program,
                             HOSTS_CALL_TIMEOUT_USEC / USEC_PER_SEC) < 0)
                        return -ENOMEM;
        } else if (r < 0)
                return log_debug_errno(r, "Failed to read what %s printed: %s", program, STRERROR(r));

        if (n_hosts == 1 && !ret->failure)
                return parse_single(hosts[0], WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILED, out, err, ret);
        r = parse_output(out, ret);
        if (r < 0)
                return r;
        if (ret->n < n_hosts && !ret->failure) {
                /* usage errors and the like: no line per host, a message */
                size_t len = strcspn(err, "\n");

                if (asprintf(&ret->failure, "%s exited with status %d without a result for every node: %.*s",
                             program, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                             (int) (len > 300 ? 300 : len), err) < 0)
                        return -ENOMEM;
        }
        return 0;
}
