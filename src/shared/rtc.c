/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <sys/stat.h>

#include "rtc.h"
#include "macro.h"
#include "test-seam.h"

const char *rtc_sysfs_root(void) {
        static const char *root = NULL;

        if (!root) {
                const char *e = test_seam_getenv(TEST_SEAM_SYSFS_ROOT);
                root = e ? e : "/sys";
        }
        return root;
}

bool rtc_device_name_valid(const char *device) {
        size_t n;

        if (!device)
                return false;
        n = strlen(device);
        if (n == 0 || n > 32)
                return false;
        for (const char *p = device; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_'))
                        return false;
        return true;
}

bool rtc_name_is_driver(const char *name, const char *driver) {
        size_t n = strlen(driver);

        return name && strncmp(name, driver, n) == 0 && IN_SET(name[n], '\0', ' ');
}

const char *rtc_wakeup_to_string(RtcWakeup w) {
        switch (w) {
        case RTC_WAKEUP_ENABLED:  return "enabled";
        case RTC_WAKEUP_DISABLED: return "disabled";
        case RTC_WAKEUP_UNKNOWN:  return "unknown";
        }
        return "unknown";
}

static char *rtc_path(const char *sysfs_root, const char *device, const char *file) {
        char *p = NULL;

        if (asprintf(&p, "%s/class/rtc/%s%s%s", sysfs_root, device, file ? "/" : "", file ? file : "") < 0)
                return NULL;
        return p;
}

/* Reads the first line of a sysfs attribute, without its newline. */
static int read_one_line(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        ssize_t l;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        errno = 0;
        l = getline(&line, &n, f);
        if (l < 0) {
                if (ferror(f))
                        return negative_errno();
                /* an empty attribute (no alarm set) */
                free(line);
                line = strdup("");
                if (!line)
                        return -ENOMEM;
                l = 0;
        }
        while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == ' '))
                line[--l] = '\0';
        *ret = TAKE_PTR(line);
        return 0;
}

void rtc_info_done(RtcInfo *info) {
        free(info->device);
        free(info->name);
        *info = (RtcInfo) {0};
}

int rtc_read_info(const char *sysfs_root, const char *device, RtcInfo *ret) {
        _cleanup_free_ char *dir = NULL, *name_path = NULL, *alarm_path = NULL, *wakeup_path = NULL;
        _cleanup_free_ char *alarm = NULL, *wakeup = NULL;
        RtcInfo info = {0};
        struct stat st;
        int r;

        dir = rtc_path(sysfs_root, device, NULL);
        name_path = rtc_path(sysfs_root, device, "name");
        alarm_path = rtc_path(sysfs_root, device, "wakealarm");
        wakeup_path = rtc_path(sysfs_root, device, "device/power/wakeup");
        info.device = strdup(device);
        if (!dir || !name_path || !alarm_path || !wakeup_path || !info.device) {
                rtc_info_done(&info);
                return -ENOMEM;
        }

        info.present = stat(dir, &st) >= 0 && S_ISDIR(st.st_mode);
        if (!info.present) {
                *ret = info;
                return 0;
        }

        r = read_one_line(name_path, &info.name);
        if (r == -ENOMEM) {
                rtc_info_done(&info);
                return r;
        }

        r = read_one_line(alarm_path, &alarm);
        info.has_wakealarm = r >= 0 || r == -EACCES || r == -EPERM;
        if (alarm && !isempty(alarm)) {
                char *end;
                unsigned long long v;

                errno = 0;
                v = strtoull(alarm, &end, 10);
                if (errno == 0 && *end == '\0')
                        info.alarm = v;
        }

        if (read_one_line(wakeup_path, &wakeup) >= 0) {
                if (streq(wakeup, "enabled"))
                        info.wakeup = RTC_WAKEUP_ENABLED;
                else if (streq(wakeup, "disabled"))
                        info.wakeup = RTC_WAKEUP_DISABLED;
        }

        *ret = info;
        return 0;
}
