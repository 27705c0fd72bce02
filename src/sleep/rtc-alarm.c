/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <inttypes.h>

#include "log.h"
#include "macro.h"
#include "rtc-alarm.h"
#include "timespan.h"

/* A device is a name under class/rtc, never a path that could leave it. */
static bool device_name_valid(const char *device) {
        return !isempty(device) && !strchr(device, '/') && !streq(device, ".") && !streq(device, "..");
}

static int attribute_path(const char *root, const char *device, const char *attribute, char **ret) {
        char *p;

        if (!device_name_valid(device))
                return -EINVAL;
        if (asprintf(&p, "%s/class/rtc/%s/%s", root, device, attribute) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* sysfs attributes are one short line; the trailing newline is dropped. */
static int read_attribute(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = -1;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        while (n > 0 && IN_SET(buf[n - 1], '\n', ' '))
                n--;
        buf[n] = '\0';
        return 0;
}

/* Like `echo value > attribute`: one write(2), whose error is the kernel's
 * answer (EINVAL for an alarm the RTC cannot hold). O_TRUNC matters only for
 * the plain files of the test bed; sysfs ignores it. */
static int write_attribute(const char *path, const char *value) {
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        n = write(fd, value, len);
        if (n < 0)
                return negative_errno();
        if ((size_t) n != len)
                return -EIO;
        if (close(TAKE_FD(fd)) < 0)
                return negative_errno();
        return 0;
}

static int parse_seconds(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        /* digits only: strtoull would accept "-1", " 5" and "+5" */
        if (isempty(s) || strspn(s, "0123456789") != strlen(s))
                return -EBADMSG;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EBADMSG;
        *ret = (uint64_t) v;
        return 0;
}

static int read_seconds(const char *root, const char *device, const char *attribute, uint64_t *ret) {
        _cleanup_free_ char *path = NULL;
        char buf[64];
        int r;

        r = attribute_path(root, device, attribute, &path);
        if (r < 0)
                return r;
        r = read_attribute(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        /* an empty wakealarm means "no alarm"; since_epoch is never empty */
        if (buf[0] == '\0' && streq(attribute, "wakealarm")) {
                *ret = 0;
                return 0;
        }
        return parse_seconds(buf, ret);
}

int rtc_read_since_epoch(const char *root, const char *device, uint64_t *ret) {
        return read_seconds(root, device, "since_epoch", ret);
}

int rtc_read_wakealarm(const char *root, const char *device, uint64_t *ret_alarm) {
        uint64_t alarm;
        int r;

        r = read_seconds(root, device, "wakealarm", &alarm);
        if (r < 0)
                return r;
        *ret_alarm = alarm;
        return alarm > 0;
}

static int write_wakealarm(const char *root, const char *device, uint64_t value) {
        _cleanup_free_ char *path = NULL;
        char buf[32];
        int r;

        r = attribute_path(root, device, "wakealarm", &path);
        if (r < 0)
                return r;
        (void) snprintf(buf, sizeof(buf), "%" PRIu64 "\n", value);
        return write_attribute(path, buf);
}

int rtc_clear_wakealarm(const char *root, const char *device) {
        return write_wakealarm(root, device, 0);
}

int rtc_set_wakealarm(const char *root, const char *device, uint64_t seconds_ahead, uint64_t *ret_alarm) {
        uint64_t now, alarm, readback;
        int r;

        if (seconds_ahead == 0)
                return -EINVAL;

        r = rtc_read_since_epoch(root, device, &now);
        if (r < 0)
                return log_debug_errno(r, "Failed to read the clock of RTC %s: %s", device, STRERROR(r));
        if (now > UINT64_MAX - seconds_ahead)
                return -ERANGE;
        alarm = now + seconds_ahead;

        r = rtc_clear_wakealarm(root, device);
        if (r < 0)
                return log_debug_errno(r, "Failed to clear the alarm of RTC %s: %s", device, STRERROR(r));

        r = write_wakealarm(root, device, alarm);
        if (r < 0) {
                log_debug_errno(r, "Failed to set the alarm of RTC %s to %" PRIu64 ": %s",
                                device, alarm, STRERROR(r));
                goto fail;
        }

        r = rtc_read_wakealarm(root, device, &readback);
        if (r < 0) {
                log_debug_errno(r, "Failed to read back the alarm of RTC %s: %s", device, STRERROR(r));
                if (r == -EBADMSG)  /* garbage is a value we did not write */
                        r = -EIO;
                goto fail;
        }
        if (readback != alarm) {
                r = log_debug_errno(-EIO, "RTC %s holds alarm %" PRIu64 " instead of %" PRIu64 ".",
                                    device, readback, alarm);
                goto fail;
        }

        *ret_alarm = alarm;
        return 0;

fail:
        /* never leave an alarm we could not verify */
        (void) rtc_clear_wakealarm(root, device);
        return r;
}

/* Bounded: an RTC whose clock does not move (or a fake one) costs at most
 * this, then we go on. */
#define RTC_TICK_WAIT_USEC (1100 * USEC_PER_MSEC)

void rtc_wait_for_tick(const char *root, const char *device) {
        uint64_t first, now, deadline = clock_now_usec(CLOCK_MONOTONIC) + RTC_TICK_WAIT_USEC;

        if (rtc_read_since_epoch(root, device, &first) < 0)
                return;
        while (clock_now_usec(CLOCK_MONOTONIC) < deadline) {
                (void) usleep(10 * USEC_PER_MSEC);
                if (rtc_read_since_epoch(root, device, &now) < 0 || now != first)
                        return;
        }
}
