/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "macro.h"
#include "program-run.h"
#include "slurm-node.h"
#include "timespan.h"

#define SCONTROL_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define SCONTROL_OUTPUT_MAX 4096

char *slurm_reason(const char *why) {
        const char *prefix = "hostpm: ";
        size_t n = strlen(prefix);
        char *s = malloc(SLURM_REASON_MAX + 1);

        if (!s)
                return NULL;
        memcpy(s, prefix, n);
        for (const char *p = why ? why : "unknown"; *p && n < SLURM_REASON_MAX; p++) {
                unsigned char c = (unsigned char) *p;

                /* Slurm prints reasons in tables: one line, no quotes */
                s[n++] = c < 0x20 || c >= 0x7f ? ' ' : c == '"' || c == '\'' ? '`' : (char) c;
        }
        s[n] = '\0';
        return s;
}

int slurm_set_node_down(const char *node, const char *why, char **ret_error) {
        _cleanup_free_ char *reason = slurm_reason(why), *name_arg = NULL, *reason_arg = NULL;
        _cleanup_(program_result_done) ProgramResult res = {0};
        int r;

        *ret_error = NULL;
        if (!reason || asprintf(&name_arg, "NodeName=%s", node) < 0 || asprintf(&reason_arg, "Reason=%s", reason) < 0)
                return -ENOMEM;
        r = program_run((char *[]) { (char *) "scontrol", (char *) "update", name_arg, (char *) "State=DOWN",
                                     reason_arg, NULL },
                        SCONTROL_TIMEOUT_USEC, SCONTROL_OUTPUT_MAX, &res);
        if (r < 0) {
                *ret_error = strdup(STRERROR(r));
                return r;
        }
        if (res.status == 0 && !res.timed_out)
                return 0;
        if (res.timed_out)
                *ret_error = strdup("scontrol did not finish within 30 s");
        else {
                const char *said = !isempty(res.err) ? res.err : res.out;

                if (asprintf(ret_error, "scontrol exited with status %d: %.*s", res.status,
                             (int) strcspn(said, "\n"), said) < 0)
                        *ret_error = NULL;
        }
        return -EIO;
}
