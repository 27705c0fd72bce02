/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>

#include "hosts-call.h"
#include "json-util.h"
#include "log.h"
#include "program-run.h"
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
        const char *m = r->messages ? r->messages : "";
        char *s = calloc(2 * strlen(m) + 1, 1), *p = s;

        if (!s)
                return NULL;
        for (; *m; m++) {
                if (*m != '\n')
                        *p++ = *m;
                else if (m[1]) {
                        *p++ = ';';
                        *p++ = ' ';
                }
        }
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
                .status = strdup(exit_status_to_string(exit_status)),
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
        _cleanup_free_ char *list = host_argument(user, hosts, n_hosts), *par = NULL;
        _cleanup_(program_result_done) ProgramResult res = {0};
        _cleanup_free_ char **argv = NULL;
        size_t n_args = 0;
        int r;

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

        r = program_run(argv, HOSTS_CALL_TIMEOUT_USEC, OUTPUT_MAX, &res);
        if (r < 0)
                return log_debug_errno(r, "Failed to run %s: %s", program, STRERROR(r));
        if (res.timed_out &&
            asprintf(&ret->failure, "%s did not finish within %" PRIu64 " s and was killed", program,
                     HOSTS_CALL_TIMEOUT_USEC / USEC_PER_SEC) < 0)
                return -ENOMEM;

        if (n_hosts == 1 && !ret->failure)
                return parse_single(hosts[0], res.status, res.out, res.err, ret);
        r = parse_output(res.out, ret);
        if (r < 0)
                return r;
        if (ret->n < n_hosts && !ret->failure) {
                /* usage errors and the like: no line per host, a message */
                size_t len = strcspn(res.err, "\n");

                if (asprintf(&ret->failure, "%s exited with status %d without a result for every node: %.*s",
                             program, res.status, (int) (len > 300 ? 300 : len), res.err) < 0)
                        return -ENOMEM;
        }
        return 0;
}
