/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-slurm.conf, read with inih. A line reader in front of inih counts
 * lines (Debian's inih has no line numbers in the handler) and strips
 * indentation; the handler checks each key and remembers the first error. */

#include <arpa/inet.h>
#include <ctype.h>
#include <ini.h>
#include <stdarg.h>

#include "build-config.h"
#include "slurm-config.h"
#include "timespan.h"

#define PARALLEL_MAX 1024U
#define REPEAT_MAX 10U
#define LINE_MAX_LEN 1024

typedef struct Parser {
        SlurmConfig *config;
        const char *path;
        FILE *f;
        char *line;
        size_t line_size;
        unsigned line_no;
        char *error;  /* the first one */
        int r;
} Parser;

void slurm_config_init(SlurmConfig *c) {
        *c = (SlurmConfig) {
                .maximum_sleep_usec = 23 * USEC_PER_HOUR,  /* hostpm's own default maximum */
                .target = SLEEP_TARGET_MEM,
                .parallel = 32,
                .port = 9,
                .repeat = 3,
        };
}

void slurm_config_done(SlurmConfig *c) {
        free(c->user);
        free(c->broadcast);
        free(c->interface);
        free(c->state_directory);
        *c = (SlurmConfig) {0};
}

const char *slurm_config_path(void) {
        return SYSCONFDIR "/hostpm/" SLURM_CONFIG_FILE_NAME;
}

_printf_(3, 4)
static int parser_error(Parser *p, int error, const char *format, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        if (p->r < 0)
                return p->r;  /* the first error is the one to fix first */
        va_start(ap, format);
        k = vasprintf(&what, format, ap);
        va_end(ap);
        if (k < 0 || asprintf(&p->error, "%s:%u: %s", p->path, p->line_no, what) < 0) {
                p->error = NULL;
                return p->r = -ENOMEM;
        }
        return p->r = error;
}

static char *reader(char *str, int num, void *userdata) {
        Parser *p = userdata;
        ssize_t got;
        char *start;
        size_t len;

        if (num < 2 || (got = getline(&p->line, &p->line_size, p->f)) < 0)
                return NULL;
        p->line_no++;
        if (memchr(p->line, '\0', (size_t) got))
                parser_error(p, -EINVAL, "a NUL byte in the line; expected text");
        start = p->line + strspn(p->line, " \t");
        len = strcspn(start, "\r\n");
        if (len > (size_t) num - 2 || len > LINE_MAX_LEN) {
                parser_error(p, -EINVAL, "line too long; expected at most %d characters", LINE_MAX_LEN);
                len = 0;
        }
        memcpy(str, start, len);
        str[len] = '\n';
        str[len + 1] = '\0';
        return str;
}

static int set_string(char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int parse_unsigned(const char *value, unsigned min, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!isdigit((unsigned char) value[0]))
                return -EINVAL;
        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno != 0 || *end != '\0' || v < min || v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

static int handle_suspend(Parser *p, const char *key, const char *value) {
        SlurmConfig *c = p->config;
        uint64_t usec;

        if (streq(key, "MaximumSleep")) {
                if (parse_duration(value, &usec) < 0 || usec < USEC_PER_MINUTE)
                        return parser_error(p, -EINVAL, "MaximumSleep=%s: expected a time span of at least 1min, "
                                            "e.g. 23h or 2h 30min", value);
                c->maximum_sleep_usec = usec;
        } else if (streq(key, "Target")) {
                SleepTarget t = sleep_target_from_string(value);

                if (t < 0)
                        return parser_error(p, -EINVAL, "Target=%s: unknown; expected one of %s", value,
                                            sleep_target_list());
                c->target = t;
        } else if (streq(key, "Delay")) {
                if (isempty(value))
                        usec = 0;
                else if (parse_duration(value, &usec) < 0 || usec < USEC_PER_SEC || usec > USEC_PER_HOUR)
                        return parser_error(p, -EINVAL, "Delay=%s: expected a time span from 1s to 1h, or "
                                            "nothing for each node's own Delay=", value);
                c->delay_usec = usec;
        } else if (streq(key, "Parallel")) {
                if (parse_unsigned(value, 1, PARALLEL_MAX, &c->parallel) < 0)
                        return parser_error(p, -EINVAL, "Parallel=%s: expected a number from 1 to %u", value,
                                            PARALLEL_MAX);
        } else if (streq(key, "User")) {
                if (value[strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] != '\0' ||
                    value[0] == '-')
                        return parser_error(p, -EINVAL, "User=%s: expected a user name (letters, digits, '.', "
                                            "'_', '-'), or nothing for the user running the program", value);
                if (set_string(&c->user, value) < 0)
                        return p->r = -ENOMEM;
                if (isempty(c->user)) {
                        free(c->user);
                        c->user = NULL;
                }
        } else
                return parser_error(p, -EINVAL, "unknown key %s in [Suspend]; expected MaximumSleep, Target, "
                                    "Delay, Parallel or User", key);
        return 0;
}

/* The kernel's rule (dev_valid_name()), and printable: the name goes into
 * messages and journal entries. Empty is "by the routing table". */
static bool interface_name_ok(const char *s) {
        if (isempty(s))
                return true;
        if (strlen(s) > 15 || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f || *s == '/' || *s == ':')
                        return false;
        return true;
}

static int handle_wake(Parser *p, const char *key, const char *value) {
        SlurmConfig *c = p->config;
        struct in_addr a;
        unsigned v;

        if (streq(key, "Broadcast")) {
                if (inet_pton(AF_INET, value, &a) != 1)
                        return parser_error(p, -EINVAL, "Broadcast=%s: expected an IPv4 address, e.g. "
                                            "255.255.255.255 or 10.1.255.255", value);
                if (set_string(&c->broadcast, value) < 0)
                        return p->r = -ENOMEM;
        } else if (streq(key, "Port")) {
                if (parse_unsigned(value, 1, 65535, &v) < 0)
                        return parser_error(p, -EINVAL, "Port=%s: expected a UDP port from 1 to 65535 (usually 9 "
                                            "or 7)", value);
                c->port = (uint16_t) v;
        } else if (streq(key, "Interface")) {
                if (!interface_name_ok(value))
                        return parser_error(p, -EINVAL, "Interface=%s: expected a network interface name (1 to 15 "
                                            "printable characters, not . or .., no '/', ':' or white space), "
                                            "or nothing", value);
                if (set_string(&c->interface, value) < 0)
                        return p->r = -ENOMEM;
                if (isempty(c->interface)) {
                        free(c->interface);
                        c->interface = NULL;
                }
        } else if (streq(key, "Repeat")) {
                if (parse_unsigned(value, 1, REPEAT_MAX, &c->repeat) < 0)
                        return parser_error(p, -EINVAL, "Repeat=%s: expected a number from 1 to %u", value,
                                            REPEAT_MAX);
        } else
                return parser_error(p, -EINVAL, "unknown key %s in [Wake]; expected Broadcast, Interface, Port or Repeat", key);
        return 0;
}

static int handle_state(Parser *p, const char *key, const char *value) {
        if (!streq(key, "Directory"))
                return parser_error(p, -EINVAL, "unknown key %s in [State]; expected Directory", key);
        if (value[0] != '/')
                return parser_error(p, -EINVAL, "Directory=%s: expected an absolute path", value);
        if (set_string(&p->config->state_directory, value) < 0)
                return p->r = -ENOMEM;
        return 0;
}

static int handler(void *userdata, const char *section, const char *key, const char *value) {
        Parser *p = userdata;

        if (p->r < 0)
                return 1;  /* keep the first error; inih reads on */
        if (!key)
                return 1;  /* a section header: checked with its first key */
        if (streq(section, "Suspend"))
                (void) handle_suspend(p, key, value);
        else if (streq(section, "Wake"))
                (void) handle_wake(p, key, value);
        else if (streq(section, "State"))
                (void) handle_state(p, key, value);
        else if (isempty(section))
                (void) parser_error(p, -EINVAL, "%s= outside a section; expected [Suspend], [Wake] or [State] "
                                    "first", key);
        else
                (void) parser_error(p, -EINVAL, "unknown section [%s]; expected [Suspend], [Wake] or [State]",
                                    section);
        return 1;
}

int slurm_config_load(const char *path, SlurmConfig *c, char **ret_message) {
        _cleanup_fclose_ FILE *f = NULL;
        Parser p = { .config = c, .path = path };
        int r;

        *ret_message = NULL;
        f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT)
                        return 0;
                r = negative_errno();
                if (asprintf(ret_message, "%s: cannot read: %s", path, STRERROR(r)) < 0)
                        *ret_message = NULL;
                return r;
        }
        p.f = f;
        r = ini_parse_stream(reader, &p, handler, &p);
        free(p.line);
        if (p.r < 0) {
                *ret_message = p.error;
                return p.r;
        }
        if (r > 0) {
                if (asprintf(ret_message, "%s:%d: not a [Section] or Key=value line", path, r) < 0)
                        *ret_message = NULL;
                return -EINVAL;
        }
        if (r < 0 || ferror(f)) {
                if (asprintf(ret_message, "%s: cannot read", path) < 0)
                        *ret_message = NULL;
                return -EIO;
        }
        return 0;
}
