/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-suspend: the command line for people and scripts. Everything goes
 * through hostpmd on the system bus, locally or over SSH (-H). */

#include <getopt.h>
#include <inttypes.h>
#include <time.h>

#include "build-config.h"
#include "bus-errors.h"
#include "bus-names.h"
#include "capabilities-json.h"
#include "capabilities-xml.h"
#include "history-client.h"
#include "host-targets.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "multi-host.h"
#include "net-interfaces.h"
#include "polkit-agent.h"
#include "suspend-plan.h"
#include "timespan.h"
#include "verbs.h"
#include "wake.h"

typedef enum Action {
        ACTION_SCHEDULE,
        ACTION_CANCEL,
        ACTION_STATUS,
        ACTION_CAPABILITIES,
        ACTION_HISTORY,
        ACTION_METRICS,
        ACTION_WAKE,
} Action;

static Action arg_action = ACTION_SCHEDULE;
static OutputFormat arg_output = OUTPUT_TEXT;
static const char *arg_target = "mem";
static uint64_t arg_duration_usec = 0;
static uint64_t arg_until_usec = 0;
static bool arg_until = false;
static bool arg_next_timer = false;
static uint64_t arg_delay_usec = 0;
static bool arg_dry_run = false;
static bool arg_wait = false;
static bool arg_ignore_inhibitors = false;
static bool arg_ask_password = true;
static const char *arg_host = NULL;
static const char *arg_cancel_id = NULL;
static uint64_t arg_since_usec = 0;
static const char *arg_output_path = NULL;
static char **arg_hosts = NULL;         /* every -H, in order */
static size_t arg_n_hosts = 0;
static unsigned arg_parallel = MULTI_HOST_PARALLEL_DEFAULT;
static HostTargets arg_targets = {0};  /* several hosts: a per-host table */
static WakeArgs arg_wake = { .broadcast_text = WAKE_BROADCAST_DEFAULT, .port = WOL_PORT_DEFAULT };
static char **arg_wake_targets = NULL;  /* points into argv */
static size_t arg_n_wake_targets = 0;

static void help(void) {
        const char *n = program_invocation_short_name;

        printf("Usage: %s [OPTIONS] DURATION\n"
               "       %s [OPTIONS] --until=TIME\n"
               "       %s [OPTIONS] --until=next-timer [--until=TIME | DURATION]\n"
               "       %s --cancel[=ID] | --status | --capabilities [--xml | --json]\n"
               "       %s --history [--since=TIME] [--json] | --metrics [--output=FILE]\n"
               "       %s --wake [--interface=IF] [--broadcast=ADDR] [--port=N] MAC|HOST...\n"
               "\n"
               "Suspend this host for a given time and let its RTC wake it up.\n"
               "\n"
               "DURATION is the time asleep: 90, 90s, 15min, 1h 30min, 2d.\n"
               "TIME is a wall-clock wake time: HH:MM[:SS] (next occurrence),\n"
               "'YYYY-MM-DD HH:MM[:SS]' (local time) or @EPOCH.\n"
               "--until=next-timer wakes hostpmd's NextTimerLead= before the next systemd timer\n"
               "(NextTimers=), or after DURATION / at TIME if that comes first.\n"
               "\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "  -t --target=TARGET      mem (default), disk, hybrid, suspend-then-hibernate\n"
               "     --until=TIME         Wake at TIME instead of after DURATION\n"
               "     --delay=SPAN         Wait SPAN before suspending (default: hostpmd's Delay=)\n"
               "     --dry-run            Check and authorize, but schedule nothing\n"
               "     --wait               Wait until the host is back; print the time asleep\n"
               "     --ignore-inhibitors  Suspend even if a program inhibits sleep (own polkit action)\n"
               "     --cancel[=ID]        Cancel the pending suspend (only if it is request ID)\n"
               "     --status             Show the pending suspend and the last outcome\n"
               "     --capabilities       Show what the host's power management can do\n"
               "     --xml                With --capabilities: libvirt-compatible XML\n"
               "     --history            Show the finished requests (with --json: JSON lines)\n"
               "     --since=TIME         With --history: those finished since TIME (also a span ago: 7d)\n"
               "     --metrics            Print metrics in Prometheus' text format\n"
               "     --output=FILE        With --metrics: replace FILE atomically instead of printing\n"
               "     --json               JSON output\n"
               "     --no-ask-password    Never ask for a password (polkit)\n"
               "     --wake               Send a Wake-on-LAN magic packet to each MAC or HOST\n"
               "                          (a name in /etc/ethers; host lists as for -H)\n"
               "     --interface=IF       With --wake: send out of this interface\n"
               "     --broadcast=ADDR     With --wake: to this IPv4 address (default %s)\n"
               "     --port=N             With --wake: to this UDP port (default %u)\n"
               "  -H --host=[USER@]HOST   Operate on a remote host, over SSH\n"
               "  -H --host=[USER@]LIST   ... on several: repeat -H, or a Slurm hostlist such as\n"
               "                          node[01-04,07],gpu1; one row (--json: line) per host\n"
               "     --parallel=N         With several hosts: at most N at once (default %u)\n"
               "\n"
               "Exit status:\n"
               "  0  success\n"
               "  1  failure not listed below\n"
               "  2  invalid command line\n"
               "  3  logind could not be asked what the host supports\n"
               "  4  not authorized\n"
               "  5  busy: another suspend is pending, or too many calls are waiting\n"
               "  6  refused: unsupported target, duration or time out of range, no wake alarm\n"
               "  7  nothing to cancel (or request ID is not the one pending)\n"
               "  8  too late to cancel: the suspend has started\n"
               "  9  --wait: the suspend failed or the host did not resume as planned\n"
               " 10  several hosts: not all succeeded, and they failed differently\n"
               "     (when all failed alike: that status)\n",
               n, n, n, n, n, n, WAKE_BROADCAST_DEFAULT, WOL_PORT_DEFAULT, MULTI_HOST_PARALLEL_DEFAULT);
}

