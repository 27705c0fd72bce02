/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm.conf and its drop-ins, read with inih into one Config.
 *
 * inih does the ini syntax. A line reader in front of it counts lines
 * (Debian's inih is built without INI_HANDLER_LINENO), strips indentation
 * (inih would take an indented line for a continuation of the previous
 * value, where systemd just ignores the indentation), and catches what inih
 * lets through or mangles: overlong lines, "Key: value", and unknown
 * sections, including empty ones the handler never hears about. */

#include <dirent.h>
#include <ini.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "config.h"
#include "net-interfaces.h"
#include "rtc.h"
#include "test-seam.h"
#include "timespan.h"

#define CONFIG_SECTION "Suspend"
#define CONFIG_KEYS    "Delay, MinimumDuration, MaximumDuration, RTCDevice, AllowedTargets, WakeOnLanInterfaces, " \
                       "NextTimerLead, NextTimers, StayAwakeAfterWake, WakeAlarmRange, HibernateDelay"

/* Where a duration bound was last set, for the check between the two. */
typedef struct ConfigOrigin {
        char *location;     /* "file:line", NULL for the default */
        char *assignment;   /* "file:line: Key=value" */
        unsigned seq;       /* order of assignment across all files */
} ConfigOrigin;

typedef struct ConfigParser {
        Config config;

        const char *path;   /* the file being read */
        FILE *f;
        char *line;         /* getline() buffer */
        size_t line_size;
        unsigned line_no;

        unsigned seq;
        ConfigOrigin minimum, maximum;

        /* the earliest error of the file */
        int error;
        unsigned error_line;
        char *error_message;
} ConfigParser;

void config_init_defaults(Config *c) {
        *c = (Config) {
                .delay_usec = 5 * USEC_PER_SEC,
                .minimum_duration_usec = 60 * USEC_PER_SEC,
                .maximum_duration_usec = 7 * USEC_PER_DAY,
                .rtc_device = strdup("rtc0"), /* NULL only when out of memory */
                .next_timer_lead_usec = 3 * USEC_PER_MINUTE,
                .hibernate_delay_usec = CONFIG_HIBERNATE_DELAY_DEFAULT_USEC,
        };
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                c->allowed_targets[t] = true;
}

void config_done(Config *c) {
        free(c->rtc_device);
        free(c->wake_on_lan_interfaces);
        *c = (Config) {0};
}

const char *config_dir(void) {
        static const char *dir = NULL;

        if (!dir) {
                const char *e = test_seam_getenv(TEST_SEAM_CONFIG_DIR);
                dir = e ? e : SYSCONFDIR "/hostpm";
        }
        return dir;
}

static void config_origin_done(ConfigOrigin *o) {
        free(o->location);
        free(o->assignment);
}

static void config_parser_done(ConfigParser *p) {
        config_done(&p->config);
        free(p->line);
        config_origin_done(&p->minimum);
        config_origin_done(&p->maximum);
        free(p->error_message);
}

/* Records an error at line (0: the file as a whole) unless one is already
 * recorded for an earlier line: inih reads on after an error, and the
 * first one is the one to fix first. Returns error. */
_printf_(4, 5)
static int parser_error_at(ConfigParser *p, unsigned line, int error, const char *format, ...) {
        _cleanup_free_ char *what = NULL;
        char *message = NULL;
        va_list ap;

        if (p->error < 0 && p->error_line <= line)
                return error;

        va_start(ap, format);
        if (vasprintf(&what, format, ap) < 0)
                what = NULL;
        va_end(ap);

        if (what && (line > 0 ? asprintf(&message, "%s:%u: %s", p->path, line, what)
                              : asprintf(&message, "%s: %s", p->path, what)) < 0)
                message = NULL;

        free(p->error_message);
        p->error_message = message;  /* NULL on OOM: config_load() then returns -ENOMEM */
        p->error = error;
        p->error_line = line;
        return error;
}

/* "file:line: Key=value: <problem>" for the line being read */
_printf_(5, 6)
static int parser_error(ConfigParser *p, int error, const char *key, const char *value, const char *format, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&what, format, ap);
        va_end(ap);
        if (k < 0)
                return parser_error_at(p, p->line_no, -ENOMEM, "out of memory");
        return parser_error_at(p, p->line_no, error, "%s=%s: %s", key, value, what);
}

