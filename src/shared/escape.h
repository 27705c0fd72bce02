/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Text that other users control (an inhibitor's who and why, a D-Bus
 * error's message, a request id read off the bus) made safe to print on a
 * terminal: nothing in it can move the cursor, retitle the window or start
 * an escape sequence. */

/* A copy of s (NULL: "") in which every byte a terminal could act on is
 * written out: C0 controls and DEL as \n, \t, \r or \xNN, C1 controls
 * (U+0080..U+009F) and bytes that are not UTF-8 as \xNN per byte, and the
 * backslash as \\, so the result reads back unambiguously. Printable
 * UTF-8 stays as it is. NULL only when out of memory. */
char *escape_untrusted(const char *s);
