/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "macro.h"
#include "test-seam.h"
#include "timespan.h"

typedef enum EntryKind {
        ENTRY_FILE,
        ENTRY_DIR,
        ENTRY_SYMLINK,
} EntryKind;

/* One thing to create under the config directory. */
typedef struct Entry {
        EntryKind kind;
        const char *path;
        const char *content;   /* file content, or symlink target */
} Entry;

#define FILE_(p, c) { ENTRY_FILE, (p), (c) }
#define DIR_(p)     { ENTRY_DIR, (p), NULL }
#define LINK_(p, t) { ENTRY_SYMLINK, (p), (t) }

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup_dir(void **state) {
        char *dir = strdup("/tmp/hostpm-test-config-XXXXXX");

        assert_non_null(mkdtemp(dir));
        /* readable by the unprivileged user test_unreadable_file() becomes */
        assert_int_equal(chmod(dir, 0755), 0);
        *state = dir;
        return 0;
}

static int teardown_dir(void **state) {
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static char *path_in(const char *dir, const char *rel) {
        char *p = NULL;

        assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
        return p;
}

static void make_entry(const char *dir, const Entry *e) {
        _cleanup_free_ char *path = path_in(dir, e->path), *parent = strdup(path);
        FILE *f;

        assert_non_null(parent);
        if (mkdir(dirname(parent), 0755) < 0)
                assert_int_equal(errno, EEXIST);

        switch (e->kind) {
        case ENTRY_DIR:
                assert_int_equal(mkdir(path, 0755), 0);
                break;
        case ENTRY_SYMLINK:
                assert_int_equal(symlink(e->content, path), 0);
                break;
        case ENTRY_FILE:
                f = fopen(path, "we");
                assert_non_null(f);
                assert_true(fputs(e->content, f) >= 0);
                assert_int_equal(fclose(f), 0);
                break;
        }
}

static void make_entries(const char *dir, const Entry *entries, size_t n) {
        for (size_t i = 0; i < n && entries[i].path; i++)
                make_entry(dir, &entries[i]);
}

/* expected with every "@DIR@" replaced by dir */
static char *expand_dir(const char *expected, const char *dir) {
        char *s = calloc(1, strlen(expected) * (strlen(dir) + 1) + 1), *out = s;

        assert_non_null(s);
        for (const char *p = expected; *p != '\0';)
                if (strncmp(p, "@DIR@", 5) == 0) {
                        out = stpcpy(out, dir);
                        p += 5;
                } else
                        *out++ = *p++;
        return s;
}

static void assert_defaults(const Config *c) {
        assert_int_equal(c->delay_usec, 5 * USEC_PER_SEC);
        assert_int_equal(c->minimum_duration_usec, 60 * USEC_PER_SEC);
        assert_int_equal(c->maximum_duration_usec, 7 * USEC_PER_DAY);
        assert_string_equal(c->rtc_device, "rtc0");
        assert_null(c->wake_on_lan_interfaces);
        assert_int_equal(c->next_timer_lead_usec, 3 * USEC_PER_MINUTE);
        assert_false(c->next_timer_all);
        assert_int_equal(c->stay_awake_usec, 0);
        assert_int_equal(c->wake_alarm_range_usec, 0);  /* auto */
        assert_int_equal(c->hibernate_delay_usec, 2 * USEC_PER_HOUR);
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                assert_true(c->allowed_targets[t]);
}

static void test_init_defaults(void **state) {
        Config c;

        config_init_defaults(&c);
        assert_defaults(&c);
        config_done(&c);
        assert_null(c.rtc_device);
        config_done(&c);  /* twice is fine */
}

static void test_no_files_means_defaults(void **state) {
        _cleanup_(config_done) Config c = {0};
        _cleanup_free_ char *missing = path_in(*state, "does-not-exist");
        char *error = NULL;

        assert_int_equal(config_load(*state, &c, &error), 0);
        assert_defaults(&c);
        assert_null(error);
        config_done(&c);

        /* not even the directory */
        assert_int_equal(config_load(missing, &c, &error), 0);
        assert_defaults(&c);
        assert_null(error);

        /* an empty drop-in directory */
        make_entry(*state, &(Entry) DIR_("hostpm.conf.d"));
        config_done(&c);
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_defaults(&c);
}

static void test_main_file(void **state) {
        _cleanup_(config_done) Config c = {0};
        _cleanup_free_ char *error = NULL;

        make_entry(*state, &(Entry) FILE_("hostpm.conf",
                "# a comment\n"
                "; another\n"
                "\n"
                "[Suspend]\n"
                "Delay=2s\n"
                "  MinimumDuration = 2min ; inline comment\n"
                "\tMaximumDuration=1h 30min\r\n"
                "RTCDevice=rtc1\n"
                "AllowedTargets=  mem   disk\n"
                "WakeOnLanInterfaces=eno1  enp3s0,eno1\n"
                "NextTimerLead=30s\n"
                "NextTimers=all\n"
                "StayAwakeAfterWake=10min\n"));

        assert_int_equal(config_load(*state, &c, &error), 0);
        assert_null(error);
        assert_int_equal(c.delay_usec, 2 * USEC_PER_SEC);
        assert_int_equal(c.minimum_duration_usec, 2 * USEC_PER_MINUTE);
        assert_int_equal(c.maximum_duration_usec, 90 * USEC_PER_MINUTE);
        assert_string_equal(c.rtc_device, "rtc1");
        assert_true(c.allowed_targets[SLEEP_TARGET_MEM]);
        assert_true(c.allowed_targets[SLEEP_TARGET_DISK]);
        assert_false(c.allowed_targets[SLEEP_TARGET_HYBRID]);
        assert_false(c.allowed_targets[SLEEP_TARGET_SUSPEND_THEN_HIBERNATE]);
        assert_string_equal(c.wake_on_lan_interfaces, "eno1,enp3s0");  /* once each */
        assert_int_equal(c.next_timer_lead_usec, 30 * USEC_PER_SEC);
        assert_true(c.next_timer_all);
        assert_int_equal(c.stay_awake_usec, 10 * USEC_PER_MINUTE);
}

/* A drop-in can turn it off again with an empty value. */
static void test_wake_on_lan_off_in_dropin(void **state) {
        _cleanup_(config_done) Config c = {0};

        make_entry(*state, &(Entry) FILE_("hostpm.conf", "[Suspend]\nWakeOnLanInterfaces=eno1\n"));
        make_entry(*state, &(Entry) DIR_("hostpm.conf.d"));
        make_entry(*state, &(Entry) FILE_("hostpm.conf.d/50-off.conf", "[Suspend]\nWakeOnLanInterfaces=\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_null(c.wake_on_lan_interfaces);
}

/* WakeAlarmRange= and HibernateDelay=: set, at their bounds, and a drop-in
 * back to auto */
static void test_alarm_range_and_hibernate_delay(void **state) {
        _cleanup_(config_done) Config c = {0};

        make_entry(*state, &(Entry) FILE_("hostpm.conf", "[Suspend]\nWakeAlarmRange=28d\nHibernateDelay=30min\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_int_equal(c.wake_alarm_range_usec, 28 * USEC_PER_DAY);
        assert_int_equal(c.hibernate_delay_usec, 30 * USEC_PER_MINUTE);

        make_entry(*state, &(Entry) FILE_("hostpm.conf", "[Suspend]\nWakeAlarmRange=1s\nHibernateDelay=366d\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_int_equal(c.wake_alarm_range_usec, USEC_PER_SEC);
        assert_int_equal(c.hibernate_delay_usec, 366 * USEC_PER_DAY);

        make_entry(*state, &(Entry) FILE_("hostpm.conf", "[Suspend]\nWakeAlarmRange=366d\nHibernateDelay=1s\n"));
        make_entry(*state, &(Entry) DIR_("hostpm.conf.d"));
        make_entry(*state, &(Entry) FILE_("hostpm.conf.d/50-auto.conf", "[Suspend]\nWakeAlarmRange=auto\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_int_equal(c.wake_alarm_range_usec, 0);
        assert_int_equal(c.hibernate_delay_usec, USEC_PER_SEC);
}

static void test_bounds_are_inclusive(void **state) {
        _cleanup_(config_done) Config c = {0};

        make_entry(*state, &(Entry) FILE_("hostpm.conf",
                "[Suspend]\nDelay=1h\nMinimumDuration=1s\nMaximumDuration=1s\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_int_equal(c.delay_usec, USEC_PER_HOUR);
        assert_int_equal(c.minimum_duration_usec, USEC_PER_SEC);
        assert_int_equal(c.maximum_duration_usec, USEC_PER_SEC);

        /* the longest sleep hostpm-sleep accepts is the longest allowed */
        make_entry(*state, &(Entry) FILE_("hostpm.conf", "[Suspend]\nMaximumDuration=366d\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_int_equal(c.maximum_duration_usec, CONFIG_MAXIMUM_DURATION_MAX_USEC);
}

static void test_last_assignment_wins(void **state) {
        _cleanup_(config_done) Config c = {0};
        static const Entry entries[] = {
                FILE_("hostpm.conf",
                      "[Suspend]\n"
                      "Delay=10s\n"
                      "Delay=11s\n"          /* overridden in the same file */
                      "RTCDevice=rtc1\n"
                      "AllowedTargets=mem disk\n"
                      "[Suspend]\n"          /* the section again: fine */
                      "MaximumDuration=2h\n"),
                /* read in lexical order, whatever the directory order */
                FILE_("hostpm.conf.d/20-b.conf", "[Suspend]\nDelay=30s\nAllowedTargets=hybrid\n"),
                FILE_("hostpm.conf.d/10-a.conf", "[Suspend]\nDelay=20s\nMinimumDuration=2min\nRTCDevice=rtc2\n"),
                FILE_("hostpm.conf.d/9-last.conf", "[Suspend]\nMaximumDuration=3h\n"),  /* "9" > "2": last */
                /* not drop-ins: ignored, even though they would not parse */
                FILE_("hostpm.conf.d/README", "garbage\n"),
                FILE_("hostpm.conf.d/30-c.conf.bak", "garbage\n"),
                FILE_("hostpm.conf.d/.hidden.conf", "garbage\n"),
                DIR_("hostpm.conf.d/subdir"),
        };

        make_entries(*state, entries, ELEMENTSOF(entries));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_int_equal(c.delay_usec, 30 * USEC_PER_SEC);
        assert_int_equal(c.minimum_duration_usec, 2 * USEC_PER_MINUTE);
        assert_int_equal(c.maximum_duration_usec, 3 * USEC_PER_HOUR);
        assert_string_equal(c.rtc_device, "rtc2");
        /* a list is replaced, not merged */
        assert_false(c.allowed_targets[SLEEP_TARGET_MEM]);
        assert_false(c.allowed_targets[SLEEP_TARGET_DISK]);
        assert_true(c.allowed_targets[SLEEP_TARGET_HYBRID]);
}

static void test_dropins_without_main_file(void **state) {
        _cleanup_(config_done) Config c = {0};

        make_entry(*state, &(Entry) FILE_("hostpm.conf.d/50-delay.conf", "[Suspend]\nDelay=1s\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_int_equal(c.delay_usec, USEC_PER_SEC);
        assert_int_equal(c.minimum_duration_usec, 60 * USEC_PER_SEC);
}

static void test_load_replaces_initialized_config(void **state) {
        Config c;

        /* as hostpmd does it: defaults first, then the files on top */
        config_init_defaults(&c);
        make_entry(*state, &(Entry) FILE_("hostpm.conf", "[Suspend]\nRTCDevice=rtc9\n"));
        assert_int_equal(config_load(*state, &c, NULL), 0);
        assert_string_equal(c.rtc_device, "rtc9");
        config_done(&c);
}

/* The shipped file: as it is, and with every setting uncommented, it must
 * give the defaults, so its comments cannot drift from the code. */
static void test_shipped_file_documents_the_defaults(void **state) {
        _cleanup_free_ char *shipped = NULL, *uncommented = NULL, *line = NULL;
        _cleanup_(config_done) Config c = {0};
        const char *data_dir = getenv("HOSTPM_SOURCE_DATA_DIR");
        _cleanup_fclose_ FILE *f = NULL;
        size_t n = 0, line_size = 0, settings = 0;
        char *error = NULL;
        FILE *out;

        assert_non_null(data_dir);
        shipped = path_in(data_dir, "hostpm.conf");
        f = fopen(shipped, "re");
        assert_non_null(f);
        out = open_memstream(&uncommented, &n);
        assert_non_null(out);
        while (getline(&line, &line_size, f) >= 0) {
                /* "#Key=value" is a setting; "# text" is prose */
                if (line[0] == '#' && line[1] >= 'A' && line[1] <= 'Z') {
                        fputs(line + 1, out);
                        settings++;
                } else
                        fputs(line, out);
        }
        assert_int_equal(fclose(out), 0);
        assert_int_equal(settings, 11);

        make_entry(*state, &(Entry) FILE_("hostpm.conf", uncommented));
        assert_int_equal(config_load(*state, &c, &error), 0);
        assert_null(error);
        assert_defaults(&c);
}

typedef struct ErrorCase {
        const char *name;
        Entry entries[4];
        int error;
        const char *message;   /* "@DIR@" stands for the config directory */
} ErrorCase;

#define MAIN(content) { FILE_("hostpm.conf", (content)) }

static const ErrorCase error_cases[] = {
        /* syntax */
        { "unknown section", MAIN("[Sleep]\nDelay=5s\n"), -EINVAL,
          "@DIR@/hostpm.conf:1: unknown section [Sleep]; expected [Suspend]" },
        { "unknown section without keys", MAIN("[Suspend]\nDelay=5s\n\n[Resume]\n"), -EINVAL,
          "@DIR@/hostpm.conf:4: unknown section [Resume]; expected [Suspend]" },
        { "section names are case-sensitive", MAIN("[suspend]\n"), -EINVAL,
          "@DIR@/hostpm.conf:1: unknown section [suspend]; expected [Suspend]" },
        { "key before any section", MAIN("Delay=5s\n[Suspend]\n"), -EINVAL,
          "@DIR@/hostpm.conf:1: Delay=5s: outside of a section; expected it under [Suspend]" },
        { "unknown key", MAIN("[Suspend]\nDelay=5s\nSleepy=yes\n"), -EINVAL,
          "@DIR@/hostpm.conf:3: Sleepy=yes: unknown key; expected one of Delay, MinimumDuration, "
          "MaximumDuration, RTCDevice, AllowedTargets, WakeOnLanInterfaces, NextTimerLead, NextTimers, "
          "StayAwakeAfterWake, WakeAlarmRange, HibernateDelay" },
        { "keys are case-sensitive", MAIN("[Suspend]\ndelay=5s\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: delay=5s: unknown key; expected one of Delay, MinimumDuration, "
          "MaximumDuration, RTCDevice, AllowedTargets, WakeOnLanInterfaces, NextTimerLead, NextTimers, "
          "StayAwakeAfterWake, WakeAlarmRange, HibernateDelay" },
        { "no '='", MAIN("[Suspend]\nDelay 5s\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: not a [Section] header, Key=value assignment or comment" },
        { "unterminated section header", MAIN("[Suspend\nDelay=5s\n"), -EINVAL,
          "@DIR@/hostpm.conf:1: not a [Section] header, Key=value assignment or comment" },
        { "':' is not '='", MAIN("[Suspend]\nDelay: 5s\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: 'Delay: 5s': expected Key=value" },
        { "the first error is reported, even inih's", MAIN("[Suspend]\ngarbage\nDelay=0\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: not a [Section] header, Key=value assignment or comment" },
        { "the first error is reported, not the next", MAIN("[Suspend]\nDelay=0\ngarbage\nSleepy=1\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: Delay=0: out of range; expected 1s to 1h" },

        /* values */
        { "not a time span", MAIN("[Suspend]\nDelay=5s\nMinimumDuration=abc\n"), -EINVAL,
          "@DIR@/hostpm.conf:3: MinimumDuration=abc: not a time span; expected e.g. 60s, 2min" },
        { "empty time span", MAIN("[Suspend]\nDelay=\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: Delay=: not a time span; expected e.g. 5s, 30s" },
        { "negative time span", MAIN("[Suspend]\nMaximumDuration=-5h\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: MaximumDuration=-5h: not a time span; expected e.g. 23h, 7d" },
        { "overflowing time span", MAIN("[Suspend]\nMaximumDuration=99999999999999d\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: MaximumDuration=99999999999999d: too long; expected e.g. 23h, 7d" },
        /* More than the helper accepts (366 days): such a request would
         * be accepted, then fail, and the microseconds of 2^64 - 1 wrapped
         * around to a wake-up a moment after the suspend. */
        { "MaximumDuration beyond the helper's limit", MAIN("[Suspend]\nMaximumDuration=18446744073709551615us\n"),
          -ERANGE, "@DIR@/hostpm.conf:2: MaximumDuration=18446744073709551615us: too long; expected at most "
          "366d, the longest sleep hostpm-sleep accepts" },
        { "MaximumDuration=366d 1us", MAIN("[Suspend]\nMaximumDuration=366d 1us\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: MaximumDuration=366d 1us: too long; expected at most 366d, the longest sleep "
          "hostpm-sleep accepts" },
        { "Delay=999ms", MAIN("[Suspend]\nDelay=999ms\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: Delay=999ms: out of range; expected 1s to 1h" },
        { "Delay=0", MAIN("[Suspend]\nDelay=0\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: Delay=0: out of range; expected 1s to 1h" },
        { "Delay over 1h", MAIN("[Suspend]\nDelay=1h 1us\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: Delay=1h 1us: out of range; expected 1s to 1h" },
        { "MinimumDuration under 1s", MAIN("[Suspend]\nMinimumDuration=999ms\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: MinimumDuration=999ms: too short; expected at least 1s" },
        { "MinimumDuration=0", MAIN("[Suspend]\nMinimumDuration=0\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: MinimumDuration=0: too short; expected at least 1s" },
        { "empty AllowedTargets", MAIN("[Suspend]\nAllowedTargets=\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: AllowedTargets=: no target allowed; expected one or more of "
          "mem, disk, hybrid, suspend-then-hibernate" },
        { "unknown target", MAIN("[Suspend]\nAllowedTargets=mem freeze\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: AllowedTargets=mem freeze: unknown target 'freeze'; expected one or more of "
          "mem, disk, hybrid, suspend-then-hibernate" },
        { "targets are separated by spaces", MAIN("[Suspend]\nAllowedTargets=mem,disk\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: AllowedTargets=mem,disk: unknown target 'mem,disk'; expected one or more of "
          "mem, disk, hybrid, suspend-then-hibernate" },
        { "WakeOnLanInterfaces with a path", MAIN("[Suspend]\nWakeOnLanInterfaces=eno1 ../x\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: WakeOnLanInterfaces=eno1 ../x: '../x' is not an interface name; expected names "
          "such as eno1 (1 to 15 characters, no '/', ':' or white space), separated by spaces" },
        { "WakeOnLanInterfaces name too long", MAIN("[Suspend]\nWakeOnLanInterfaces=a234567890123456\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: WakeOnLanInterfaces=a234567890123456: 'a234567890123456' is not an interface name; "
          "expected names such as eno1 (1 to 15 characters, no '/', ':' or white space), separated by spaces" },
        { "WakeOnLanInterfaces alias", MAIN("[Suspend]\nWakeOnLanInterfaces=eth0:1\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: WakeOnLanInterfaces=eth0:1: 'eth0:1' is not an interface name; expected names "
          "such as eno1 (1 to 15 characters, no '/', ':' or white space), separated by spaces" },
        { "empty RTCDevice", MAIN("[Suspend]\nRTCDevice=\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: RTCDevice=: not a device name; expected a name under /sys/class/rtc/ of letters, digits, - and _, e.g. rtc0" },
        { "RTCDevice with '/'", MAIN("[Suspend]\nRTCDevice=rtc0/../../../etc\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: RTCDevice=rtc0/../../../etc: not a device name; expected a name under "
          "/sys/class/rtc/ of letters, digits, - and _, e.g. rtc0" },
        { "RTCDevice=rtc:0 (hostpm-sleep would refuse it)", MAIN("[Suspend]\nRTCDevice=rtc:0\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: RTCDevice=rtc:0: not a device name; expected a name under /sys/class/rtc/ of "
          "letters, digits, - and _, e.g. rtc0" },
        { "RTCDevice=..", MAIN("[Suspend]\nRTCDevice=..\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: RTCDevice=..: not a device name; expected a name under /sys/class/rtc/ of letters, digits, - and _, e.g. rtc0" },
        { "RTCDevice=.", MAIN("[Suspend]\nRTCDevice=.\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: RTCDevice=.: not a device name; expected a name under /sys/class/rtc/ of letters, digits, - and _, e.g. rtc0" },

        { "NextTimerLead over a day", MAIN("[Suspend]\nNextTimerLead=1d 1s\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: NextTimerLead=1d 1s: too long; expected 0 to 1d" },
        { "NextTimerLead not a span", MAIN("[Suspend]\nNextTimerLead=soon\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: NextTimerLead=soon: not a time span; expected e.g. 3min, 30s, 0" },
        { "NextTimers unknown", MAIN("[Suspend]\nNextTimers=yes\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: NextTimers=yes: expected wake-system (timers with WakeSystem=yes) or all" },
        { "empty NextTimers", MAIN("[Suspend]\nNextTimers=\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: NextTimers=: expected wake-system (timers with WakeSystem=yes) or all" },
        { "StayAwakeAfterWake over a day", MAIN("[Suspend]\nStayAwakeAfterWake=2d\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: StayAwakeAfterWake=2d: too long; expected 0 (off) to 1d" },
        { "StayAwakeAfterWake negative", MAIN("[Suspend]\nStayAwakeAfterWake=-1min\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: StayAwakeAfterWake=-1min: not a time span; expected e.g. 10min, 0 (off)" },
        { "WakeAlarmRange zero", MAIN("[Suspend]\nWakeAlarmRange=0\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: WakeAlarmRange=0: out of range; expected auto or 1s to 366d" },
        { "WakeAlarmRange over 366d", MAIN("[Suspend]\nWakeAlarmRange=366d 1s\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: WakeAlarmRange=366d 1s: out of range; expected auto or 1s to 366d" },
        { "WakeAlarmRange garbage", MAIN("[Suspend]\nWakeAlarmRange=automatic\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: WakeAlarmRange=automatic: not a time span; expected e.g. auto, 23h, 28d" },
        { "WakeAlarmRange empty", MAIN("[Suspend]\nWakeAlarmRange=\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: WakeAlarmRange=: not a time span; expected e.g. auto, 23h, 28d" },
        { "HibernateDelay zero", MAIN("[Suspend]\nHibernateDelay=0\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: HibernateDelay=0: out of range; expected 1s to 366d" },
        { "HibernateDelay over 366d", MAIN("[Suspend]\nHibernateDelay=367d\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: HibernateDelay=367d: out of range; expected 1s to 366d" },
        { "HibernateDelay auto", MAIN("[Suspend]\nHibernateDelay=auto\n"), -EINVAL,
          "@DIR@/hostpm.conf:2: HibernateDelay=auto: not a time span; expected e.g. 2h, 30min" },

        /* MinimumDuration= against MaximumDuration=: the later assignment is blamed */
        { "minimum over maximum in one file", MAIN("[Suspend]\nMinimumDuration=2h\nMaximumDuration=1h\n"), -ERANGE,
          "@DIR@/hostpm.conf:3: MaximumDuration=1h: less than MinimumDuration=2h (@DIR@/hostpm.conf:2); "
          "expected at least 2h" },
        { "minimum over the default maximum", MAIN("[Suspend]\nMinimumDuration=8d\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: MinimumDuration=8d: more than MaximumDuration=7d (the default); "
          "expected at most 7d" },
        { "maximum under the default minimum", MAIN("[Suspend]\nMaximumDuration=59s\n"), -ERANGE,
          "@DIR@/hostpm.conf:2: MaximumDuration=59s: less than MinimumDuration=1min (the default); "
          "expected at least 1min" },
        { "minimum in a drop-in over the main file's maximum",
          { FILE_("hostpm.conf", "[Suspend]\nMaximumDuration=1h\n"),
            FILE_("hostpm.conf.d/50-min.conf", "# raise it\n[Suspend]\nMinimumDuration=2h\n") },
          -ERANGE,
          "@DIR@/hostpm.conf.d/50-min.conf:3: MinimumDuration=2h: more than MaximumDuration=1h "
          "(@DIR@/hostpm.conf:2); expected at most 1h" },

        /* errors in drop-ins name the drop-in */
        { "bad value in a drop-in",
          { FILE_("hostpm.conf", "[Suspend]\nDelay=5s\n"),
            FILE_("hostpm.conf.d/10-ok.conf", "[Suspend]\nDelay=6s\n"),
            FILE_("hostpm.conf.d/20-bad.conf", "[Suspend]\n\nDelay=forever\n") },
          -EINVAL,
          "@DIR@/hostpm.conf.d/20-bad.conf:3: Delay=forever: not a time span; expected e.g. 5s, 30s" },

        /* files and directories */
        { "main file is a directory", { DIR_("hostpm.conf") }, -EISDIR,
          "@DIR@/hostpm.conf: is a directory; expected a file" },
        { "drop-in is a directory", { DIR_("hostpm.conf.d/10-dir.conf") }, -EISDIR,
          "@DIR@/hostpm.conf.d/10-dir.conf: is a directory; expected a file" },
        { "drop-in directory is a file", { FILE_("hostpm.conf.d", "[Suspend]\n") }, -ENOTDIR,
          "@DIR@/hostpm.conf.d: cannot be read as a directory: Not a directory" },
        { "dangling drop-in symlink", { LINK_("hostpm.conf.d/10-gone.conf", "/nonexistent/hostpm-test.conf") },
          -ENOENT,
          "@DIR@/hostpm.conf.d/10-gone.conf: cannot be opened: No such file or directory" },
        { "main file is not a regular file", { LINK_("hostpm.conf", "/dev/zero") }, -EINVAL,
          "@DIR@/hostpm.conf: is not a regular file" },
};

static void test_errors(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++) {
                const ErrorCase *t = &error_cases[i];
                _cleanup_free_ char *dir = NULL, *name = NULL, *expected = NULL, *error = NULL;
                Config c = { .delay_usec = 4711 };

                print_message("# %s\n", t->name);
                assert_true(asprintf(&name, "case-%zu", i) > 0);
                dir = path_in(*state, name);
                assert_int_equal(mkdir(dir, 0755), 0);
                make_entries(dir, t->entries, ELEMENTSOF(t->entries));
                expected = expand_dir(t->message, dir);

                assert_int_equal(config_load(dir, &c, &error), t->error);
                assert_non_null(error);
                assert_string_equal(error, expected);
                /* nothing handed out on failure */
                assert_int_equal(c.delay_usec, 4711);
                assert_null(c.rtc_device);

                /* the caller may not want the message */
                assert_int_equal(config_load(dir, &c, NULL), t->error);
        }
}

static void test_overlong_line(void **state) {
        _cleanup_free_ char *content = NULL, *expected = NULL, *error = NULL;
        _cleanup_(config_done) Config c = {0};
        char comment[400];

        memset(comment, 'x', sizeof comment - 1);
        comment[sizeof comment - 1] = '\0';
        assert_true(asprintf(&content, "[Suspend]\n#%s\nDelay=5s\n", comment) > 0);
        make_entry(*state, &(Entry) FILE_("hostpm.conf", content));

        /* inih's limit is its build's: check what the message is about */
        expected = path_in(*state, "hostpm.conf:2: line too long; expected at most ");
        assert_int_equal(config_load(*state, &c, &error), -EINVAL);
        assert_non_null(error);
        assert_true(strncmp(error, expected, strlen(expected)) == 0);
}

/* Run as an unprivileged user, since root reads any file. */
static void test_unreadable_file(void **state) {
        _cleanup_free_ char *path = path_in(*state, "hostpm.conf"), *expected = NULL;
        pid_t pid;
        int status;

        make_entry(*state, &(Entry) FILE_("hostpm.conf", "[Suspend]\nDelay=5s\n"));
        assert_int_equal(chmod(path, 0), 0);
        assert_true(asprintf(&expected, "%s: cannot be opened: Permission denied", path) > 0);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                Config c = {0};
                char *error = NULL;
                int r;

                if (geteuid() == 0 && (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0))
                        _exit(2);
                r = config_load(*state, &c, &error);
                r = r == -EACCES && error && streq(error, expected) ? 0 : 1;
                /* _exit() runs no cleanup, and valgrind follows the child */
                free(error);
                free(expected);
                free(path);
                _exit(r);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_config_dir(void **state) {
        /* read once: the first call decides; a release build has no seam */
        const char *want = test_seams_enabled() ? "/tmp/hostpm-elsewhere" : SYSCONFDIR "/hostpm";

        assert_int_equal(setenv("HOSTPM_CONFIG_DIR", "/tmp/hostpm-elsewhere", 1), 0);
        assert_string_equal(config_dir(), want);
        assert_int_equal(unsetenv("HOSTPM_CONFIG_DIR"), 0);
        assert_string_equal(config_dir(), want);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_init_defaults),
                cmocka_unit_test_setup_teardown(test_no_files_means_defaults, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_main_file, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_wake_on_lan_off_in_dropin, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_alarm_range_and_hibernate_delay, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_bounds_are_inclusive, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_last_assignment_wins, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_dropins_without_main_file, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_load_replaces_initialized_config, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_shipped_file_documents_the_defaults, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_errors, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_overlong_line, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_unreadable_file, setup_dir, teardown_dir),
                cmocka_unit_test(test_config_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
