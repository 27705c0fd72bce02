/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* config_load() on any file. The input is hostpm.conf; a line "---" splits
 * off the rest as the drop-in hostpm.conf.d/50-fuzz.conf, and input that
 * starts with "---" has no hostpm.conf at all. Loaded, the Config keeps
 * the bounds the parser promises; refused, the message names the file. */

#include <fcntl.h>
#include <sys/stat.h>

#include "config.h"
#include "fuzz.h"
#include "timespan.h"

static char *fuzz_dir, *main_path, *dropin_dir, *dropin_path;

static void cleanup_dir(void) {
        (void) unlink(dropin_path);
        (void) rmdir(dropin_dir);
        (void) unlink(main_path);
        (void) rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *tmp = secure_getenv("TMPDIR");
        char *template;

        if (asprintf(&template, "%s/hostpm-fuzz-config.XXXXXX", isempty(tmp) ? "/tmp" : tmp) < 0 ||
            !(fuzz_dir = mkdtemp(template)) ||
            asprintf(&main_path, "%s/hostpm.conf", fuzz_dir) < 0 ||
            asprintf(&dropin_dir, "%s/hostpm.conf.d", fuzz_dir) < 0 ||
            asprintf(&dropin_path, "%s/50-fuzz.conf", dropin_dir) < 0 ||
            mkdir(dropin_dir, 0755) < 0) {
                perror("fuzz-config: cannot make its directory");
                abort();
        }
        atexit(cleanup_dir);
        return 0;
}

/* Writes the n bytes at p to path; a NULL p removes the file. */
static void put_file(const char *path, const uint8_t *p, size_t n) {
        _cleanup_close_ int fd = -1;

        if (!p) {
                if (unlink(path) < 0 && errno != ENOENT)
                        abort();
                return;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, p, n) != (ssize_t) n)
                abort();
}

static bool config_equal(const Config *a, const Config *b) {
        return a->delay_usec == b->delay_usec &&
               a->minimum_duration_usec == b->minimum_duration_usec &&
               a->maximum_duration_usec == b->maximum_duration_usec &&
               streq_ptr(a->rtc_device, b->rtc_device) &&
               memcmp(a->allowed_targets, b->allowed_targets, sizeof a->allowed_targets) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char separator[] = "---\n";
        const uint8_t *main_data = data, *dropin = NULL, *sep;
        size_t main_size = size, n = strlen(separator);
        _cleanup_free_ char *message = NULL;
        Config c, defaults;
        bool any = false;
        int r;

        if (size >= n && memcmp(data, separator, n) == 0)
                sep = data;
        else {
                sep = memmem(data, size, "\n---\n", n + 1);
                if (sep)
                        sep++; /* the newline ends the main file's last line */
        }
        if (sep) {
                main_size = (size_t) (sep - data);
                dropin = sep + n;
                if (main_size == 0)
                        main_data = NULL;
        }
        put_file(main_path, main_data, main_size);
        put_file(dropin_path, dropin, dropin ? size - (size_t) (dropin - data) : 0);

        config_init_defaults(&c);
        config_init_defaults(&defaults);
        fuzz_assert(c.rtc_device && defaults.rtc_device);

        r = config_load(fuzz_dir, &c, &message);
        if (r < 0) {
                fuzz_assert(r != -ENOMEM);
                /* the message starts with the file: "<dir>/hostpm.conf[.d/50-fuzz.conf]:..." */
                fuzz_assert(message);
                fuzz_assert(strncmp(message, main_path, strlen(main_path)) == 0);
                fuzz_assert(dropin || message[strlen(main_path)] == ':');
                fuzz_assert(config_equal(&c, &defaults)); /* left as it was */
                goto finish;
        }

        fuzz_assert(!message);
        fuzz_assert(c.delay_usec >= CONFIG_DELAY_MIN_USEC && c.delay_usec <= CONFIG_DELAY_MAX_USEC);
        fuzz_assert(c.minimum_duration_usec >= CONFIG_MINIMUM_DURATION_MIN_USEC);
        fuzz_assert(c.minimum_duration_usec <= c.maximum_duration_usec);
        fuzz_assert(!isempty(c.rtc_device) && !strchr(c.rtc_device, '/') &&
                    !streq(c.rtc_device, ".") && !strstr(c.rtc_device, ".."));
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                any = any || c.allowed_targets[t];
        fuzz_assert(any);

finish:
        config_done(&c);
        config_done(&defaults);
        return 0;
}
