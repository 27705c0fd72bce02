/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* main() for builds without libFuzzer: feeds every file named on the
 * command line, and every file in every directory named, through
 * LLVMFuzzerTestOneInput() once, so the seed corpora run as regression
 * tests with any compiler. */

#include <dirent.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "macro.h"

/* Weak: only the targets that need set-up define it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Reads path into a buffer of exactly its size, so a sanitizer build
 * catches reads past the input as libFuzzer's would. */
static int read_input(const char *path, uint8_t **ret, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        if (fstat(fileno(f), &st) < 0)
                return negative_errno();
        /* malloc(0) may return NULL: ask for one byte at least */
        buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf)
                return -ENOMEM;
        if (fread(buf, 1, (size_t) st.st_size, f) != (size_t) st.st_size)
                return ferror(f) ? -EIO : -ENODATA;

        *ret = TAKE_PTR(buf);
        *ret_size = (size_t) st.st_size;
        return 0;
}

static int run_file(const char *path) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        int r;

        r = read_input(path, &data, &size);
        if (r < 0) {
                fprintf(stderr, "%s: cannot be read: %s\n", path, STRERROR(r));
                return r;
        }
        /* named before it runs: a crash then says which input it was */
        fprintf(stderr, "Running %s (%zu bytes)\n", path, size);
        (void) LLVMFuzzerTestOneInput(data, size);
        return 0;
}

/* lexical, not locale order: the same sequence on every host */
static int compare_names(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *de) {
        return de->d_name[0] != '.';
}

/* Runs path, or each regular file in it; returns how many ran. */
static int run_path(const char *path) {
        struct dirent **entries = NULL;
        struct stat st;
        int n, count = 0, r = 0;

        if (stat(path, &st) < 0) {
                r = negative_errno();
                fprintf(stderr, "%s: %s\n", path, STRERROR(r));
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                r = run_file(path);
                return r < 0 ? r : 1;
        }

        n = scandir(path, &entries, not_hidden, compare_names);
        if (n < 0) {
                r = negative_errno();
                fprintf(stderr, "%s: cannot be listed: %s\n", path, STRERROR(r));
                return r;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *file = NULL;

                if (r >= 0) {
                        if (asprintf(&file, "%s/%s", path, entries[i]->d_name) < 0)
                                r = -ENOMEM;
                        else if (stat(file, &st) >= 0 && S_ISREG(st.st_mode)) {
                                r = run_file(file);
                                count += r >= 0;
                        }
                }
                free(entries[i]);
        }
        free(entries);
        return r < 0 ? r : count;
}

int main(int argc, char *argv[]) {
        int total = 0;

        if (argc < 2) {
                fprintf(stderr, "Usage: %s FILE|DIRECTORY...\n", argv[0]);
                return EXIT_FAILURE;
        }
        if (LLVMFuzzerInitialize)
                (void) LLVMFuzzerInitialize(&argc, &argv);

        for (int i = 1; i < argc; i++) {
                int r;

                /* a libFuzzer option means the caller wanted a fuzzer build */
                if (argv[i][0] == '-') {
                        fprintf(stderr, "%s: not a libFuzzer build, cannot take '%s'\n", argv[0], argv[i]);
                        return EXIT_FAILURE;
                }
                r = run_path(argv[i]);
                if (r < 0)
                        return EXIT_FAILURE;
                total += r;
        }

        /* an empty corpus would pass without testing anything */
        if (total == 0) {
                fprintf(stderr, "%s: no inputs found\n", argv[0]);
                return EXIT_FAILURE;
        }
        printf("%d inputs ran without a crash\n", total);
        return EXIT_SUCCESS;
}
