/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <time.h>

#include "timespan.h"

#define DIGITS     "0123456789"
#define LETTERS    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define WHITESPACE " \t\n\r"

/* not isdigit(): that one follows the locale */
static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
        { "us",      1               },
        { "usec",    1               },
        { "ms",      USEC_PER_MSEC   },
        { "msec",    USEC_PER_MSEC   },
        { "s",       USEC_PER_SEC    },
        { "sec",     USEC_PER_SEC    },
        { "second",  USEC_PER_SEC    },
        { "seconds", USEC_PER_SEC    },
        { "m",       USEC_PER_MINUTE },
        { "min",     USEC_PER_MINUTE },
        { "minute",  USEC_PER_MINUTE },
        { "minutes", USEC_PER_MINUTE },
        { "h",       USEC_PER_HOUR   },
        { "hr",      USEC_PER_HOUR   },
        { "hour",    USEC_PER_HOUR   },
        { "hours",   USEC_PER_HOUR   },
        { "d",       USEC_PER_DAY    },
        { "day",     USEC_PER_DAY    },
        { "days",    USEC_PER_DAY    },
        { "w",       USEC_PER_WEEK   },
        { "week",    USEC_PER_WEEK   },
        { "weeks",   USEC_PER_WEEK   },
};

/* The unit named by the n letters at p, 0 if there is none. */
static uint64_t duration_unit_lookup(const char *p, size_t n) {
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++)
                if (strlen(duration_units[i].suffix) == n && strncmp(p, duration_units[i].suffix, n) == 0)
                        return duration_units[i].usec;
        return 0;
}