static int usage_error(const char *format, ...) _printf_(1, 2);
static int usage_error(const char *format, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EINVAL;
}

/* --since goes with --history, --output with --metrics. */
static int parse_history_args(const char *since) {
        int r;

        if (since && arg_action != ACTION_HISTORY)
                return usage_error("--since goes with --history only");
        if (arg_output_path && arg_action != ACTION_METRICS)
                return usage_error("--output goes with --metrics only");
        if (arg_action == ACTION_METRICS && arg_output != OUTPUT_TEXT)
                return usage_error("--metrics prints Prometheus' text format; --json and --xml do not go with it");
        if (arg_output_path && isempty(arg_output_path))
                return usage_error("empty --output; expected a file such as "
                                   "/var/lib/prometheus/node-exporter/hostpm.prom");
        if (since) {
                r = parse_since(since, clock_now_usec(CLOCK_REALTIME), &arg_since_usec);
                if (r == -ETIME)
                        return usage_error("--since=%s is in the future; expected a time that has passed", since);
                if (r < 0)
                        return usage_error("invalid --since '%s'; expected a time span ago (2h, 7d), HH:MM[:SS], "
                                           "YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' or @EPOCH", since);
        }
        return 1;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_UNTIL,
                ARG_DELAY,
                ARG_DRY_RUN,
                ARG_WAIT,
                ARG_IGNORE_INHIBITORS,
                ARG_CANCEL,
                ARG_STATUS,
                ARG_CAPABILITIES,
                ARG_XML,
                ARG_JSON,
                ARG_NO_ASK_PASSWORD,
                ARG_HISTORY,
                ARG_SINCE,
                ARG_METRICS,
                ARG_OUTPUT,
                ARG_PARALLEL,
                ARG_WAKE,
                ARG_INTERFACE,
                ARG_BROADCAST,
                ARG_PORT,
        };
        static const struct option options[] = {
                { "help",              no_argument,       NULL, 'h'                   },
                { "version",           no_argument,       NULL, ARG_VERSION           },
                { "target",            required_argument, NULL, 't'                   },
                { "until",             required_argument, NULL, ARG_UNTIL             },
                { "delay",             required_argument, NULL, ARG_DELAY             },
                { "dry-run",           no_argument,       NULL, ARG_DRY_RUN           },
                { "wait",              no_argument,       NULL, ARG_WAIT              },
                { "ignore-inhibitors", no_argument,       NULL, ARG_IGNORE_INHIBITORS },
                { "cancel",            optional_argument, NULL, ARG_CANCEL            },
                { "status",            no_argument,       NULL, ARG_STATUS            },
                { "capabilities",      no_argument,       NULL, ARG_CAPABILITIES      },
                { "xml",               no_argument,       NULL, ARG_XML               },
                { "json",              no_argument,       NULL, ARG_JSON              },
                { "no-ask-password",   no_argument,       NULL, ARG_NO_ASK_PASSWORD   },
                { "host",              required_argument, NULL, 'H'                   },
                { "history",           no_argument,       NULL, ARG_HISTORY           },
                { "since",             required_argument, NULL, ARG_SINCE             },
                { "metrics",           no_argument,       NULL, ARG_METRICS           },
                { "output",            required_argument, NULL, ARG_OUTPUT            },
                { "parallel",          required_argument, NULL, ARG_PARALLEL          },
                { "wake",              no_argument,       NULL, ARG_WAKE              },
                { "interface",         required_argument, NULL, ARG_INTERFACE         },
                { "broadcast",         required_argument, NULL, ARG_BROADCAST         },
                { "port",              required_argument, NULL, ARG_PORT              },
                { NULL, 0, NULL, 0 }
        };
        const char *until = NULL, *delay = NULL, *since = NULL;
        bool wake_options = false;
        unsigned n_actions = 0;
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "ht:H:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hostpm %s\n", PACKAGE_VERSION);
                        return 0;
                case 't':
                        if (sleep_target_from_string(optarg) < 0)
                                return usage_error("unknown target '%s'; expected one of: %s",
                                                   optarg, sleep_target_list());
                        arg_target = optarg;
                        break;
                case ARG_UNTIL:
                        if (streq(optarg, "next-timer"))
                                arg_next_timer = true;
                        else if (until)
                                return usage_error("--until=%s after --until=%s; expected one wake time (and "
                                                   "--until=next-timer)", optarg, until);
                        else
                                until = optarg;
                        break;
                case ARG_DELAY:
                        delay = optarg;
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_WAIT:
                        arg_wait = true;
                        break;
                case ARG_IGNORE_INHIBITORS:
                        arg_ignore_inhibitors = true;
                        break;
                case ARG_CANCEL:
                        if (optarg && (strlen(optarg) != 32 || strspn(optarg, "0123456789abcdef") != 32))
                                return usage_error("invalid request id for --cancel; expected the 32 "
                                                   "hexadecimal digits of a request (see --status)");
                        arg_cancel_id = optarg;
                        arg_action = ACTION_CANCEL;
                        n_actions++;
                        break;
                case ARG_STATUS:
                        arg_action = ACTION_STATUS;
                        n_actions++;
                        break;
                case ARG_CAPABILITIES:
                        arg_action = ACTION_CAPABILITIES;
                        n_actions++;
                        break;
                case ARG_XML:
                        arg_output = OUTPUT_XML;
                        break;
                case ARG_JSON:
                        arg_output = OUTPUT_JSON;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case ARG_HISTORY:
                        arg_action = ACTION_HISTORY;
                        n_actions++;
                        break;
                case ARG_SINCE:
                        since = optarg;
                        break;
                case ARG_METRICS:
                        arg_action = ACTION_METRICS;
                        n_actions++;
                        break;
                case ARG_OUTPUT:
                        arg_output_path = optarg;
                        break;
                case 'H': {
                        char **h;

                        if (isempty(optarg))
                                return usage_error("empty --host; expected [USER@]HOST");
                        h = realloc(arg_hosts, (arg_n_hosts + 1) * sizeof *h);
                        if (!h)
                                return log_oom();
                        arg_hosts = h;
                        arg_hosts[arg_n_hosts++] = optarg;
                        arg_host = optarg;
                        break;
                }
                case ARG_PARALLEL: {
                        unsigned long v;
                        char *end;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' || v == 0 ||
                            v > MULTI_HOST_PARALLEL_MAX)
                                return usage_error("invalid --parallel '%s'; expected a number from 1 to %u",
                                                   optarg, MULTI_HOST_PARALLEL_MAX);
                        arg_parallel = (unsigned) v;
                        break;
                }
                case ARG_WAKE:
                        arg_action = ACTION_WAKE;
                        n_actions++;
                        break;
                case ARG_INTERFACE:
                        if (!net_interface_name_valid(optarg))
                                return usage_error("invalid --interface '%s'; expected an interface name such as "
                                                   "eno1", optarg);
                        arg_wake.interface = optarg;
                        wake_options = true;
                        break;
                case ARG_BROADCAST:
                        if (wake_parse_broadcast(optarg, &arg_wake) < 0)
                                return usage_error("invalid --broadcast '%s'; expected an IPv4 address such as "
                                                   "192.168.1.255", optarg);
                        wake_options = true;
                        break;
                case ARG_PORT:
                        if (wake_parse_port(optarg, &arg_wake.port) < 0)
                                return usage_error("invalid --port '%s'; expected a UDP port from 1 to 65535 "
                                                   "(usually 9 or 7)", optarg);
                        wake_options = true;
                        break;
                case '?':
                        if (optopt != 0 && optopt < 0x100)
                                return usage_error("unknown option '-%c' or missing argument; see --help", optopt);
                        return usage_error("unknown option '%s' or missing argument; see --help",
                                           argv[optind - 1]);
                default:
                        return -EINVAL;
                }

        if (n_actions > 1)
                return usage_error("--cancel, --status, --capabilities, --history, --metrics and --wake exclude "
                                   "each other; give one");
        r = parse_history_args(since);
        if (r <= 0)
                return r;
        if (wake_options && arg_action != ACTION_WAKE)
                return usage_error("--interface, --broadcast and --port go with --wake");
        if (arg_action == ACTION_WAKE) {
                if (arg_n_hosts > 0 || arg_output == OUTPUT_XML || until || arg_next_timer || delay || arg_dry_run || arg_wait ||
                    arg_ignore_inhibitors)
                        return usage_error("--wake sends from here and takes --interface, --broadcast, --port "
                                           "and --json only");
                if (optind >= argc)
                        return usage_error("--wake needs a MAC (aa:bb:cc:dd:ee:ff) or a host name from "
                                           "/etc/ethers");
                if (wake_parse_broadcast(arg_wake.broadcast_text, &arg_wake) < 0)
                        return -EINVAL;
                arg_wake_targets = argv + optind;
                arg_n_wake_targets = (size_t) (argc - optind);
                return 1;
        }
        if (arg_n_hosts > 1 || (arg_n_hosts == 1 && host_argument_is_list(arg_hosts[0]))) {
                /* several hosts: refused here if malformed, before anything is sent */
                if (host_targets_expand(arg_hosts, arg_n_hosts, &arg_targets) < 0)
                        return -EINVAL;
                arg_host = NULL;
                if (arg_output == OUTPUT_XML)
                        return usage_error("--xml goes with one host; with several, use --json (one line per host)");
        }
        if (arg_output == OUTPUT_XML && arg_action != ACTION_CAPABILITIES)
                return usage_error("--xml goes with --capabilities only");

        if (arg_action != ACTION_SCHEDULE) {
                if (optind < argc)
                        return usage_error("unexpected argument '%s'", argv[optind]);
                if (until || arg_next_timer || delay || arg_dry_run || arg_wait || arg_ignore_inhibitors)
                        return usage_error("--until, --delay, --dry-run, --wait and --ignore-inhibitors go with "
                                           "scheduling a suspend, not with --cancel, --status or --capabilities");
                return 1;
        }

        if (delay) {
                r = parse_duration(delay, &arg_delay_usec);
                if (r < 0 || arg_delay_usec == 0)
                        return usage_error("invalid delay '%s'; expected a time span from 1s to 1d such as 5s or "
                                           "2min", delay);
        }

        if (until) {
                if (optind < argc)
                        return usage_error("give either DURATION or --until=TIME, not both");
                r = parse_wake_time(until, clock_now_usec(CLOCK_REALTIME), &arg_until_usec);
                if (r < 0)
                        return usage_error("invalid wake time '%s'; expected HH:MM[:SS], 'YYYY-MM-DD HH:MM[:SS]' "
                                           "or @EPOCH", until);
                arg_until = true;
                return 1;
        }
        if (arg_next_timer && optind >= argc)
                return 1;  /* the timer alone */

        if (optind >= argc)
                return usage_error("missing DURATION; expected a time span such as 90, 90s, 15min, "
                                   "'1h 30min' or 2d (or --until=TIME, --status, --capabilities; see --help)");
        if (optind + 1 < argc)
                return usage_error("unexpected argument '%s' after DURATION '%s'; quote a duration with "
                                   "spaces, e.g. '1h 30min'", argv[optind + 1], argv[optind]);
        r = parse_duration(argv[optind], &arg_duration_usec);
        if (r == -ERANGE)
                return usage_error("duration '%s' is too long; expected at most hostpmd's MaximumDuration= "
                                   "(see --capabilities)", argv[optind]);
        if (r < 0)
                return usage_error("invalid duration '%s'; expected a time span such as 90, 90s, 15min, "
                                   "'1h 30min' or 2d", argv[optind]);
        if (arg_duration_usec == 0)
                return usage_error("a duration of 0 is not a sleep; expected at least hostpmd's "
                                   "MinimumDuration= (default 60s)");
        return 1;
}

