/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the fuzz targets and replay-main.c share: libFuzzer's entry points
 * and an invariant check that stays in every build type. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Default visibility: the project builds with -fvisibility=hidden, and
 * libFuzzer finds LLVMFuzzerInitialize() as a weak symbol. */
#define FUZZ_API __attribute__((visibility("default")))

FUZZ_API int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
FUZZ_API int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Not assert(): that vanishes with b_ndebug, and these invariants are the
 * point of the targets. abort() is what libFuzzer reports as a crash. */
#define fuzz_assert(expr)                                                        \
        do {                                                                     \
                if (!(expr)) {                                                   \
                        fprintf(stderr, "%s:%d: invariant violated: %s\n",       \
                                __FILE__, __LINE__, #expr);                      \
                        abort();                                                 \
                }                                                                \
        } while (0)
