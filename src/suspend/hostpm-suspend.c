/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-suspend: the command line for people and scripts. */

#include <getopt.h>
#include <inttypes.h>

#include "config.h"
#include "capabilities-json.h"
#include "capabilities-xml.h"
#include "capabilities.h"
#include "log.h"
#include "macro.h"

/* Documented in --help; scripts rely on them. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_CAPABILITIES_UNKNOWN = 3,
};

typedef enum OutputFormat {
        OUTPUT_TABLE,
        OUTPUT_XML,
        OUTPUT_JSON,
} OutputFormat;

typedef enum Action {
        ACTION_NONE,
        ACTION_CAPABILITIES,
} Action;

static Action arg_action = ACTION_NONE;
static OutputFormat arg_output = OUTPUT_TABLE;

#define DEFAULT_MAX_SECONDS UINT64_C(82800) /* 23 h: rtc_cmos without a day alarm refuses ≥ 24 h */

static void help(void) {
        printf("Usage: %s [OPTIONS] --capabilities\n"
               "\n"
               "Suspend this host for a given time and let the RTC wake it up.\n"
               "\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --capabilities    Show what the host's power management can do\n"
               "     --xml             With --capabilities: libvirt-compatible XML\n"
               "     --json            With --capabilities: JSON\n"
               "\n"
               "Exit status:\n"
               "  0  success\n"
               "  1  failure\n"
               "  2  invalid command line\n"
               "  3  logind could not be asked; the output says why and claims no support\n",
               program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_CAPABILITIES,
                ARG_XML,
                ARG_JSON,
        };
        static const struct option options[] = {
                { "help",         no_argument, NULL, 'h'              },
                { "version",      no_argument, NULL, ARG_VERSION      },
                { "capabilities", no_argument, NULL, ARG_CAPABILITIES },
                { "xml",          no_argument, NULL, ARG_XML          },
                { "json",         no_argument, NULL, ARG_JSON         },
                { NULL, 0, NULL, 0 }
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hostpm %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CAPABILITIES:
                        arg_action = ACTION_CAPABILITIES;
                        break;
                case ARG_XML:
                        arg_output = OUTPUT_XML;
                        break;
                case ARG_JSON:
                        arg_output = OUTPUT_JSON;
                        break;
                case '?':
                        if (optopt)
                                log_error("unknown option '-%c'; see --help for the accepted options", optopt);
                        else
                                log_error("unknown option '%s'; see --help for the accepted options",
                                          argv[optind - 1]);
                        return -EINVAL;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                log_error("unexpected argument '%s'; expected --capabilities", argv[optind]);
                return -EINVAL;
        }
        if (arg_action == ACTION_NONE) {
                log_error("nothing to do; expected --capabilities (see --help)");
                return -EINVAL;
        }
        return 1;
}

/* Test seam: how long to wait for logind (seconds), read once. */
static uint64_t bus_timeout_usec(void) {
        const char *e = secure_getenv("HOSTPM_BUS_TIMEOUT_SEC");
        unsigned long long v;
        char *end;

        if (isempty(e))
                return CAPABILITIES_QUERY_TIMEOUT_USEC;
        errno = 0;
        v = strtoull(e, &end, 10);
        if (errno != 0 || *end != '\0' || v == 0 || v > UINT64_MAX / USEC_PER_SEC)
                return CAPABILITIES_QUERY_TIMEOUT_USEC;
        return v * USEC_PER_SEC;
}

static void print_table(const Capabilities *c) {
        if (c->query_error == 0) {
                printf("%-24s %-10s %s\n", "TARGET", "SUPPORTED", "LOGIND");
                for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                        const TargetCapability *tc = &c->targets[t];
                        const char *note = logind_answer_is_blocked(tc->answer) ? " (blocked now)" :
                                           tc->answer == LOGIND_ANSWER_UNKNOWN ? " (not understood)" : "";

                        printf("%-24s %-10s %s%s%s\n",
                               sleep_target_to_string(t),
                               logind_answer_is_supported(tc->answer) ? "yes" : "no",
                               tc->raw ? tc->raw : logind_answer_to_string(tc->answer),
                               note,
                               logind_answer_needs_authentication(tc->answer) ? " (needs authentication)" : "");
                }
        } else
                printf("Sleep targets: unknown (%s)\n", c->query_error_message ? c->query_error_message : strerror(-c->query_error));

        printf("\nWake alarm: ");
        if (!c->rtc.present)
                printf("%s not present\n", c->rtc.device);
        else {
                printf("%s (%s)%s, wake source %s", c->rtc.device, c->rtc.name ? c->rtc.name : "unknown driver",
                       c->rtc.has_wakealarm ? "" : ", no wakealarm attribute",
                       rtc_wakeup_to_string(c->rtc.wakeup));
                if (c->rtc.alarm > 0)
                        printf(", alarm pending at %" PRIu64, c->rtc.alarm);
                printf("\n");
        }
        printf("Longest sleep: %" PRIu64 " s\n", c->rtc.max_seconds);
}

static int verb_capabilities(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *text = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                r = capabilities_set_query_error(&c, r, NULL, "Failed to connect to the system bus");
        else
                r = capabilities_query_logind(bus, bus_timeout_usec(), &c);
        if (r < 0)
                return log_error_errno(r, "Failed to query logind: %s", STRERROR(r));

        r = rtc_read_info(rtc_sysfs_root(), "rtc0", &c.rtc);
        if (r < 0)
                return log_error_errno(r, "Failed to read the RTC: %s", STRERROR(r));
        c.rtc.max_seconds = DEFAULT_MAX_SECONDS;

        if (c.query_error != 0)
                log_warning("warning: could not ask logind what this host supports: %s%s%s%s; "
                            "no power management support is claimed",
                            c.query_error_message ? c.query_error_message : strerror(-c.query_error),
                            c.query_error_name ? " (" : "", c.query_error_name ? c.query_error_name : "",
                            c.query_error_name ? ")" : "");

        switch (arg_output) {
        case OUTPUT_XML:
                r = capabilities_to_xml(&c, &text);
                break;
        case OUTPUT_JSON:
                r = capabilities_to_json(&c, &text);
                break;
        case OUTPUT_TABLE:
                print_table(&c);
                r = 0;
                break;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to format the capabilities: %s", STRERROR(r));
        if (text)
                fputs(text, stdout);
        if (arg_output == OUTPUT_JSON)
                fputc('\n', stdout);

        return c.query_error != 0 ? EXIT_CAPABILITIES_UNKNOWN : EXIT_OK;
}

int main(int argc, char *argv[]) {
        int r;

        log_set_program_name(program_invocation_short_name);
        log_setup();

        r = parse_argv(argc, argv);
        if (r < 0)
                return EXIT_USAGE;
        if (r == 0)
                return EXIT_OK;

        switch (arg_action) {
        case ACTION_CAPABILITIES:
                r = verb_capabilities();
                break;
        default:
                r = -EINVAL;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error_errno(-EIO, "Failed to write the output: %s", STRERROR(EIO));
                return EXIT_FAILED;
        }
        return r < 0 ? EXIT_FAILED : r;
}