static int connect_bus(sd_bus **ret) {
        int r;

        if (arg_host)
                r = sd_bus_open_system_remote(ret, arg_host);
        else
                r = sd_bus_open_system(ret);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus%s%s: %s",
                                       arg_host ? " of " : "", arg_host ? arg_host : "", STRERROR(r));
        return 0;
}

/* The verb on arg_host (NULL: this host); the process's exit status. */
static int run_verb(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        pid_t agent = 0;
        int r;

        r = bus_errors_register();
        if (r >= 0)
                r = connect_bus(&bus);
        if (r < 0)
                return EXIT_FAILED;

        /* Passwords are typed locally only: a remote polkit agent would
         * need a terminal on the other side. */
        if (arg_ask_password && !arg_host && (arg_action == ACTION_SCHEDULE || arg_action == ACTION_CANCEL)) {
                (void) sd_bus_set_allow_interactive_authorization(bus, true);
                agent = polkit_agent_open();
        }

        switch (arg_action) {
        case ACTION_CAPABILITIES:
                r = verb_capabilities(bus, arg_output);
                break;
        case ACTION_STATUS:
                r = verb_status(bus, arg_output);
                break;
        case ACTION_CANCEL:
                r = verb_cancel(bus, arg_cancel_id, arg_output);
                break;
        case ACTION_HISTORY:
                r = verb_history(bus, arg_since_usec, arg_output);
                break;
        case ACTION_METRICS:
                r = verb_metrics(bus, arg_output_path);
                break;
        case ACTION_SCHEDULE: {
                ScheduleArgs a = {
                        .target = arg_target,
                        .duration_usec = arg_duration_usec,
                        .until = arg_until,
                        .until_usec = arg_until_usec,
                        .next_timer = arg_next_timer,
                        .delay_usec = arg_delay_usec,
                        .flags = (arg_dry_run ? HOSTPM_FLAG_DRY_RUN : 0) |
                                 (arg_ignore_inhibitors ? HOSTPM_FLAG_IGNORE_INHIBITORS : 0),
                        .wait = arg_wait,
                        .host = arg_host,
                };
                r = verb_schedule(bus, &a, arg_output);
                break;
        }
        case ACTION_WAKE:  /* needs no bus: main() does it */
                r = EXIT_FAILED;
                break;
        }
        polkit_agent_close(agent);

        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error("Failed to write the output: %s", STRERROR(EIO));
                return EXIT_FAILED;
        }
        return r;
}

