/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-suspend --metrics: the history's totals, the last wake and the
 * wake alarm's state in Prometheus' text exposition format, for
 * node_exporter's textfile collector. */

#include <stdio.h>
#include <systemd/sd-bus.h>

#include "capabilities.h"
#include "history.h"

/* Everything the metrics say, from hostpmd's answers (rtc may be NULL: the
 * wake alarm's state is then left out). */
int metrics_write(FILE *f, const History *h, const RtcInfo *rtc);

/* To stdout, or with output_path replaces that file atomically (a
 * temporary file in its directory, then rename), so the collector never
 * reads half of it. */
int verb_metrics(sd_bus *bus, const char *output_path);
