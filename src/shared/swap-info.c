/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"
#include "swap-info.h"
#include "test-seam.h"

#define PROC_FILE_MAX (64 * 1024)

const char *swap_proc_root(void) {
        static const char *root = NULL;

        if (!root) {
                const char *e = test_seam_getenv(TEST_SEAM_PROC_ROOT);
                root = e ? e : "/proc";
        }
        return root;
}

static int read_text(const char *root, const char *name, char **ret) {
        _cleanup_free_ char *path = NULL;
        size_t size;

        if (asprintf(&path, "%s/%s", root, name) < 0)
                return -ENOMEM;
        return read_file_bounded(path, PROC_FILE_MAX, ret, &size);
}

int swaps_parse(const char *text, unsigned *ret_n, uint64_t *ret_total, uint64_t *ret_free) {
        uint64_t total = 0, free_bytes = 0;
        unsigned n = 0;
        const char *line = text;

        /* the header first: "Filename Type Size Used Priority" */
        if (strncmp(text, "Filename", 8) != 0)
                return -EBADMSG;
        for (line = strchr(text, '\n'); line && line[1]; line = strchr(line, '\n')) {
                char name[4096], type[32];
                unsigned long long size, used;
                int prio;

                line++;
                /* the kernel escapes blanks in the name (\040), so it is one word */
                if (sscanf(line, "%4095s %31s %llu %llu %d", name, type, &size, &used, &prio) != 5 || used > size)
                        return -EBADMSG;
                if (strncmp(name, "/dev/zram", 9) == 0)
                        continue;  /* memory, not a place for an image of memory */
                n++;
                total += (uint64_t) size * 1024;
                free_bytes += (uint64_t) (size - used) * 1024;
        }
        *ret_n = n;
        *ret_total = total;
        *ret_free = free_bytes;
        return 0;
}

/* MemTotal - MemFree: what the kernel has in use, page cache included,
 * which it keeps in the image as far as image_size lets it. */
static uint64_t meminfo_in_use(const char *text) {
        unsigned long long total = 0, free_kib = 0;
        bool have_total = false, have_free = false;

        for (const char *l = text; l; l = strchr(l, '\n')) {
                if (*l == '\n')
                        l++;
                if (sscanf(l, "MemTotal: %llu kB", &total) == 1)
                        have_total = true;
                else if (sscanf(l, "MemFree: %llu kB", &free_kib) == 1)
                        have_free = true;
        }
        if (!have_total || !have_free || free_kib > total)
                return 0;
        return (uint64_t) (total - free_kib) * 1024;
}

static int read_sysfs(const char *sysfs_root, const char *name, char **ret) {
        return read_text(sysfs_root, name, ret);
}

void hibernate_info_read(const char *sysfs_root, const char *proc_root, HibernateInfo *ret) {
        HibernateInfo h = {0};
        _cleanup_free_ char *swaps = NULL, *meminfo = NULL, *image = NULL, *resume = NULL, *dev = NULL;
        unsigned long long v;
        struct stat st;
        int r;

        r = read_text(proc_root, "swaps", &swaps);
        if (r >= 0)
                r = swaps_parse(swaps, &h.n_swaps, &h.swap_total, &h.swap_free);
        h.swaps_error = r < 0 ? r : 0;

        if (read_text(proc_root, "meminfo", &meminfo) >= 0)
                h.mem_in_use = meminfo_in_use(meminfo);

        if (read_sysfs(sysfs_root, "power/image_size", &image) >= 0 && sscanf(image, "%llu", &v) == 1)
                h.image_size = v;

        r = read_sysfs(sysfs_root, "power/resume", &resume);
        if (r >= 0 && sscanf(resume, "%u:%u", &h.resume_major, &h.resume_minor) != 2)
                r = -EBADMSG;
        h.resume_error = r < 0 ? r : 0;
        if (r >= 0 && (h.resume_major != 0 || h.resume_minor != 0)) {
                if (asprintf(&dev, "%s/dev/block/%u:%u", sysfs_root, h.resume_major, h.resume_minor) < 0)
                        h.resume_error = -ENOMEM;
                else
                        h.resume_present = stat(dev, &st) >= 0;
        }
        *ret = h;
}
