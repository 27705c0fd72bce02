/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-slurm: Slurm's SuspendProgram, ResumeProgram and
 * ResumeFailProgram (hostpm-slurm(8)). One program; installed under the
 * names slurm-suspend, slurm-resume and slurm-resume-fail, it is the verb
 * its name says, since slurm.conf passes a program no arguments of its own.
 * slurmctld runs it as SlurmUser with the hostlist as only argument and an
 * almost empty environment. */

#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <sys/stat.h>

#include "build-config.h"
#include "host-targets.h"
#include "log.h"
#include "node-record.h"
#include "slurm-node.h"
#include "slurm-verbs.h"

/* slurmctld gives its programs no PATH; ssh and scontrol are found here */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct {
        const char *name;      /* as a verb, and as the program's name after "slurm-" */
        int (*run)(Context *c, const char *hostlist);
} verbs[] = {
        { "suspend",     verb_suspend     },  /* SuspendProgram */
        { "resume",      verb_resume      },  /* ResumeProgram */
        { "resume-fail", verb_resume_fail },  /* ResumeFailProgram */
};

static int help(const char *program) {
        printf("%s VERB HOSTLIST\n"
               "slurm-suspend HOSTLIST | slurm-resume HOSTLIST | slurm-resume-fail HOSTLIST\n\n"
               "Slurm's power saving through hostpm: nodes sleep with an RTC safety alarm and are woken\n"
               "by Wake-on-LAN.\n\n"
               "Verbs:\n"
               "  suspend HOSTLIST       SuspendProgram: record how to wake each node, suspend it\n"
               "  resume HOSTLIST        ResumeProgram: send each node its magic packet\n"
               "  resume-fail HOSTLIST   ResumeFailProgram: record that a node did not come back\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n\n"
               "Configuration: %s. See hostpm-slurm(8).\n",
               program, slurm_config_path());
        return 0;
}

int context_expand(const char *hostlist, char ***ret, size_t *ret_n) {
        _cleanup_(host_targets_done) HostTargets t = {0};
        int r;

        r = host_targets_expand((char *[]) { (char *) hostlist }, 1, &t);
        if (r < 0)
                return r;  /* it said why */
        for (size_t i = 0; i < t.n; i++)
                if (!node_record_name_valid(t.hosts[i]))
                        return log_error_errno(-EINVAL, "'%s' is not a Slurm node name; expected a hostlist of "
                                               "node names such as node[01-04,07]", t.hosts[i]);
        *ret = TAKE_PTR(t.hosts);
        *ret_n = t.n;
        return 0;
}

const char *context_set_down(const char *node, const char *why) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = slurm_set_node_down(node, why, &error);
        if (r < 0) {
                log_error("Failed to tell Slurm that node %s is DOWN: %s", node, error ? error : STRERROR(r));
                return NULL;
        }
        return "DOWN";
}

/* Nothing we start may hold slurmscriptd's pipes: our own stdin is
 * /dev/null, and stdout and stderr are left as slurmctld gave them only for
 * our own few lines (children get pipes of ours). */
static void setup_environment(void) {
        int null;

        if (!getenv("PATH"))
                (void) setenv("PATH", DEFAULT_PATH, 1);
        (void) umask(0022);
        null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0 && null != STDIN_FILENO) {
                (void) dup2(null, STDIN_FILENO);
                close(null);
        }
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *self = strdup(argv[0]), *config_error = NULL;
        const char *program = self ? basename(self) : "hostpm-slurm", *verb = NULL, *hostlist;
        Context c = { .hostpm_suspend = BINDIR "/hostpm-suspend" };
        int (*run)(Context *c, const char *hostlist) = NULL;
        int r;

        log_setup();
        log_set_program_name(program);
        setup_environment();

        if (strncmp(program, "slurm-", 6) == 0)
                verb = program + 6;
        else {
                static const struct option options[] = {
                        { "help",    no_argument, NULL, 'h' },
                        { "version", no_argument, NULL, 'V' },
                        { NULL, 0, NULL, 0 }
                };
                int o;

                while ((o = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                        switch (o) {
                        case 'h':
                                return help(program);
                        case 'V':
                                printf("hostpm %s\n", PACKAGE_VERSION);
                                return 0;
                        default:
                                return EXIT_USAGE;
                        }
                if (optind >= argc) {
                        log_error("missing verb; expected suspend, resume or resume-fail, then a hostlist");
                        return EXIT_USAGE;
                }
                verb = argv[optind];
                argv += optind;
                argc -= optind;
        }
        if (argc != 2 || isempty(argv[1])) {
                log_error("expected one argument, the hostlist Slurm passes (such as node[01-04,07]); got %d",
                          argc - 1);
                return EXIT_USAGE;
        }
        hostlist = argv[1];

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verb, verbs[i].name))
                        run = verbs[i].run;
        if (!run) {
                log_error("unknown verb '%s'; expected suspend, resume or resume-fail", verb);
                return EXIT_USAGE;
        }

        slurm_config_init(&c.config);
        r = slurm_config_load(slurm_config_path(), &c.config, &config_error);
        if (r < 0) {
                log_error("Bad configuration, nothing done for %s: %s", hostlist,
                          config_error ? config_error : STRERROR(r));
                slurm_config_done(&c.config);
                return EXIT_NODES_FAILED;
        }
        c.state_dir = c.config.state_directory ? c.config.state_directory : LOCALSTATEDIR "/lib/hostpm/slurm";

        r = run(&c, hostlist);
        slurm_config_done(&c.config);
        return r < 0 ? EXIT_NODES_FAILED : r;
}
