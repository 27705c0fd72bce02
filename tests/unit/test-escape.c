/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "escape.h"
#include "macro.h"

static void check(const char *in, const char *expected) {
        _cleanup_free_ char *out = escape_untrusted(in);

        assert_non_null(out);
        assert_string_equal(out, expected);
}

static void test_plain_text_unchanged(void **state) {
        check("backup", "backup");
        check("copying the disks: 3/5 done (50%)", "copying the disks: 3/5 done (50%)");
        check("", "");
        check(NULL, "");
        /* printable UTF-8 of every length stays */
        check("Sicherung läuft – 备份 🙂", "Sicherung läuft – 备份 🙂");
        check("\xc2\xa0", "\xc2\xa0");  /* U+00A0, the first printable after C1 */
}

static void test_controls_escaped(void **state) {
        check("line\nbreak", "line\\nbreak");
        check("tab\there\r", "tab\\there\\r");
        /* an OSC that would retitle the window, a CSI that would clear the screen */
        check("\x1b]0;owned\x07", "\\x1b]0;owned\\x07");
        check("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H");
        check("del\x7f", "del\\x7f");
        check("\x01\x1f", "\\x01\\x1f");
        /* the backslash too, so the escaped text reads back unambiguously */
        check("a\\x1b", "a\\\\x1b");
}

static void test_c1_and_bad_utf8_escaped(void **state) {
        check("\xc2\x9b" "31m", "\\xc2\\x9b31m");      /* U+009B, CSI */
        check("\xc2\x80", "\\xc2\\x80");
        check("\x9b" "2J", "\\x9b2J");                 /* a lone 8-bit CSI byte */
        check("\xc3", "\\xc3");                       /* truncated at the end */
        check("\xc3(", "\\xc3(");                     /* bad continuation */
        check("\xe2\x82", "\\xe2\\x82");               /* truncated 3-byte form */
        check("\xc0\xaf", "\\xc0\\xaf");               /* overlong '/' */
        check("\xe0\x80\xaf", "\\xe0\\x80\\xaf");       /* overlong */
        check("\xed\xa0\x80", "\\xed\\xa0\\x80");       /* a surrogate */
        check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* beyond U+10FFFF */
        check("\xff\xfe", "\\xff\\xfe");
}

static void test_output_has_no_controls(void **state) {
        char in[256];

        /* every byte value once: nothing below 0x20, no DEL, no C1 out */
        for (int i = 1; i < 256; i++)
                in[i - 1] = (char) i;
        in[255] = '\0';

        _cleanup_free_ char *out = escape_untrusted(in);
        assert_non_null(out);
        for (const unsigned char *p = (const unsigned char *) out; *p; p++) {
                assert_true(*p >= 0x20);
                assert_true(*p != 0x7f);
                assert_false(p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_text_unchanged),
                cmocka_unit_test(test_controls_escaped),
                cmocka_unit_test(test_c1_and_bad_utf8_escaped),
                cmocka_unit_test(test_output_has_no_controls),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