uint64_t clock_now_usec(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

int parse_duration(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        unsigned components = 0;
        bool unitless = false;
        const char *p;

        if (!s)
                return -EINVAL;

        p = s + strspn(s, WHITESPACE);
        if (*p == '\0')
                return -EINVAL;

        while (*p != '\0') {
                const char *fraction = NULL;
                uint64_t whole = 0, unit, v;
                size_t n;

                /* checked by hand rather than strtoull(), which would take
                 * signs, whitespace and "0x" */
                if (!is_digit(*p))
                        return -EINVAL;
                for (; is_digit(*p); p++)
                        if (__builtin_mul_overflow(whole, 10, &whole) ||
                            __builtin_add_overflow(whole, (uint64_t) (*p - '0'), &whole))
                                return -ERANGE;
                if (*p == '.') {
                        p++;
                        n = strspn(p, DIGITS);
                        if (n == 0)
                                return -EINVAL;
                        fraction = p;
                        p += n;
                }

                p += strspn(p, WHITESPACE);
                n = strspn(p, LETTERS);
                if (n == 0) {
                        unit = USEC_PER_SEC;
                        unitless = true;
                } else {
                        unit = duration_unit_lookup(p, n);
                        if (unit == 0)
                                return -EINVAL;
                        p += n;
                }

                if (__builtin_mul_overflow(whole, unit, &v))
                        return -ERANGE;
                /* Each digit after the dot is worth a tenth of the one
                 * before; what falls below 1us is dropped. */
                for (uint64_t scale = unit; fraction && is_digit(*fraction); fraction++) {
                        scale /= 10;
                        if (__builtin_add_overflow(v, (uint64_t) (*fraction - '0') * scale, &v))
                                return -ERANGE;
                }
                if (__builtin_add_overflow(total, v, &total))
                        return -ERANGE;

                components++;
                p += strspn(p, WHITESPACE);
        }

        /* "1h 30" could mean 30s or 30min: make the user say which */
        if (unitless && components > 1)
                return -EINVAL;

        *ret_usec = total;
        return 0;
}

/* Between min_len and max_len decimal digits at *p, advancing *p. */
static bool parse_digits(const char **p, size_t min_len, size_t max_len, int *ret) {
        size_t n = strspn(*p, DIGITS);
        int v = 0;

        if (n < min_len || n > max_len)
                return false;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + ((*p)[i] - '0');
        *p += n;
        *ret = v;
        return true;
}

/* "H:MM", "HH:MM" or "HH:MM:SS" at *p, advancing *p. */
static bool parse_clock(const char **p, int *ret_hour, int *ret_min, int *ret_sec) {
        int hour, min, sec = 0;

        if (!parse_digits(p, 1, 2, &hour) || **p != ':')
                return false;
        (*p)++;
        if (!parse_digits(p, 2, 2, &min))
                return false;
        if (**p == ':') {
                (*p)++;
                if (!parse_digits(p, 2, 2, &sec))
                        return false;
        }
        /* no leap second: mktime() would quietly make 10:00:60 into 10:01:00 */
        if (hour > 23 || min > 59 || sec > 59)
                return false;

        *ret_hour = hour;
        *ret_min = min;
        *ret_sec = sec;
        return true;
}

static int days_in_month(int year, int month) {
        static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

        return month == 2 && leap ? 29 : days[month - 1];
}

/* When the local clock shows year-mon-mday hour:min:sec, in seconds since
 * the epoch: the earliest occurrence later than *after (any, if after is
 * NULL) where a DST change makes it occur twice; mktime()'s reading where
 * a DST change skips it. -ENOENT if no occurrence is later than *after. */
static int local_time_to_epoch(int year, int mon, int mday, int hour, int min, int sec,
                               const time_t *after, time_t *ret) {
        time_t candidates[2];
        size_t n = 0;
        bool found = false;

        /* Ask with either DST flag: a wrong guess comes back moved by the
         * offset difference, so only real occurrences keep their fields. */
        for (int isdst = 0; isdst <= 1; isdst++) {
                struct tm tm = {
                        .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday,
                        .tm_hour = hour, .tm_min = min, .tm_sec = sec,
                        .tm_isdst = isdst,
                };
                time_t t = mktime(&tm);

                if (t != (time_t) -1 &&
                    tm.tm_year == year - 1900 && tm.tm_mon == mon - 1 && tm.tm_mday == mday &&
                    tm.tm_hour == hour && tm.tm_min == min && tm.tm_sec == sec)
                        candidates[n++] = t;
        }
        if (n == 0) {
                /* in a DST gap: the clock never shows it that day */
                struct tm tm = {
                        .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday,
                        .tm_hour = hour, .tm_min = min, .tm_sec = sec,
                        .tm_isdst = -1,
                };
                time_t t = mktime(&tm);

                if (t != (time_t) -1)
                        candidates[n++] = t;
        }

        for (size_t i = 0; i < n; i++) {
                if (after && candidates[i] <= *after)
                        continue;
                if (!found || candidates[i] < *ret) {
                        *ret = candidates[i];
                        found = true;
                }
        }
        return found ? 0 : -ENOENT;
}

static int epoch_to_usec(time_t t, uint64_t *ret_usec) {
        uint64_t usec;

        if (t < 0 || __builtin_mul_overflow((uint64_t) t, USEC_PER_SEC, &usec))
                return -ERANGE;
        *ret_usec = usec;
        return 0;
}

/* "@SECONDS" */
static int parse_epoch(const char *p, uint64_t *ret_usec) {
        uint64_t sec = 0, usec;
        size_t n = strspn(p, DIGITS);

        if (n == 0 || p[n] != '\0')
                return -EINVAL;
        for (; *p != '\0'; p++)
                if (__builtin_mul_overflow(sec, 10, &sec) ||
                    __builtin_add_overflow(sec, (uint64_t) (*p - '0'), &sec))
                        return -ERANGE;
        if (__builtin_mul_overflow(sec, USEC_PER_SEC, &usec))
                return -ERANGE;

        *ret_usec = usec;
        return 0;
}

/* "YYYY-MM-DD HH:MM[:SS]" */
static int parse_date_time(const char *p, uint64_t *ret_usec) {
        int year, mon, mday, hour, min, sec, r;
        time_t t;

        if (!parse_digits(&p, 4, 4, &year) || *p++ != '-' ||
            !parse_digits(&p, 2, 2, &mon) || *p++ != '-' ||
            !parse_digits(&p, 2, 2, &mday) || (*p != ' ' && *p != 'T'))
                return -EINVAL;
        p++;
        if (!parse_clock(&p, &hour, &min, &sec) || *p != '\0')
                return -EINVAL;
        /* checked here, since mktime() would move 02-30 to 03-02 */
        if (mon < 1 || mon > 12 || mday < 1 || mday > days_in_month(year, mon))
                return -EINVAL;

        r = local_time_to_epoch(year, mon, mday, hour, min, sec, /* after= */ NULL, &t);
        if (r < 0)
                return -ERANGE;
        return epoch_to_usec(t, ret_usec);
}

/* "HH:MM[:SS]": the next time the local clock shows it. */
static int parse_next_clock(const char *p, uint64_t now_usec, uint64_t *ret_usec) {
        time_t now = (time_t) (now_usec / USEC_PER_SEC), t;
        int hour, min, sec;
        struct tm today;

        if (!parse_clock(&p, &hour, &min, &sec) || *p != '\0')
                return -EINVAL;
        if (!localtime_r(&now, &today))
                return -ERANGE;

        /* Today, else tomorrow; one more day in case tomorrow skips the
         * time altogether (a zone that dropped a whole day). */
        for (int d = 0; d < 3; d++) {
                /* the date d days ahead, normalized at noon, clear of DST changes */
                struct tm day = {
                        .tm_year = today.tm_year, .tm_mon = today.tm_mon, .tm_mday = today.tm_mday + d,
                        .tm_hour = 12, .tm_isdst = -1,
                };

                if (mktime(&day) == (time_t) -1)
                        return -ERANGE;
                /* strictly later than now: with now = k s + f us, t > k means t >= k + 1 > now */
                if (local_time_to_epoch(day.tm_year + 1900, day.tm_mon + 1, day.tm_mday,
                                        hour, min, sec, &now, &t) >= 0)
                        return epoch_to_usec(t, ret_usec);
        }
        return -ERANGE;
}

int parse_wake_time(const char *s, uint64_t now_usec, uint64_t *ret_usec) {
        if (!s)
                return -EINVAL;
        if (s[0] == '@')
                return parse_epoch(s + 1, ret_usec);
        if (strspn(s, DIGITS) == 4 && s[4] == '-')
                return parse_date_time(s, ret_usec);
        return parse_next_clock(s, now_usec, ret_usec);
}

char *format_duration(char *buf, size_t l, uint64_t usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "d",   USEC_PER_DAY    },
                { "h",   USEC_PER_HOUR   },
                { "min", USEC_PER_MINUTE },
                { "s",   USEC_PER_SEC    },
                { "ms",  USEC_PER_MSEC   },
                { "us",  1               },
        };
        size_t used = 0;

        if (l == 0)
                return buf;
        if (usec == 0) {
                snprintf(buf, l, "0s");
                return buf;
        }

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                uint64_t n = usec / units[i].usec;
                int k;

                if (n == 0)
                        continue;
                usec %= units[i].usec;
                k = snprintf(buf + used, l - used, "%s%" PRIu64 "%s", used > 0 ? " " : "", n, units[i].suffix);
                if (k < 0 || (size_t) k >= l - used) {
                        buf[used] = '\0'; /* whole components only */
                        break;
                }
                used += k;
        }
        return buf;
}

char *format_wall_time(char *buf, size_t l, uint64_t realtime_usec) {
        time_t t = (time_t) (realtime_usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return NULL;
        if (strftime(buf, l, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                return NULL;
        return buf;
}