/* inih's fgets()-like reader: hands over one line at a time, so line_no is
 * the line inih is working on when it calls the handler. */
static char *config_reader(char *str, int num, void *userdata) {
        ConfigParser *p = userdata;
        char *start;
        ssize_t got;
        size_t len;

        if (num < 2 || (got = getline(&p->line, &p->line_size, p->f)) < 0)
                return NULL; /* end of file, or an error that ferror() reports */
        p->line_no++;

        /* C strings would end the line there and drop the rest unseen */
        if (memchr(p->line, '\0', (size_t) got))
                parser_error_at(p, p->line_no, -EINVAL, "a NUL byte in the line; expected text");

        start = p->line;
        if (p->line_no == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
                start += 3;
        start += strspn(start, " \t");
        len = strcspn(start, "\r\n");

        if (len > (size_t) num - 2) {
                parser_error_at(p, p->line_no, -EINVAL, "line too long; expected at most %d characters", num - 2);
                len = num - 2;
        }

        if (start[0] == '[') {
                const char *end = memchr(start, ']', len);
                size_t n = end ? (size_t) (end - start - 1) : 0;

                /* a header without ']' is left to inih: a syntax error */
                if (end && !(n == strlen(CONFIG_SECTION) && strncmp(start + 1, CONFIG_SECTION, n) == 0))
                        parser_error_at(p, p->line_no, -EINVAL, "unknown section [%.*s]; expected [" CONFIG_SECTION "]",
                                        (int) n, start + 1);
        } else if (len > 0 && !strchr(";#", start[0]) && start[strcspn(start, "=:")] == ':')
                parser_error_at(p, p->line_no, -EINVAL, "'%.*s': expected Key=value",
                                (int) len, start);

        memcpy(str, start, len);
        str[len] = '\n';
        str[len + 1] = '\0';
        return str;
}

static int parse_duration_value(ConfigParser *p, const char *key, const char *value,
                                const char *examples, uint64_t *ret_usec) {
        int r;

        r = parse_duration(value, ret_usec);
        if (r == -ERANGE)
                return parser_error(p, -ERANGE, key, value, "too long; expected e.g. %s", examples);
        if (r < 0)
                return parser_error(p, -EINVAL, key, value, "not a time span; expected e.g. %s", examples);
        return 0;
}

/* A duration from min_usec to max_usec; range says so in words. */
static int parse_duration_between(ConfigParser *p, const char *key, const char *value, const char *examples,
                                  uint64_t min_usec, uint64_t max_usec, const char *range, uint64_t *ret) {
        uint64_t usec;
        int r;

        r = parse_duration_value(p, key, value, examples, &usec);
        if (r < 0)
                return r;
        if (usec < min_usec || usec > max_usec)
                return parser_error(p, -ERANGE, key, value, "out of range; expected %s", range);
        *ret = usec;
        return 0;
}

static int parse_delay(ConfigParser *p, const char *key, const char *value) {
        /* the timer must not fire before the reply has left, nor leave the
         * caller wondering for long */
        return parse_duration_between(p, key, value, "5s, 30s", CONFIG_DELAY_MIN_USEC, CONFIG_DELAY_MAX_USEC,
                                      "1s to 1h", &p->config.delay_usec);
}

static int set_origin(ConfigParser *p, ConfigOrigin *o, const char *key, const char *value) {
        config_origin_done(o);
        *o = (ConfigOrigin) { .seq = ++p->seq };
        if (asprintf(&o->location, "%s:%u", p->path, p->line_no) < 0)
                o->location = NULL;
        if (asprintf(&o->assignment, "%s:%u: %s=%s", p->path, p->line_no, key, value) < 0)
                o->assignment = NULL;
        if (!o->location || !o->assignment)
                return parser_error(p, -ENOMEM, key, value, "out of memory");
        return 0;
}

static int parse_minimum_duration(ConfigParser *p, const char *key, const char *value) {
        uint64_t usec;
        int r;

        r = parse_duration_value(p, key, value, "60s, 2min", &usec);
        if (r < 0)
                return r;
        /* an alarm that passes before the host is asleep never wakes it */
        if (usec < CONFIG_MINIMUM_DURATION_MIN_USEC)
                return parser_error(p, -ERANGE, key, value, "too short; expected at least 1s");

        p->config.minimum_duration_usec = usec;
        return set_origin(p, &p->minimum, key, value);
}

static int parse_maximum_duration(ConfigParser *p, const char *key, const char *value) {
        uint64_t usec;
        int r;

        r = parse_duration_value(p, key, value, "23h, 7d", &usec);
        if (r < 0)
                return r;
        if (usec > CONFIG_MAXIMUM_DURATION_MAX_USEC)
                return parser_error(p, -ERANGE, key, value,
                                    "too long; expected at most 366d, the longest sleep hostpm-sleep accepts");

        p->config.maximum_duration_usec = usec;
        return set_origin(p, &p->maximum, key, value);
}

static int parse_rtc_device(ConfigParser *p, const char *key, const char *value) {
        char *device;

        /* a name under /sys/class/rtc/, never a way out of it; the same
         * rule hostpm-sleep applies to its --rtc-device= */
        if (!rtc_device_name_valid(value))
                return parser_error(p, -EINVAL, key, value,
                                    "not a device name; expected a name under /sys/class/rtc/ of letters, "
                                    "digits, - and _, e.g. rtc0");

        device = strdup(value);
        if (!device)
                return parser_error(p, -ENOMEM, key, value, "out of memory");
        free(p->config.rtc_device);
        p->config.rtc_device = device;
        return 0;
}

static int parse_allowed_targets(ConfigParser *p, const char *key, const char *value) {
        bool allowed[_SLEEP_TARGET_MAX] = { false };
        bool any = false;

        /* The whole list is replaced, as any other key's value is; an empty
         * list would leave hostpm with nothing to do. */
        for (const char *w = value + strspn(value, " \t"); *w != '\0';) {
                size_t n = strcspn(w, " \t");
                _cleanup_free_ char *word = strndup(w, n);
                SleepTarget t;

                if (!word)
                        return parser_error(p, -ENOMEM, key, value, "out of memory");
                t = sleep_target_from_string(word);
                if (t < 0)
                        return parser_error(p, -EINVAL, key, value, "unknown target '%s'; expected one or more of %s",
                                            word, sleep_target_list());
                allowed[t] = any = true;
                w += n;
                w += strspn(w, " \t");
        }
        if (!any)
                return parser_error(p, -EINVAL, key, value, "no target allowed; expected one or more of %s",
                                    sleep_target_list());

        memcpy(p->config.allowed_targets, allowed, sizeof(allowed));
        return 0;
}

/* Interfaces to arm for magic-packet wake before each suspend; empty: none
 * (a drop-in can turn it off again). */
static int parse_wake_on_lan_interfaces(ConfigParser *p, const char *key, const char *value) {
        char *list = NULL;
        const char *bad = NULL;
        size_t bad_len = 0;
        int r;

        r = net_interface_list_normalize(value, &list, &bad, &bad_len);
        if (r == -ENOMEM)
                return parser_error(p, -ENOMEM, key, value, "out of memory");
        if (r < 0)
                return parser_error(p, -EINVAL, key, value,
                                    "'%.*s' is not an interface name; expected names such as eno1 (1 to 15 "
                                    "characters, no '/', ':' or white space), separated by spaces", (int) bad_len, bad);
        free(p->config.wake_on_lan_interfaces);
        p->config.wake_on_lan_interfaces = list;
        return 0;
}

/* A duration from 0 up to max_usec; range says so in words. */
static int parse_duration_at_most(ConfigParser *p, const char *key, const char *value, const char *examples,
                                  uint64_t max_usec, const char *range, uint64_t *ret) {
        uint64_t usec;
        int r;

        r = parse_duration_value(p, key, value, examples, &usec);
        if (r < 0)
                return r;
        if (usec > max_usec)
                return parser_error(p, -ERANGE, key, value, "too long; expected %s", range);
        *ret = usec;
        return 0;
}

static int parse_next_timer_lead(ConfigParser *p, const char *key, const char *value) {
        return parse_duration_at_most(p, key, value, "3min, 30s, 0", CONFIG_NEXT_TIMER_LEAD_MAX_USEC, "0 to 1d",
                                      &p->config.next_timer_lead_usec);
}

static int parse_next_timers(ConfigParser *p, const char *key, const char *value) {
        if (streq(value, "wake-system"))
                p->config.next_timer_all = false;
        else if (streq(value, "all"))
                p->config.next_timer_all = true;
        else
                return parser_error(p, -EINVAL, key, value, "expected wake-system (timers with WakeSystem=yes) "
                                    "or all");
        return 0;
}

static int parse_stay_awake(ConfigParser *p, const char *key, const char *value) {
        return parse_duration_at_most(p, key, value, "10min, 0 (off)", CONFIG_STAY_AWAKE_MAX_USEC, "0 (off) to 1d",
                                      &p->config.stay_awake_usec);
}

/* "auto" (0): the firmware's word; else the farthest alarm the RTC takes,
 * for an RTC whose driver cannot say, or to sleep in shorter legs. */
static int parse_wake_alarm_range(ConfigParser *p, const char *key, const char *value) {
        if (streq(value, "auto")) {
                p->config.wake_alarm_range_usec = 0;
                return 0;
        }
        return parse_duration_between(p, key, value, "auto, 23h, 28d", USEC_PER_SEC, CONFIG_MAXIMUM_DURATION_MAX_USEC,
                                      "auto or 1s to 366d", &p->config.wake_alarm_range_usec);
}

static int parse_hibernate_delay(ConfigParser *p, const char *key, const char *value) {
        return parse_duration_between(p, key, value, "2h, 30min", USEC_PER_SEC, CONFIG_MAXIMUM_DURATION_MAX_USEC,
                                      "1s to 366d", &p->config.hibernate_delay_usec);
}

static const struct {
        const char *key;
        int (*parse)(ConfigParser *p, const char *key, const char *value);
} config_keys[] = {
        { "Delay",           parse_delay },
        { "MinimumDuration", parse_minimum_duration },
        { "MaximumDuration", parse_maximum_duration },
        { "RTCDevice",       parse_rtc_device },
        { "AllowedTargets",  parse_allowed_targets },
        { "WakeOnLanInterfaces", parse_wake_on_lan_interfaces },
        { "NextTimerLead",   parse_next_timer_lead },
        { "NextTimers",      parse_next_timers },
        { "StayAwakeAfterWake", parse_stay_awake },
        { "WakeAlarmRange",  parse_wake_alarm_range },
        { "HibernateDelay",  parse_hibernate_delay },
};

/* inih's handler: nonzero to go on. */
static int config_handler(void *userdata, const char *section, const char *key, const char *value) {
        ConfigParser *p = userdata;

        if (p->error < 0)
                return 1; /* only the first error is reported */

        if (!streq(section, CONFIG_SECTION)) {
                if (isempty(section))
                        parser_error(p, -EINVAL, key, value, "outside of a section; expected it under [" CONFIG_SECTION "]");
                else /* the reader has already said so */
                        parser_error(p, -EINVAL, key, value, "in unknown section [%s]; expected [" CONFIG_SECTION "]", section);
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(key, config_keys[i].key))
                        return config_keys[i].parse(p, key, value) >= 0;

        parser_error(p, -EINVAL, key, value, "unknown key; expected one of " CONFIG_KEYS);
        return 0;
}

static int config_parse_file(ConfigParser *p, const char *path, bool missing_ok) {
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        int r;

        p->path = path;
        p->line_no = 0;

        f = fopen(path, "re");
        if (!f) {
                r = negative_errno();
                if (r == -ENOENT && missing_ok)
                        return 0;
                return parser_error_at(p, 0, r, "cannot be opened: %s", STRERROR(r));
        }
        if (fstat(fileno(f), &st) < 0) {
                r = negative_errno();
                return parser_error_at(p, 0, r, "cannot be read: %s", STRERROR(r));
        }
        /* fopen() opens a directory just fine; reading it is what fails */
        if (S_ISDIR(st.st_mode))
                return parser_error_at(p, 0, -EISDIR, "is a directory; expected a file");
        if (!S_ISREG(st.st_mode))
                return parser_error_at(p, 0, -EINVAL, "is not a regular file");

        p->f = f;
        r = ini_parse_stream(config_reader, p, config_handler, p);
        p->f = NULL;
        if (ferror(f)) {
                r = negative_errno();
                return parser_error_at(p, 0, r, "cannot be read: %s", STRERROR(r));
        }
        if (r == -2)
                return parser_error_at(p, 0, -ENOMEM, "out of memory");
        if (r > 0) /* a line inih could not parse, unless an earlier error is already known */
                parser_error_at(p, r, -EINVAL, "not a [Section] header, Key=value assignment or comment");

        return p->error < 0 ? p->error : 0;
}

static int has_conf_suffix(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        return de->d_name[0] != '.' && n > 5 && streq(de->d_name + n - 5, ".conf");
}

/* lexical, not alphasort()'s locale order: the same on every host */
static int compare_names(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int config_parse_dropins(ConfigParser *p, const char *dir) {
        _cleanup_free_ char *dropin_dir = NULL;
        struct dirent **entries = NULL;
        int n, r = 0;

        if (asprintf(&dropin_dir, "%s/hostpm.conf.d", dir) < 0)
                return -ENOMEM;

        n = scandir(dropin_dir, &entries, has_conf_suffix, compare_names);
        if (n < 0) {
                r = negative_errno();
                if (r == -ENOENT)
                        return 0;
                p->path = dropin_dir;
                r = parser_error_at(p, 0, r, "cannot be read as a directory: %s", STRERROR(r));
                p->path = NULL;
                return r;
        }

        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;

                if (r >= 0) {
                        if (asprintf(&path, "%s/%s", dropin_dir, entries[i]->d_name) < 0)
                                r = -ENOMEM;
                        else
                                r = config_parse_file(p, path, /* missing_ok= */ false);
                        /* the message was made while path was alive */
                        p->path = NULL;
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

static int config_check_bounds(ConfigParser *p) {
        char min[DURATION_MAX_STRING], max[DURATION_MAX_STRING];
        const ConfigOrigin *later, *other;
        char *message = NULL;
        int k;

        if (p->config.minimum_duration_usec <= p->config.maximum_duration_usec)
                return 0;

        /* blame the assignment that came last: it made the pair inconsistent */
        format_duration(min, sizeof min, p->config.minimum_duration_usec);
        format_duration(max, sizeof max, p->config.maximum_duration_usec);
        if (p->maximum.seq > p->minimum.seq) {
                later = &p->maximum;
                other = &p->minimum;
                k = asprintf(&message, "%s: less than MinimumDuration=%s (%s); expected at least %s",
                             later->assignment, min, other->location ? other->location : "the default", min);
        } else {
                later = &p->minimum;
                other = &p->maximum;
                k = asprintf(&message, "%s: more than MaximumDuration=%s (%s); expected at most %s",
                             later->assignment, max, other->location ? other->location : "the default", max);
        }
        free(p->error_message);
        p->error_message = k < 0 ? NULL : message;
        p->error = -ERANGE;
        return -ERANGE;
}

int config_load(const char *dir, Config *ret, char **ret_error) {
        _cleanup_free_ char *main_path = NULL;
        _cleanup_(config_parser_done) ConfigParser p = {0};
        int r;

        config_init_defaults(&p.config);
        if (asprintf(&main_path, "%s/hostpm.conf", dir) < 0)
                main_path = NULL;
        if (!p.config.rtc_device || !main_path)
                return -ENOMEM;

        r = config_parse_file(&p, main_path, /* missing_ok= */ true);
        if (r >= 0)
                r = config_parse_dropins(&p, dir);
        if (r >= 0)
                r = config_check_bounds(&p);
        if (r < 0) {
                if (!p.error_message)
                        return -ENOMEM;
                if (ret_error)
                        *ret_error = TAKE_PTR(p.error_message);
                return r;
        }

        config_done(ret);
        *ret = p.config;
        p.config = (Config) {0};
        return 0;
}
