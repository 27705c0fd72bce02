/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state directory's files: replaced whole (temp file, fsync, rename,
 * fsync of the directory), so a reader sees the old file or the new one,
 * and read with a bound, so a file that grew wild costs nothing. */

#include <stddef.h>
#include <sys/types.h>

/* dir/name becomes text, with the given mode whatever the umask. */
int write_file_atomic(const char *dir, const char *name, const char *text, size_t size, mode_t mode);

/* The whole file, NUL-terminated. -EFBIG if it holds more than max bytes. */
int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_size);
