/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The hibernation rule (hibernate-check.h) on facts as the kernel prints
 * them: <proc>/swaps, <proc>/meminfo, <sysfs>/power/{image_size,resume},
 * <sysfs>/dev/block, and the FADT's RTC_S4 flag. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hibernate-check.h"
#include "macro.h"
#include "rtc-s4-wake.h"
#include "swap-info.h"

#define KIB UINT64_C(1024)

static const char *const swaps_header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

static HibernateInfo fits(void) {
        return (HibernateInfo) {
                .n_swaps = 1,
                .swap_total = 1024 * MIB,
                .swap_free = 1024 * MIB,
                .mem_in_use = 170 * MIB,
                .image_size = 400 * MIB,
                .resume_major = 254,
                .resume_minor = 16,
                .resume_present = true,
        };
}

static int check(const HibernateInfo *h, char **problem) {
        return hibernate_check(h, "/sys", "/proc", problem);
}

static void test_targets(void **state) {
        assert_false(sleep_target_writes_image(SLEEP_TARGET_MEM));
        assert_true(sleep_target_writes_image(SLEEP_TARGET_DISK));
        assert_true(sleep_target_writes_image(SLEEP_TARGET_HYBRID));
        assert_true(sleep_target_writes_image(SLEEP_TARGET_SUSPEND_THEN_HIBERNATE));
}

static void test_image_is_the_smaller_of_image_size_and_in_use(void **state) {
        HibernateInfo h = fits();

        assert_int_equal(hibernate_swap_needed(&h), 170 * MIB + HIBERNATE_IO_RESERVE_BYTES);
        h.image_size = 50 * MIB;
        assert_int_equal(hibernate_swap_needed(&h), 54 * MIB);
        h.mem_in_use = 0;  /* unknown: image_size alone */
        assert_int_equal(hibernate_swap_needed(&h), 54 * MIB);
        h.image_size = 0;
        assert_int_equal(hibernate_swap_needed(&h), 0);
}

static void test_fits(void **state) {
        _cleanup_free_ char *problem = NULL;
        HibernateInfo h = fits();

        assert_int_equal(check(&h, &problem), 0);
        assert_null(problem);
        /* exactly enough */
        h.swap_free = hibernate_swap_needed(&h);
        assert_int_equal(check(&h, &problem), 0);
}

static void test_small_swap(void **state) {
        _cleanup_free_ char *problem = NULL;
        HibernateInfo h = fits();

        h.swap_total = h.swap_free = 2044 * KIB;
        assert_int_equal(check(&h, &problem), -ENOSPC);
        assert_non_null(strstr(problem, "swap too small: 2 MiB free (of 2 MiB), the image needs about 174 MiB"));
        free(problem);
        problem = NULL;

        /* one byte short */
        h = fits();
        h.swap_free = hibernate_swap_needed(&h) - 1;
        assert_int_equal(check(&h, &problem), -ENOSPC);
}

static void test_no_swap(void **state) {
        _cleanup_free_ char *problem = NULL;
        HibernateInfo h = fits();

        h.n_swaps = 0;
        h.swap_total = h.swap_free = 0;
        assert_int_equal(check(&h, &problem), -ENOSPC);
        assert_non_null(strstr(problem, "no swap is active"));
        assert_non_null(strstr(problem, "174 MiB"));
}

static void test_unreadable(void **state) {
        _cleanup_free_ char *p1 = NULL, *p2 = NULL, *p3 = NULL;
        HibernateInfo h = fits();

        h.swaps_error = -ENOENT;
        assert_int_equal(check(&h, &p1), -EIO);
        assert_non_null(strstr(p1, "/proc/swaps could not be read"));
        h = fits();
        h.image_size = h.mem_in_use = 0;
        assert_int_equal(check(&h, &p2), -EIO);
        h = fits();
        h.resume_error = -ENOENT;
        assert_int_equal(check(&h, &p3), -EIO);
        assert_non_null(strstr(p3, "/sys/power/resume could not be read"));
}

static void test_resume(void **state) {
        _cleanup_free_ char *p1 = NULL, *p2 = NULL;
        HibernateInfo h = fits();

        h.resume_major = h.resume_minor = 0;
        h.resume_present = false;
        assert_int_equal(check(&h, &p1), -ENODEV);
        assert_non_null(strstr(p1, "no resume device: /sys/power/resume is 0:0"));
        assert_non_null(strstr(p1, "resume="));
        h = fits();
        h.resume_present = false;
        assert_int_equal(check(&h, &p2), -ENODEV);
        assert_non_null(strstr(p2, "the resume device 254:16 (/sys/power/resume) is missing"));
}

static void test_swaps_parse(void **state) {
        _cleanup_free_ char *text = NULL;
        uint64_t total, free_bytes;
        unsigned n;

        assert_int_equal(swaps_parse(swaps_header, &n, &total, &free_bytes), 0);
        assert_int_equal(n, 0);
        assert_true(asprintf(&text, "%s%s%s%s", swaps_header,
                             "/dev/vdb                                partition\t1048572\t\t0\t\t-2\n",
                             "/small\\040swap                          file\t\t2044\t\t1000\t\t-3\n",
                             "/dev/zram0                              partition\t4000000\t\t0\t\t100\n") > 0);
        assert_int_equal(swaps_parse(text, &n, &total, &free_bytes), 0);
        assert_int_equal(n, 2);  /* zram is memory */
        assert_int_equal(total, (1048572 + 2044) * KIB);
        assert_int_equal(free_bytes, (1048572 + 1044) * KIB);
        assert_int_equal(swaps_parse("nonsense\n", &n, &total, &free_bytes), -EBADMSG);
        assert_int_equal(swaps_parse("Filename Type Size Used Priority\n/dev/sda 1 2\n", &n, &total, &free_bytes),
                         -EBADMSG);
}

