/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the controller knows of each node it put to sleep, one JSON file per
 * node in the state directory (/var/lib/hostpm/slurm/<node>.json):
 *
 *   {"node": "node01",
 *    "wake": {"mac": "…", "source": "capabilities" | "neighbour",
 *             "interface": "…", "wol_supported": "…", "wol_enabled": "…", "usec": …},
 *    "suspend": {"result": "scheduled" | "failed", "usec": …, "requested_usec": …, "id": "…",
 *                "target": "mem", "suspend_usec": …, "alarm_usec": …,
 *                "status": "…", "error": "…"},
 *    "resume": {"result": "sent" | "failed", "usec": …, "mac": "…",
 *               "broadcast": "…", "packets": N, "error": "…"},
 *    "resume_failed": {"usec": …, "error": "…"}}
 *
 * Each section is replaced as a whole when its step runs again; "usec" is
 * when (CLOCK_REALTIME), "requested_usec" when Slurm called the program. Written atomically: a reader sees the old file or
 * the new one. */

#include <json-c/json.h>

#include "macro.h"

/* Whether name may name a record: a Slurm node name, no '/', no leading
 * '.'. */
bool node_record_name_valid(const char *name);

/* The record, or a new one ({"node": name}) if there is none. -EBADMSG if
 * the file is not a record. */
int node_record_load(const char *dir, const char *node, json_object **ret);

/* Replaces section (an object, ownership taken) and writes the record. */
int node_record_update(const char *dir, const char *node, const char *section, json_object *value);

/* What to add to the error of a failed update: for a directory that is
 * missing or not SlurmUser's, how to make it; "" otherwise. */
const char *node_record_hint(int error);

/* A string in a section, or NULL. */
const char *node_record_get_string(json_object *record, const char *section, const char *key);
uint64_t node_record_get_u64(json_object *record, const char *section, const char *key);