/* A worker of multi_host_run(): the same verb on one of the hosts, in JSON
 * for the parent to read. */
static int run_on_host(const char *host, void *userdata) {
        arg_host = host;
        arg_output = OUTPUT_JSON;
        return run_verb();
}

static MultiHostVerb multi_host_verb(void) {
        switch (arg_action) {
        case ACTION_CANCEL:       return MULTI_HOST_CANCEL;
        case ACTION_STATUS:       return MULTI_HOST_STATUS;
        case ACTION_CAPABILITIES: return MULTI_HOST_CAPABILITIES;
        case ACTION_SCHEDULE:
        default:                  return MULTI_HOST_SCHEDULE;
        }
}

int main(int argc, char *argv[]) {
        int r;

        log_set_program_name(program_invocation_short_name);
        log_setup();

        r = parse_argv(argc, argv);
        if (r <= 0) {
                host_targets_done(&arg_targets);
                free(arg_hosts);
                return r < 0 ? EXIT_USAGE : EXIT_OK;
        }

        if (arg_action == ACTION_WAKE)
                r = verb_wake(arg_wake_targets, arg_n_wake_targets, &arg_wake, arg_output);
        else if (arg_targets.n > 0)
                r = multi_host_run(&arg_targets, arg_parallel, multi_host_verb(), arg_output, run_on_host, NULL);
        else
                r = run_verb();
        host_targets_done(&arg_targets);
        free(arg_hosts);
        return r;
}
