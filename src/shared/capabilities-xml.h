/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The capabilities document: libvirt's <power_management> block inside
 * <capabilities><host>, and hostpm's detail in sibling elements described by
 * data/hostpm-capabilities.rng. The same document is hostpmd's
 * GetCapabilities() reply, so it is parsed back here too. */

#include "capabilities.h"

/* A NUL-terminated, indented document; the caller frees it. */
int capabilities_to_xml(const Capabilities *c, char **ret);

/* Parses a document made by capabilities_to_xml(). -EBADMSG when it is not
 * one. */
int capabilities_from_xml(const char *xml, Capabilities *ret);
