/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdarg.h>

#include "escape.h"
#include "helper-args.h"
#include "macro.h"
#include "net-interfaces.h"
#include "rtc.h"
#include "strv.h"

/* Digits only, no sign, no spaces, no suffix, no overflow, at most max. */
int parse_whole_number(const char *s, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (isempty(s) || strspn(s, "0123456789") != strlen(s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -ERANGE;
        if (v > max)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

/* Ids end up in file contents, journal fields and messages: keep them
 * plain. Covers UUIDs and unit-name-like ids. */
bool sleep_id_valid(const char *id) {
        size_t n;

        if (!id)
                return false;
        n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@");
        return n > 0 && n <= SLEEP_ID_MAX && id[n] == '\0';
}

/* Sets *reason (when wanted) and returns -EBADMSG, or -ENOMEM. */
_printf_(2, 3)
static int refuse(char **reason, const char *format, ...) {
        va_list ap;
        int r;

        if (!reason)
                return -EBADMSG;
        free(*reason);
        *reason = NULL;
        va_start(ap, format);
        r = vasprintf(reason, format, ap);
        va_end(ap);
        if (r < 0) {
                *reason = NULL;
                return -ENOMEM;
        }
        return -EBADMSG;
}

/* Each option's reader gets the value as given and, for messages, as it
 * may be shown (escaped: the argv is whoever started the helper's). */
typedef int (*option_parse_t)(const char *value, const char *shown, HelperArgs *a, char **reason);
/* Each option's writer: "--name=value" in *ret, or NULL to leave it out. */
typedef int (*option_format_t)(const HelperArgs *a, char **ret);

static int parse_target(const char *value, const char *shown, HelperArgs *a, char **reason) {
        a->target = sleep_target_from_string(value);
        if (a->target < 0)
                return refuse(reason, "unknown --target '%s'; expected one of %s", shown, sleep_target_list());
        return 0;
}

static int format_target(const HelperArgs *a, char **ret) {
        const char *s = sleep_target_to_string(a->target);

        return s && asprintf(ret, "--target=%s", s) < 0 ? -ENOMEM : 0;
}

static int parse_seconds(const char *value, const char *shown, HelperArgs *a, char **reason) {
        if (parse_whole_number(value, SLEEP_SECONDS_MAX, &a->seconds) < 0 || a->seconds == 0)
                return refuse(reason, "invalid --seconds '%s'; expected whole seconds from 1 to %" PRIu64,
                              shown, SLEEP_SECONDS_MAX);
        return 0;
}

static int format_seconds(const HelperArgs *a, char **ret) {
        return a->seconds > 0 && asprintf(ret, "--seconds=%" PRIu64, a->seconds) < 0 ? -ENOMEM : 0;
}

static int parse_wake_at(const char *value, const char *shown, HelperArgs *a, char **reason) {
        if (parse_whole_number(value, UINT64_MAX / USEC_PER_SEC, &a->wake_at) < 0 || a->wake_at == 0)
                return refuse(reason, "invalid --wake-at '%s'; expected seconds since the epoch, from 1 to %" PRIu64,
                              shown, UINT64_MAX / USEC_PER_SEC);
        return 0;
}

static int format_wake_at(const HelperArgs *a, char **ret) {
        return a->wake_at > 0 && asprintf(ret, "--wake-at=%" PRIu64, a->wake_at) < 0 ? -ENOMEM : 0;
}

static int parse_min_seconds(const char *value, const char *shown, HelperArgs *a, char **reason) {
        if (parse_whole_number(value, SLEEP_SECONDS_MAX, &a->min_seconds) < 0 || a->min_seconds == 0)
                return refuse(reason, "invalid --min-seconds '%s'; expected whole seconds from 1 to %" PRIu64,
                              shown, SLEEP_SECONDS_MAX);
        return 0;
}

static int format_min_seconds(const HelperArgs *a, char **ret) {
        return a->min_seconds > 0 && asprintf(ret, "--min-seconds=%" PRIu64, a->min_seconds) < 0 ? -ENOMEM : 0;
}

static int parse_alarm_range(const char *value, const char *shown, HelperArgs *a, char **reason) {
        if (parse_whole_number(value, SLEEP_SECONDS_MAX, &a->alarm_range) < 0 || a->alarm_range == 0)
                return refuse(reason, "invalid --alarm-range '%s'; expected whole seconds from 1 to %" PRIu64,
                              shown, SLEEP_SECONDS_MAX);
        return 0;
}

static int format_alarm_range(const HelperArgs *a, char **ret) {
        return a->alarm_range > 0 && asprintf(ret, "--alarm-range=%" PRIu64, a->alarm_range) < 0 ? -ENOMEM : 0;
}

static int parse_hibernate_after(const char *value, const char *shown, HelperArgs *a, char **reason) {
        if (parse_whole_number(value, SLEEP_SECONDS_MAX, &a->hibernate_after) < 0 || a->hibernate_after == 0)
                return refuse(reason, "invalid --hibernate-after '%s'; expected whole seconds from 1 to %" PRIu64,
                              shown, SLEEP_SECONDS_MAX);
        return 0;
}

static int format_hibernate_after(const HelperArgs *a, char **ret) {
        return a->hibernate_after > 0 && asprintf(ret, "--hibernate-after=%" PRIu64, a->hibernate_after) < 0
                ? -ENOMEM : 0;
}

static int parse_id(const char *value, const char *shown, HelperArgs *a, char **reason) {
        if (!sleep_id_valid(value))
                return refuse(reason, "invalid --id '%s'; expected 1 to %i letters, digits or - _ . : @",
                              shown, SLEEP_ID_MAX);
        a->id = value;
        return 0;
}

static int format_id(const HelperArgs *a, char **ret) {
        return a->id && asprintf(ret, "--id=%s", a->id) < 0 ? -ENOMEM : 0;
}

static int parse_rtc_device(const char *value, const char *shown, HelperArgs *a, char **reason) {
        if (!rtc_device_name_valid(value))
                return refuse(reason, "invalid --rtc-device '%s'; expected a name under /sys/class/rtc such as rtc0",
                              shown);
        a->rtc_device = value;
        return 0;
}

static int format_rtc_device(const HelperArgs *a, char **ret) {
        return a->rtc_device && asprintf(ret, "--rtc-device=%s", a->rtc_device) < 0 ? -ENOMEM : 0;
}

static int parse_requester_uid(const char *value, const char *shown, HelperArgs *a, char **reason) {
        uint64_t v;

        /* (uid_t) -1 means "no uid" to the kernel: never a requester */
        if (parse_whole_number(value, UINT32_MAX - 1, &v) < 0)
                return refuse(reason, "invalid --requester-uid '%s'; expected a uid from 0 to %" PRIu32,
                              shown, UINT32_MAX - 1);
        a->requester_uid = (uid_t) v;
        return 0;
}

static int format_requester_uid(const HelperArgs *a, char **ret) {
        return asprintf(ret, "--requester-uid=%" PRIu32, (uint32_t) a->requester_uid) < 0 ? -ENOMEM : 0;
}

static int parse_requester_pid(const char *value, const char *shown, HelperArgs *a, char **reason) {
        uint64_t v;

        if (parse_whole_number(value, INT32_MAX, &v) < 0)
                return refuse(reason, "invalid --requester-pid '%s'; expected a pid from 0 (unknown) to %" PRIi32,
                              shown, INT32_MAX);
        a->requester_pid = (pid_t) v;
        return 0;
}

static int format_requester_pid(const HelperArgs *a, char **ret) {
        return asprintf(ret, "--requester-pid=%" PRIi32, (int32_t) a->requester_pid) < 0 ? -ENOMEM : 0;
}

static int parse_ignore_inhibitors(const char *value, const char *shown, HelperArgs *a, char **reason) {
        a->ignore_inhibitors = true;
        return 0;
}

static int format_ignore_inhibitors(const HelperArgs *a, char **ret) {
        return a->ignore_inhibitors && !(*ret = strdup("--ignore-inhibitors")) ? -ENOMEM : 0;
}

static int parse_wake_on_lan(const char *value, const char *shown, HelperArgs *a, char **reason) {
        const char *bad = NULL;
        size_t bad_len = 0;
        char *list = NULL;
        int r;

        r = net_interface_list_normalize(value, &list, &bad, &bad_len);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !list) {
                _cleanup_free_ char *b = strndup(bad ? bad : "", bad ? bad_len : 0), *bs = NULL;

                bs = b ? escape_untrusted(b) : NULL;
                if (!bs)
                        return -ENOMEM;
                return refuse(reason, "invalid --wake-on-lan '%s': '%s' is not an interface name; expected "
                              "names such as eno1, separated by commas", shown, bs);
        }
        free(a->wake_on_lan);
        a->wake_on_lan = list;
        return 0;
}

static int format_wake_on_lan(const HelperArgs *a, char **ret) {
        return a->wake_on_lan && asprintf(ret, "--wake-on-lan=%s", a->wake_on_lan) < 0 ? -ENOMEM : 0;
}

typedef enum HelperOptionId {
        OPT_ID,
        OPT_TARGET,
        OPT_SECONDS,
        OPT_WAKE_AT,
        OPT_MIN_SECONDS,
        OPT_ALARM_RANGE,
        OPT_HIBERNATE_AFTER,
        OPT_RTC_DEVICE,
        OPT_REQUESTER_UID,
        OPT_REQUESTER_PID,
        OPT_IGNORE_INHIBITORS,
        OPT_WAKE_ON_LAN,
        OPT_HELP,
        OPT_VERSION,
        _OPT_MAX,
} HelperOptionId;

/* In the order hostpmd writes them. */
static const struct {
        const char *name;
        bool has_value;
        option_parse_t parse;    /* NULL: stops reading (help, version) */
        option_format_t format;  /* NULL: never written */
} options[_OPT_MAX] = {
        [OPT_ID]                = { "id",                true,  parse_id,                format_id                },
        [OPT_TARGET]            = { "target",            true,  parse_target,            format_target            },
        [OPT_SECONDS]           = { "seconds",           true,  parse_seconds,           format_seconds           },
        [OPT_WAKE_AT]           = { "wake-at",           true,  parse_wake_at,           format_wake_at           },
        [OPT_MIN_SECONDS]       = { "min-seconds",       true,  parse_min_seconds,       format_min_seconds       },
        [OPT_ALARM_RANGE]       = { "alarm-range",       true,  parse_alarm_range,       format_alarm_range       },
        [OPT_HIBERNATE_AFTER]   = { "hibernate-after",   true,  parse_hibernate_after,   format_hibernate_after   },
        [OPT_RTC_DEVICE]        = { "rtc-device",        true,  parse_rtc_device,        format_rtc_device        },
        [OPT_REQUESTER_UID]     = { "requester-uid",     true,  parse_requester_uid,     format_requester_uid     },
        [OPT_REQUESTER_PID]     = { "requester-pid",     true,  parse_requester_pid,     format_requester_pid     },
        [OPT_IGNORE_INHIBITORS] = { "ignore-inhibitors", false, parse_ignore_inhibitors, format_ignore_inhibitors },
        [OPT_WAKE_ON_LAN]       = { "wake-on-lan",       true,  parse_wake_on_lan,       format_wake_on_lan       },
        [OPT_HELP]              = { "help",              false, NULL,                    NULL                     },
        [OPT_VERSION]           = { "version",           false, NULL,                    NULL                     },
};

static int option_find(const char *name, size_t l) {
        for (int i = 0; i < _OPT_MAX; i++)
                if (strlen(options[i].name) == l && strncmp(options[i].name, name, l) == 0)
                        return i;
        return -1;
}

void helper_args_done(HelperArgs *a) {
        free(a->wake_on_lan);
        a->wake_on_lan = NULL;
}

/* What is missing once every option is read; NULL if nothing. */
static const char *missing(unsigned seen) {
        if (!(seen & (1u << OPT_TARGET)))
                return "--target";
        if (!(seen & ((1u << OPT_SECONDS) | (1u << OPT_WAKE_AT))))
                return "--seconds or --wake-at";
        if (!(seen & (1u << OPT_ID)))
                return "--id";
        if (!(seen & (1u << OPT_REQUESTER_UID)))
                return "--requester-uid";
        if (!(seen & (1u << OPT_REQUESTER_PID)))
                return "--requester-pid";
        return NULL;
}

int helper_args_from_argv(char * const *argv, HelperArgs *ret, char **ret_reason) {
        _cleanup_(helper_args_done) HelperArgs a = {
                .target = _SLEEP_TARGET_INVALID,
                .rtc_device = SLEEP_RTC_DEVICE_DEFAULT,
                .min_seconds = 1,
        };
        unsigned seen = 0;
        const char *m;
        int r;

        for (size_t i = argv && argv[0] ? 1 : 0; argv && argv[i]; i++) {
                _cleanup_free_ char *shown = NULL;
                const char *arg = argv[i], *name, *eq, *value;
                int o;

                if (streq(arg, "--") || arg[0] != '-' || arg[1] == '\0') {
                        /* after "--" anything is an argument, and the helper takes none */
                        if (streq(arg, "--") && !argv[i + 1])
                                break;
                        shown = escape_untrusted(streq(arg, "--") ? argv[i + 1] : arg);
                        if (!shown)
                                return -ENOMEM;
                        return refuse(ret_reason, "unexpected argument '%s'; all input is given as --option=value",
                                      shown);
                }
                if (arg[1] != '-') {
                        if (streq(arg, "-h"))
                                return HELPER_ARGS_HELP;
                        shown = escape_untrusted(arg);
                        if (!shown)
                                return -ENOMEM;
                        return refuse(ret_reason, "unknown option '%s'; see --help", shown);
                }

                name = arg + 2;
                eq = strchr(name, '=');
                o = option_find(name, eq ? (size_t) (eq - name) : strlen(name));
                if (o < 0) {
                        shown = escape_untrusted(arg);
                        if (!shown)
                                return -ENOMEM;
                        return refuse(ret_reason, "unknown option '%s'; see --help", shown);
                }
                if (!options[o].has_value) {
                        if (eq)
                                return refuse(ret_reason, "option '--%s' takes no value; see --help", options[o].name);
                        if (!options[o].parse)
                                return o == OPT_HELP ? HELPER_ARGS_HELP : HELPER_ARGS_VERSION;
                        value = NULL;
                } else if (eq)
                        value = eq + 1;
                else if (argv[i + 1])
                        value = argv[++i];
                else
                        return refuse(ret_reason, "option '--%s' needs a value; see --help", options[o].name);

                if (value) {
                        shown = escape_untrusted(value);
                        if (!shown)
                                return -ENOMEM;
                }
                r = options[o].parse(value, shown, &a, ret_reason);
                if (r < 0)
                        return r;
                seen |= 1u << o;
        }

        if (a.seconds > 0 && a.wake_at > 0)
                return refuse(ret_reason, "both --seconds and --wake-at given; expected one of them");
        m = missing(seen);
        if (m)
                return refuse(ret_reason, "missing %s; see --help", m);
        if (a.hibernate_after > 0 && a.target != SLEEP_TARGET_SUSPEND_THEN_HIBERNATE)
                return refuse(ret_reason, "--hibernate-after given with --target=%s; expected it only with "
                              "--target=suspend-then-hibernate", sleep_target_to_string(a.target));

        *ret = a;
        a.wake_on_lan = NULL;  /* moved */
        return HELPER_ARGS_OK;
}

int helper_args_to_argv(const char *path, const HelperArgs *a, char ***ret, char **ret_reason) {
        _cleanup_(helper_args_done) HelperArgs check = {0};
        _cleanup_(strv_freep) char **argv = NULL;
        int r;

        r = strv_consume(&argv, strdup(path));
        for (int i = 0; r >= 0 && i < _OPT_MAX; i++) {
                char *s = NULL;

                if (!options[i].format)
                        continue;
                r = options[i].format(a, &s);
                if (r >= 0 && s)
                        r = strv_consume(&argv, s);
        }
        if (r < 0)
                return r;

        /* What the helper would refuse is never scheduled. */
        r = helper_args_from_argv(argv, &check, ret_reason);
        if (r == -ENOMEM)
                return r;
        if (r != HELPER_ARGS_OK)
                return -EINVAL;

        *ret = TAKE_PTR(argv);
        return 0;
}
