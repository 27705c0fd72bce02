/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The few helpers every file uses: scoped cleanup, ownership transfer and
 * string comparison, in the spirit of systemd's macro.h. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define streq(a, b) (strcmp((a), (b)) == 0)
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? streq(a, b) : a == b;
}
#define isempty(s) (!(s) || (s)[0] == '\0')

/* Hands ownership over: returns the value and leaves NULL (or -1) behind,
 * so the _cleanup_ of the old owner does nothing. */
static inline void *take_ptr(void *pp) {
        void **p = pp, *v = *p;

        *p = NULL;
        return v;
}
#define TAKE_PTR(p) take_ptr(&(p))

static inline int take_fd(int *fd) {
        int v = *fd;

        *fd = -1;
        return v;
}
#define TAKE_FD(fd) take_fd(&(fd))

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        func(*p);                       \
        }

/* free() that returns NULL, to reset a pointer in the same statement */
static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Negative errno from a function that sets errno; never 0, so a caller can
 * always return it as a failure. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

#define USEC_PER_SEC  ((uint64_t) 1000000ULL)
#define USEC_PER_MSEC ((uint64_t) 1000ULL)

/* IN_SET(x, a, b, …): x (an int or enum) equals one of the listed values. */
static inline bool in_set_int(int x, const int *set, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (x == set[i])
                        return true;
        return false;
}
#define IN_SET(x, ...) \
        in_set_int((int) (x), (const int[]) { __VA_ARGS__ }, ELEMENTSOF(((const int[]) { __VA_ARGS__ })))

/* The text of a (negative or positive) errno. Used instead of glibc's %m,
 * which -Wpedantic rejects. */
#define STRERROR(e) strerror(abs(e))
