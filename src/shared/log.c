/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <sys/stat.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool stderr_is_journal = false;
static const char *program_name = NULL;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

bool log_stderr_is_journal(void) {
        return stderr_is_journal;
}

void log_set_program_name(const char *name) {
        program_name = name;
}

static int log_level_from_string(const char *s) {
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
                [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int) i;
        return -EINVAL;
}

/* JOURNAL_STREAM is "device:inode" of the stream systemd connected; only if
 * it is our stderr do we speak the <N> prefix protocol. */
static bool stderr_is_journal_stream(void) {
        const char *e = secure_getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(void) {
        const char *e = secure_getenv("HOSTPM_LOG_LEVEL");

        if (e) {
                int l = log_level_from_string(e);
                if (l >= 0)
                        max_level = l;
        }
        stderr_is_journal = stderr_is_journal_stream();
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        int saved_errno = errno;
        va_list ap;

        if (level > max_level)
                return error < 0 ? error : -abs(error);

        /* keep errno meaningful for callers that print it after us */
        if (error != 0)
                errno = abs(error);

        if (stderr_is_journal)
                fprintf(stderr, "<%i>", level);
        else if (program_name)
                fprintf(stderr, "%s: ", program_name);

        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        if (max_level >= LOG_DEBUG && !stderr_is_journal)
                fprintf(stderr, " (%s:%i %s)", file, line, func);
        fputc('\n', stderr);

        errno = saved_errno;
        return error < 0 ? error : -abs(error);
}
