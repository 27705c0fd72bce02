/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A sysfs root in a temporary directory, for the tests that read an RTC
 * under it. Include after <cmocka.h>. */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "macro.h"

static inline int sysfs_fixture_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static inline void sysfs_fixture_remove(const char *root) {
        nftw(root, sysfs_fixture_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* <root>/<rel> with content, making the directories on the way. */
static inline void sysfs_fixture_write(const char *root, const char *rel, const char *content) {
        _cleanup_free_ char *path = NULL, *cmd = NULL;
        FILE *f;

        assert_true(asprintf(&cmd, "mkdir -p \"$(dirname '%s/%s')\"", root, rel) > 0);
        assert_int_equal(system(cmd), 0);
        assert_true(asprintf(&path, "%s/%s", root, rel) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

/* <root>/<rel> with size bytes of data, NULs and all (a firmware table). */
static inline void sysfs_fixture_write_bytes(const char *root, const char *rel, const void *data, size_t size) {
        _cleanup_free_ char *path = NULL;
        FILE *f;

        sysfs_fixture_write(root, rel, "");
        assert_true(asprintf(&path, "%s/%s", root, rel) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, size, f), size);
        assert_int_equal(fclose(f), 0);
}
