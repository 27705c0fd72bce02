/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-netinfo: the network interfaces' MACs and Wake-on-LAN, for
 * hostpmd's capabilities. Reading Wake-on-LAN needs CAP_NET_ADMIN in the
 * host's network namespace (the answer carries the SecureOn password);
 * hostpmd, which anyone on the bus may call, keeps neither. So systemd
 * starts this per connection on hostpm-netinfo.socket (Accept=yes), with
 * the connection as stdout: it prints the list as JSON and exits. It reads
 * nothing, so there is nothing to feed it. */

#include <json-c/json.h>

#include "json-util.h"
#include "log.h"
#include "net-interfaces.h"

int main(int argc, char *argv[]) {
        _cleanup_(net_interfaces_done) NetInterfaces n = {0};
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        log_set_program_name(program_invocation_short_name);
        log_setup();
        if (argc > 1) {
                log_error("This program takes no arguments; systemd runs it for hostpmd.");
                return 2;
        }

        r = net_interfaces_read(&n);
        if (r < 0) {
                log_warning("Failed to read the network interfaces: %s", STRERROR(r));
                if (net_interfaces_set_error(&n, r, NULL) < 0)
                        return log_oom(), 1;
        }
        o = net_interfaces_to_json(&n);
        if (!o)
                return log_oom(), 1;
        if (puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
            fflush(stdout) != 0)
                return log_error("Failed to write the answer: %s", STRERROR(errno)), 1;
        return 0;
}
