/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "outcome.h"

/* Adds the finished request to the history in the state directory. Losing
 * an entry is bad but must not change how the request ends: failures are
 * logged, never returned. */
void sleep_history_record(const Outcome *o);