static void write_file(const char *dir, const char *name, const void *data, size_t size) {
        _cleanup_free_ char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, size, f), size);
        assert_int_equal(fclose(f), 0);
}

static void test_read_from_files(void **state) {
        char root[] = "/tmp/test-hibernate-check.XXXXXX";
        _cleanup_free_ char *cmd = NULL, *problem = NULL;
        const char *meminfo = "MemTotal:        1015808 kB\nMemFree:          839680 kB\nBuffers: 1 kB\n";
        const char *swaps = "Filename\tType\tSize\tUsed\tPriority\n/small.swap file 2044 0 -2\n";
        char dir[256];
        HibernateInfo h;

        assert_non_null(mkdtemp(root));
        snprintf(dir, sizeof dir, "%s/power", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(dir, sizeof dir, "%s/dev", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(dir, sizeof dir, "%s/dev/block", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(dir, sizeof dir, "%s/dev/block/254:16", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        write_file(root, "swaps", swaps, strlen(swaps));
        write_file(root, "meminfo", meminfo, strlen(meminfo));
        write_file(root, "power/image_size", "415875072\n", 10);
        write_file(root, "power/resume", "254:16\n", 7);

        hibernate_info_read(root, root, &h);
        assert_int_equal(h.swaps_error, 0);
        assert_int_equal(h.n_swaps, 1);
        assert_int_equal(h.swap_free, 2044 * KIB);
        assert_int_equal(h.mem_in_use, (1015808 - 839680) * KIB);
        assert_int_equal(h.image_size, 415875072);
        assert_int_equal(h.resume_error, 0);
        assert_int_equal(h.resume_major, 254);
        assert_int_equal(h.resume_minor, 16);
        assert_true(h.resume_present);
        assert_int_equal(hibernate_check(&h, root, root, &problem), -ENOSPC);
        assert_non_null(strstr(problem, "swap too small: 2 MiB free"));

        write_file(root, "power/resume", "8:3\n", 4);
        hibernate_info_read(root, root, &h);
        assert_false(h.resume_present);

        assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        assert_int_equal(system(cmd), 0);
}

static void test_rtc_s4_wake(void **state) {
        char root[] = "/tmp/test-rtc-s4.XXXXXX";
        _cleanup_free_ char *cmd = NULL;
        unsigned char fadt[244] = "FACP";
        char dir[256];

        assert_non_null(mkdtemp(root));
        snprintf(dir, sizeof dir, "%s/firmware", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(dir, sizeof dir, "%s/firmware/acpi", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(dir, sizeof dir, "%s/firmware/acpi/tables", root);
        assert_int_equal(mkdir(dir, 0755), 0);

        assert_int_equal(rtc_s4_wake_read(root, "rtc_cmos"), RTC_S4_WAKE_UNKNOWN);  /* no table */
        /* QEMU q35's FADT flags: 0x000084a5, RTC_S4 (bit 7) set, as its
         * rtc_cmos says ("RTC can wake from S4")... */
        fadt[112] = 0xa5; fadt[113] = 0x84; fadt[114] = 0x00;
        write_file(dir, "FACP", fadt, sizeof fadt);
        assert_int_equal(rtc_s4_wake_read(root, "rtc_cmos"), RTC_S4_WAKE_YES);
        /* ... and clear; bit 16 is another flag (HEADLESS) */
        fadt[112] = 0x25; fadt[114] = 0x01;
        write_file(dir, "FACP", fadt, sizeof fadt);
        assert_int_equal(rtc_s4_wake_read(root, "rtc_cmos"), RTC_S4_WAKE_NO);
        fadt[112] = 0xa5;
        write_file(dir, "FACP", fadt, sizeof fadt);
        /* the name attribute as Linux 5.x and later write it */
        assert_int_equal(rtc_s4_wake_read(root, "rtc_cmos 00:03"), RTC_S4_WAKE_YES);
        assert_int_equal(rtc_s4_wake_read(root, "rtc_cmosx 00:03"), RTC_S4_WAKE_UNKNOWN);
        /* another driver: the flag is rtc_cmos's to act on */
        assert_int_equal(rtc_s4_wake_read(root, "rtc-efi"), RTC_S4_WAKE_UNKNOWN);
        /* too short, or not a FADT */
        write_file(dir, "FACP", fadt, 100);
        assert_int_equal(rtc_s4_wake_read(root, "rtc_cmos"), RTC_S4_WAKE_UNKNOWN);
        memcpy(fadt, "APIC", 4);
        write_file(dir, "FACP", fadt, sizeof fadt);
        assert_int_equal(rtc_s4_wake_read(root, "rtc_cmos"), RTC_S4_WAKE_UNKNOWN);

        assert_string_equal(rtc_s4_wake_to_string(RTC_S4_WAKE_YES), "yes");
        assert_int_equal(rtc_s4_wake_from_string("no"), RTC_S4_WAKE_NO);
        assert_int_equal(rtc_s4_wake_from_string("maybe"), RTC_S4_WAKE_UNKNOWN);

        assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_targets),
                cmocka_unit_test(test_image_is_the_smaller_of_image_size_and_in_use),
                cmocka_unit_test(test_fits),
                cmocka_unit_test(test_small_swap),
                cmocka_unit_test(test_no_swap),
                cmocka_unit_test(test_unreadable),
                cmocka_unit_test(test_resume),
                cmocka_unit_test(test_swaps_parse),
                cmocka_unit_test(test_read_from_files),
                cmocka_unit_test(test_rtc_s4_wake),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
