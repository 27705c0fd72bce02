#!/usr/bin/python3
'''A D-Bus client for the integration tests, run as its own process (so a
test can run it as another user, and many at once):

    busclient.py '{"calls": [...], "ping": bool, "connections": bool, "timeout": s}'

Sends every call at once (on a connection of its own each if
"connections"); a call is {"method", "signature", "args"} and optionally
"destination", "path", "interface" (default: hostpmd's Manager) and
"interactive" (the allow-interactive-authorization flag). Arguments go out
with the given signature as they are, so wrong types reach hostpmd as sent.
With "ping" it then pings hostpmd on every connection and prints
{"ready": true} once all pings are answered (hostpmd reads a connection's
messages in order: by then it has seen every call).

Prints {"pid", "uid", "senders", "results"} when every call is answered; a
result is {"reply": [...]} or {"error": name, "message": text}. Needs only
dbus-python and GLib: hostpmtest.Client runs it.
'''

import json
import os
import sys

import dbus
import dbus.lowlevel
import dbus.mainloop.glib
from gi.repository import GLib

HOSTPM_BUS = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'


def plain(value):
    '''dbus-python values as JSON-able Python values.'''
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


def run(spec):
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    address = os.environ['DBUS_SYSTEM_BUS_ADDRESS']
    calls = spec['calls']
    buses = [dbus.bus.BusConnection(address) for _ in range(len(calls) if spec.get('connections') else 1)]
    results = [None] * len(calls)
    loop = GLib.MainLoop()
    left = {'calls': len(calls), 'pings': len(buses) if spec.get('ping') else 0}

    def answered(i, reply):
        if isinstance(reply, dbus.lowlevel.ErrorMessage):
            args = reply.get_args_list()
            results[i] = {'error': reply.get_error_name(), 'message': str(args[0]) if args else ''}
        else:
            results[i] = {'reply': plain(reply.get_args_list())}
        left['calls'] -= 1
        if left['calls'] == 0:
            loop.quit()

    def pinged(*_):
        left['pings'] -= 1
        if left['pings'] == 0:
            print(json.dumps({'ready': True}), flush=True)

    for i, c in enumerate(calls):
        bus = buses[i % len(buses)]
        message = dbus.lowlevel.MethodCallMessage(c.get('destination', HOSTPM_BUS), c.get('path', HOSTPM_PATH),
                                                  c.get('interface', HOSTPM_IFACE), c['method'])
        if c['signature']:
            message.append(*c['args'], signature=c['signature'])
        message.set_allow_interactive_authorization(bool(c.get('interactive')))
        bus.send_message_with_reply(message, lambda reply, i=i: answered(i, reply),
                                    spec.get('timeout', 60), require_main_loop=True)
    if spec.get('ping'):
        for bus in buses:
            bus.call_async(HOSTPM_BUS, HOSTPM_PATH, 'org.freedesktop.DBus.Peer', 'Ping', '', (),
                           pinged, lambda e: print(json.dumps({'ping_error': str(e)}), flush=True))
    if calls:
        loop.run()
    print(json.dumps({'pid': os.getpid(), 'uid': os.getuid(), 'senders': [str(b.get_unique_name()) for b in buses],
                      'results': results}), flush=True)


if __name__ == '__main__':
    run(json.loads(sys.argv[1]))
