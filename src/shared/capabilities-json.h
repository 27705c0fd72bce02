/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The capabilities as JSON, for scripts: the same content as the XML. */

#include "capabilities.h"

int capabilities_to_json(const Capabilities *c, char **ret);
