/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* slurm_config_load() on any hostpm-slurm.conf. Loaded, every field keeps
 * the bounds hostpm-slurm(8) promises (slurm-suspend and slurm-resume pass
 * them on to hostpm-suspend and to the magic packets unchecked); refused,
 * the message names the file and the line, and nothing is allocated for a
 * caller that frees the config only on success. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "macro.h"
#include "slurm-config.h"
#include "timespan.h"

static char *fuzz_dir, *conf_path;

static void cleanup_dir(void) {
        (void) unlink(conf_path);
        (void) rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *tmp = secure_getenv("TMPDIR");
        char *template;

        if (asprintf(&template, "%s/hostpm-fuzz-slurm-config.XXXXXX", isempty(tmp) ? "/tmp" : tmp) < 0 ||
            !(fuzz_dir = mkdtemp(template)) ||
            asprintf(&conf_path, "%s/" SLURM_CONFIG_FILE_NAME, fuzz_dir) < 0) {
                perror("fuzz-slurm-config: cannot make its directory");
                abort();
        }
        atexit(cleanup_dir);
        return 0;
}

static void put_file(const char *path, const uint8_t *p, size_t n) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write(fd, p, n) != (ssize_t) n)
                abort();
}

/* User=: what ssh takes as a user name, never as an option */
static bool user_ok(const char *s) {
        if (isempty(s) || s[0] == '-')
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *s))
                        return false;
        return true;
}

/* Interface=: a name the kernel accepts (dev_valid_name()), and printable:
 * it ends up in journal entries and messages */
static bool interface_ok(const char *s) {
        if (isempty(s) || strlen(s) > 15 || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f || *s == '/' || *s == ':')
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *message = NULL;
        struct in_addr a;
        SlurmConfig c;
        int r;

        put_file(conf_path, data, size);
        slurm_config_init(&c);

        r = slurm_config_load(conf_path, &c, &message);
        if (r < 0) {
                fuzz_assert(r != -ENOMEM);
                /* "<path>:<line>: what; expected …" */
                fuzz_assert(message);
                fuzz_assert(strncmp(message, conf_path, strlen(conf_path)) == 0);
                fuzz_assert(message[strlen(conf_path)] == ':');
                fuzz_assert(strstr(message, "expected") || strstr(message, "not a [Section]"));
                slurm_config_done(&c);
                return 0;
        }

        fuzz_assert(!message);
        fuzz_assert(c.maximum_sleep_usec >= USEC_PER_MINUTE);
        fuzz_assert(c.target >= 0 && c.target < _SLEEP_TARGET_MAX);
        fuzz_assert(c.delay_usec == 0 || (c.delay_usec >= USEC_PER_SEC && c.delay_usec <= USEC_PER_HOUR));
        fuzz_assert(c.parallel >= 1 && c.parallel <= 1024);
        fuzz_assert(!c.user || user_ok(c.user));
        fuzz_assert(!c.broadcast || inet_pton(AF_INET, c.broadcast, &a) == 1);
        fuzz_assert(!c.interface || interface_ok(c.interface));
        fuzz_assert(c.port >= 1);
        fuzz_assert(c.repeat >= 1 && c.repeat <= 10);
        fuzz_assert(!c.state_directory || c.state_directory[0] == '/');

        slurm_config_done(&c);
        return 0;
}
