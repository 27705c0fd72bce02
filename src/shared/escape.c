/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "escape.h"
#include "macro.h"

/* The length of the well-formed UTF-8 sequence of a printable character
 * at p (1 to 4), or 0 if there is none: a control, a stray or truncated
 * byte, an overlong form, a surrogate or a code point beyond U+10FFFF. */
static size_t utf8_printable_len(const unsigned char *p) {
        unsigned char c = p[0];
        size_t n;

        if (c >= 0x20 && c < 0x7f)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4;
        else
                return 0;  /* C0, DEL, continuation bytes, 0xc0, 0xc1, 0xf5.. */

        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;  /* also stops at the terminating NUL */
        if ((c == 0xe0 && p[1] < 0xa0) ||   /* overlong */
            (c == 0xed && p[1] > 0x9f) ||   /* surrogates */
            (c == 0xf0 && p[1] < 0x90) ||   /* overlong */
            (c == 0xf4 && p[1] > 0x8f))     /* beyond U+10FFFF */
                return 0;
        if (c == 0xc2 && p[1] < 0xa0)
                return 0;  /* U+0080..U+009F: the C1 controls (0x9b is CSI) */
        return n;
}

char *escape_untrusted(const char *s) {
        const unsigned char *p = (const unsigned char *) (s ? s : "");
        char *buf, *out;

        /* at most 4 characters out per byte in */
        buf = out = malloc(strlen((const char *) p) * 4 + 1);
        if (!buf)
                return NULL;

        while (*p) {
                size_t n = utf8_printable_len(p);

                if (n > 0 && *p != '\\') {
                        memcpy(out, p, n);
                        out += n;
                        p += n;
                        continue;
                }
                switch (*p) {
                case '\\': out = stpcpy(out, "\\\\"); break;
                case '\n': out = stpcpy(out, "\\n"); break;
                case '\t': out = stpcpy(out, "\\t"); break;
                case '\r': out = stpcpy(out, "\\r"); break;
                default:
                        out += sprintf(out, "\\x%02x", *p);
                }
                p++;
        }
        *out = '\0';
        return buf;
}
