/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* logind's part of the capabilities: its four Can*() asked at once, one
 * round trip in all. Only hostpmd asks logind; the CLI reads hostpmd's
 * document (capabilities-xml.h). */

#include <systemd/sd-bus.h>

#include "capabilities.h"

#define LOGIND_CAPABILITIES_TIMEOUT_USEC (5 * USEC_PER_SEC)

/* The bound on logind's answer: LOGIND_CAPABILITIES_TIMEOUT_USEC, or
 * HOSTPM_LOGIND_TIMEOUT_USEC in a test build (read once). */
uint64_t logind_capabilities_timeout_usec(void);

typedef struct LogindQuery LogindQuery;

/* Called exactly once unless the query is cancelled first, with
 * c->query_error set if logind could not be asked. c (targets[] and the
 * error only) belongs to the query: copy what you keep. */
typedef void (*logind_query_done_t)(const Capabilities *c, void *userdata);

/* The query frees itself after calling done; logind_query_cancel() frees
 * it before. */
int logind_query_async(sd_bus *bus, uint64_t timeout_usec, logind_query_done_t done, void *userdata,
                       LogindQuery **ret);
void logind_query_cancel(LogindQuery *q);
