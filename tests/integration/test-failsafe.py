#!/usr/bin/python3
'''hostpm fails safe (issue 4): bad input of every kind, faults of the
services around it, memcheck, and the audit trail.

Every case runs in the test bed (testbed.py), with hostpmd D-Bus activated
from the project's unit, and checks what DESIGN.md promises for bad input
and faults:

  * the exact D-Bus error name or CLI exit status, and a message that names
    the problem;
  * no unit created in the systemd manager (its UnitNew signals are watched
    for hostpm-suspend.*, so even a unit made and dropped again is seen) and
    nothing left behind (ListUnitsByPatterns);
  * no wake alarm written: the fake RTC's wakealarm keeps its inode, mtime
    and content (or, where the helper ran, every write it made is known);
  * hostpmd still answers the next request and is the same process (no
    crash, no restart) -- except for bad configuration, where it must refuse
    to start and the CLI must say where to look;
  * refusals come before polkit: nobody is asked to authenticate for a
    request that is refused anyway;
  * every decision leaves a structured journal entry (MESSAGE_ID, HOSTPM_*
    fields) naming the caller's uid and pid.

Clients run as an unprivileged user (uid 65534) unless a case says
otherwise, so the journal entries name a uid other than the test's and
polkit is really consulted. D-Bus clients are this script re-executed with
--client (dbus-python with explicit signatures, so wrong argument types
reach hostpmd as sent).

The tables below are one meson test per row (failsafe-<table>-<row>); the
other cases are one meson test each. test-load.py reuses the helpers here.
'''

import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import time

THIS = os.path.abspath(__file__)

HOSTPM_BUS = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'
SYSTEMD_BUS = 'org.freedesktop.systemd1'
SYSTEMD_PATH = '/org/freedesktop/systemd1'
SYSTEMD_IFACE = 'org.freedesktop.systemd1.Manager'
E = 'org.hostpm1.Error.'
INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
NO_REPLY = 'org.freedesktop.DBus.Error.NoReply'

NOBODY = 65534
USEC = 1_000_000
HOUR = 3600 * USEC
ACTIONS = ['org.hostpm1.suspend', 'org.hostpm1.cancel', 'org.hostpm1.ignore-inhibitors']
CAN_METHODS = ('CanSuspend', 'CanHibernate', 'CanHybridSleep', 'CanSuspendThenHibernate')
SLEEP_VERBS = {v + f for v in ('Suspend', 'Hibernate', 'HybridSleep', 'SuspendThenHibernate')
               for f in ('', 'WithFlags')}
UNIT_PATTERN = 'hostpm-suspend.*'

# For cases that let the timer fire: a short delay and short sleeps.
FAST_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=1s\n'
# Cases that fire the helper by hand schedule with this delay, so the timer
# itself never fires during the test.
NEVER = 3600 * USEC

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CAPS_UNKNOWN, EXIT_NOT_AUTHORIZED = 0, 1, 2, 3, 4
EXIT_BUSY, EXIT_REFUSED, EXIT_NOTHING_PENDING, EXIT_TOO_LATE, EXIT_SLEEP_FAILED = 5, 6, 7, 8, 9


#
# The client: this script re-executed as another user (outside the bed's
# main(), before testbed is imported)
#

def _plain(value):
    '''dbus-python values as JSON-able Python values.'''
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


def client_main(spec):
    '''Sends spec['calls'] at once, each on a connection of its own if
    spec['connections'] says so; if spec['ping'], then pings hostpmd on
    every connection and prints {"ready": true} once all pings are answered
    (hostpmd reads a connection's messages in order: by then it has seen
    every call). Prints {"pid", "uid", "results"} when all calls are
    answered; a result is {"reply": [...]} or {"error": name, "message": m}.'''
    import dbus
    import dbus.mainloop.glib
    from gi.repository import GLib

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    address = os.environ['DBUS_SYSTEM_BUS_ADDRESS']
    calls = spec['calls']
    buses = [dbus.bus.BusConnection(address)
             for _ in range(len(calls) if spec.get('connections') else 1)]
    results = [None] * len(calls)
    loop = GLib.MainLoop()
    left = {'calls': len(calls), 'pings': len(buses) if spec.get('ping') else 0}

    def answered(i, result):
        results[i] = result
        left['calls'] -= 1
        if left['calls'] == 0:
            loop.quit()

    def pinged(*_):
        left['pings'] -= 1
        if left['pings'] == 0:
            print(json.dumps({'ready': True}), flush=True)

    for i, c in enumerate(calls):
        bus = buses[i % len(buses)]
        bus.call_async(c.get('destination', HOSTPM_BUS), c.get('path', HOSTPM_PATH),
                       c.get('interface', HOSTPM_IFACE), c['method'], c['signature'], c['args'],
                       lambda *reply, i=i: answered(i, {'reply': _plain(reply)}),
                       lambda e, i=i: answered(i, {'error': e.get_dbus_name(),
                                                   'message': e.get_dbus_message()}),
                       timeout=spec.get('timeout', 60))
    if spec.get('ping'):
        for bus in buses:
            bus.call_async(HOSTPM_BUS, HOSTPM_PATH, 'org.freedesktop.DBus.Peer', 'Ping', '', (),
                           pinged, lambda e: print(json.dumps({'ping_error': str(e)}), flush=True))
    loop.run()
    print(json.dumps({'pid': os.getpid(), 'uid': os.getuid(), 'results': results}), flush=True)


if __name__ == '__main__' and len(sys.argv) == 3 and sys.argv[1] == '--client':
    client_main(json.loads(sys.argv[2]))
    sys.exit(0)


# pylint: disable=wrong-import-position
import testbed
from testbed import BedError, check, check_equal, wait_for

try:
    import dbus
except ImportError:  # the outer copy; only the bed needs dbus
    dbus = None


#
# Setting up
#

def call_spec(method, signature='', args=(), **extra):
    return dict(extra, method=method, signature=signature, args=list(args))


def install(bed, config=None, dropins=None, env=None):
    '''What every case needs before the manager starts: hostpmd installed
    (with the build's helper and every hardening setting, of its unit and
    of the transient service), the configuration, and seams (set after
    install_hostpmd(), which sets its own HOSTPM_SLEEP_PATH).'''
    bed.install_hostpmd()
    if config is not None:
        write(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), config)
    for name, text in (dropins or {}).items():
        write(os.path.join(bed.hostpm_config_dir, 'hostpm.conf.d', name), text)
    bed.setenv(**(env or {}))


def start(bed, logind=None, polkit=ACTIONS, rtc=None, config=None, dropins=None, env=None):
    '''install(), then the bed with logind (a dict of mock parameters;
    None: the defaults, all "yes"; False: no logind) and dbusmock's stock
    polkitd allowing `polkit` (None: no polkit).'''
    install(bed, config, dropins, env)
    bed.start(logind=None if logind is False else dict(logind or {}), rtc=rtc)
    start_rtc_clock(bed)
    if polkit is not None:
        start_polkit(bed, polkit)
    os.chmod(bed.runtime_dir, 0o711)  # unprivileged clients reach the bus (its socket is 0666)
    return Watch(bed)


def start_polkit(bed, allowed):
    '''dbusmock's own polkitd template: it can hang (SimulateHang), which a
    test of "polkit never answers" needs.'''
    mock = bed.start_mock('polkitd', 'polkitd', 'org.freedesktop.PolicyKit1',
                          '/org/freedesktop/PolicyKit1/Authority')
    mock.control.SetAllowed(dbus.Array(allowed, signature='s'))
    return mock


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(text.encode() if isinstance(text, str) else text)
    os.chmod(path, mode)


def log(bed, text):
    with open(os.path.join(bed.logs_dir, 'failsafe.log'), 'a', encoding='utf-8') as f:
        f.write(f'{time.strftime("%H:%M:%S")} {text}\n')


#
# Clients
#

class Client:
    '''An unprivileged D-Bus client (this script with --client) running in
    the background; result() waits for its answers.'''

    def __init__(self, bed, calls, uid=NOBODY, ping=False, connections=False, timeout=60):
        self.bed = bed
        spec = {'calls': calls, 'ping': ping, 'connections': connections, 'timeout': timeout}
        argv = [testbed.PYTHON, THIS, '--client', json.dumps(spec)]
        if uid != 0:
            argv = ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--'] + argv
        self.popen = subprocess.Popen(argv, env=bed.env, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.pid = self.popen.pid  # setpriv execs: the same process
        log(bed, f'client {self.pid} (uid {uid}): {json.dumps(calls)}')

    def wait_ready(self, timeout=testbed.STARTUP_TIMEOUT):
        readable, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline() if readable else ''
        if json.loads(line or '{}').get('ready') is not True:
            raise BedError(f'client {self.pid} did not get ready: {line!r}')

    def result(self, timeout=60):
        try:
            out, err = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            self.popen.kill()
            raise BedError(f'client {self.pid} still waiting for hostpmd after {timeout} s') from e
        log(self.bed, f'client {self.pid} exited {self.popen.returncode}: {out.strip()} {err.strip()}')
        lines = [line for line in out.splitlines() if line.startswith('{"pid"')]
        if self.popen.returncode != 0 or not lines:
            raise BedError(f'client {self.pid} failed (status {self.popen.returncode}): {err.strip()}')
        return json.loads(lines[-1])


def call_as(bed, calls, uid=NOBODY):
    '''Calls in one go as `uid`; returns (pid, results).'''
    r = Client(bed, calls, uid).result()
    return r['pid'], r['results']


def root_call(bed, method, signature='', args=(), interface=HOSTPM_IFACE, timeout=30):
    '''A call from the test itself (uid 0: polkit is not asked).'''
    return bed.bus.call_blocking(HOSTPM_BUS, HOSTPM_PATH, interface, method, signature, list(args),
                                 timeout=timeout)


def dbus_error(fn):
    '''(name, message) of the D-Bus error fn() raised; None if it did not.'''
    try:
        fn()
    except dbus.exceptions.DBusException as e:
        return e.get_dbus_name(), e.get_dbus_message()
    return None


def run_cli(bed, args, uid=NOBODY, timeout=60, env=None):
    '''The CLI as `uid`; returns (pid, CompletedProcess).'''
    argv = [bed.cli, *args]
    if uid != 0:
        argv = ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--'] + argv
    started = time.monotonic()
    with subprocess.Popen(argv, env=dict(bed.env, **(env or {})), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            p.kill()
            raise BedError(f'{argv} did not finish within {timeout} s') from e
    log(bed, f'$ {" ".join(argv)}\n# pid {p.pid}, exit status {p.returncode} after '
             f'{time.monotonic() - started:.3f} s\n# stdout:\n{out}# stderr:\n{err}')
    return p.pid, subprocess.CompletedProcess(argv, p.returncode, out, err)


#
# What the bed's services say
#

def systemd(bed):
    return dbus.Interface(bed.bus.get_object(SYSTEMD_BUS, SYSTEMD_PATH), SYSTEMD_IFACE)


def hostpm_units(bed):
    '''[(name, load, active, sub)] of hostpm-suspend.* loaded in the manager.'''
    return sorted((str(u[0]), str(u[2]), str(u[3]), str(u[4]))
                  for u in systemd(bed).ListUnitsByPatterns([], [UNIT_PATTERN]))


def unit_properties(bed, unit, interface, *names):
    path = systemd(bed).LoadUnit(unit)
    props = dbus.Interface(bed.bus.get_object(SYSTEMD_BUS, path), 'org.freedesktop.DBus.Properties')
    return {n: _plain(props.Get(interface, n)) for n in names}


def hostpmd_state(bed):
    '''(ActiveState, MainPID, NRestarts) of hostpmd.service.'''
    p = unit_properties(bed, 'hostpmd.service', 'org.freedesktop.systemd1.Unit', 'ActiveState')
    p.update(unit_properties(bed, 'hostpmd.service', 'org.freedesktop.systemd1.Service',
                             'MainPID', 'NRestarts'))
    return p['ActiveState'], p['MainPID'], p['NRestarts']


def hostpm_properties(bed):
    props = dbus.Interface(bed.bus.get_object(HOSTPM_BUS, HOSTPM_PATH), 'org.freedesktop.DBus.Properties')
    return _plain(props.GetAll(HOSTPM_IFACE))


class Watch:
    '''What a case must not leave: units named hostpm-suspend.* (seen
    through the manager's UnitNew signals, so a unit created and dropped
    again counts too) and writes to the fake wakealarm.'''

    def __init__(self, bed):
        self.bed = bed
        self.units = []
        bed.bus.add_signal_receiver(self._unit_new, 'UnitNew', SYSTEMD_IFACE, SYSTEMD_BUS, SYSTEMD_PATH)
        systemd(bed).Subscribe()
        self.alarm = self.alarm_state()

    def _unit_new(self, name, _path):
        if re.fullmatch(r'hostpm-suspend\..*', str(name)):
            self.units.append(str(name))

    def created(self):
        '''Units created so far: a call to the manager returns after every
        signal it sent before; dispatch those first.'''
        systemd(self.bed).ListUnitsByPatterns([], [UNIT_PATTERN])
        dispatch()
        return list(self.units)

    def alarm_state(self):
        '''(type, inode, mtime, content) of wakealarm; None if absent.'''
        try:
            st = os.lstat(self.bed.wakealarm_path)
        except FileNotFoundError:
            return None
        content = None
        if stat.S_ISREG(st.st_mode):
            with open(self.bed.wakealarm_path, encoding='ascii', errors='replace') as f:
                content = f.read()
        return (stat.S_IFMT(st.st_mode), st.st_ino, st.st_mtime_ns, content)

    def check_nothing_made(self, what):
        check_equal(self.created(), [], f'{what}: units created in the manager')
        self.check_nothing_left(what)
        check_equal(self.alarm_state(), self.alarm, f'{what}: the wake alarm (type, inode, mtime, content)')

    def check_nothing_left(self, what):
        check_equal(hostpm_units(self.bed), [], f'{what}: hostpm-suspend.* units left in the manager')


def dispatch():
    '''Runs the handlers of every signal received so far.'''
    context = testbed.GLib.MainContext.default()
    while context.iteration(False):
        pass


def check_daemon_answers(bed, pid, what):
    '''hostpmd answers the next request, and is still process `pid`.'''
    xml = str(root_call(bed, 'GetCapabilities'))
    check(xml.startswith('<?xml') and '<wake_alarm' in xml,
          f'{what}: the next GetCapabilities() gave no capabilities document:\n{xml}')
    state = hostpmd_state(bed)
    check_equal(state, ('active', pid, 0), f'{what}: hostpmd.service (ActiveState, MainPID, NRestarts)')


def polkit_asked(bed):
    mock = bed.mocks.get('polkitd')
    return [args for name, args in mock.calls('CheckAuthorization')] if mock else []


def sleep_calls(bed):
    return [name for name, _args in bed.mocks['logind'].calls() if name in SLEEP_VERBS]


def can_calls(bed):
    return [name for name, _args in bed.mocks['logind'].calls() if name in CAN_METHODS]


#
# The audit trail
#

_MESSAGE_IDS = None


def message_id(bed, kind):
    '''MESSAGE_ID of an event kind (SCHEDULED, REFUSED, ...), read from
    journal-event.h so the tests and the code cannot drift apart.'''
    global _MESSAGE_IDS  # pylint: disable=global-statement
    if _MESSAGE_IDS is None:
        with open(bed.path('src', 'shared', 'journal-event.h'), encoding='utf-8') as f:
            _MESSAGE_IDS = dict(re.findall(r'#define HOSTPM_MESSAGE_(\w+)\s+"(\w+)"', f.read()))
    return _MESSAGE_IDS[kind]


def decision(bed, kind, uid, pid, timeout=10, **fields):
    '''Waits for the one journal entry of `kind` naming requester uid and
    pid (and these fields); returns it.'''
    match = dict(MESSAGE_ID=message_id(bed, kind), HOSTPM_REQUESTER_UID=str(uid),
                 HOSTPM_REQUESTER_PID=str(pid), **fields)
    try:
        entries = wait_for(lambda: bed.journal.find(**match), f'a {kind} journal entry', timeout)
    except BedError as e:
        ours = [{k: v for k, v in x.items() if k.startswith(('HOSTPM_', 'MESSAGE'))}
                for x in bed.journal.find() if x.get('MESSAGE_ID') in _MESSAGE_IDS.values()]
        raise AssertionError(f'no {kind} journal entry with {match}; hostpm entries: {ours}') from e
    check_equal(len(entries), 1, f'{kind} entries for uid {uid} pid {pid}')
    entry = entries[0]
    check(entry.get('MESSAGE'), f'{kind} entry without MESSAGE: {entry}')
    if kind in ('REFUSED', 'DENIED', 'FAILED'):
        check(entry.get('HOSTPM_ERROR'), f'{kind} entry does not say why: {entry}')
    return entry


#
# The bad-input matrix
#

class Bad:
    '''One row: a call (or a CLI command line), what it must get, and the
    bed it runs in.'''

    def __init__(self, call, expect, says, config=None, logind=None, rtc=None, env=None,
                 journal=True, reaches_daemon=True, uid=NOBODY):
        self.call = call              # call_spec(), a function of now (usec) giving one, or argv
        self.expect = expect          # a D-Bus error name, or a CLI exit status
        self.says = says              # what the message must contain
        self.config = config
        self.logind = logind
        self.rtc = rtc
        self.env = env
        self.journal = journal        # a refusal entry naming the caller is due
        self.reaches_daemon = reaches_daemon  # CLI: False when refused by the CLI itself
        self.uid = uid                # who calls


def now_usec():
    return int(time.time() * USEC)


def _check_says(text, says, what):
    for s in says:
        check(s in text, f'{what} does not name {s!r}: {text!r}')


def dbus_row(name, row):
    def test(bed):
        watch = start(bed, logind=row.logind, rtc=row.rtc, config=row.config, env=row.env)
        root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')  # activates hostpmd
        _state, pid, _restarts = hostpmd_state(bed)
        call = row.call(now_usec()) if callable(row.call) else row.call
        client, (result,) = call_as(bed, [call], uid=row.uid)
        check_equal(result.get('error'), row.expect, f'{name}: the error of {call} (result {result})')
        _check_says(result['message'], row.says, f'{name}: the error message')
        watch.check_nothing_made(name)
        check_equal(polkit_asked(bed), [], f'{name}: polkit asked before the refusal')
        if row.journal:
            entry = decision(bed, 'REFUSED', row.uid, client)
            check_equal(entry['HOSTPM_ERROR'], result['message'], f'{name}: HOSTPM_ERROR of the refusal')
            # (what the caller sent cannot forge fields: target-with-newline)
            check_equal(entry['HOSTPM_RESULT'], 'refused', f'{name}: HOSTPM_RESULT of the refusal')
        check_daemon_answers(bed, pid, name)
    return test


def cli_row(name, row):
    def test(bed):
        watch = start(bed, logind=row.logind, rtc=row.rtc, config=row.config, env=row.env)
        args = row.call(now_usec()) if callable(row.call) else row.call
        client, r = run_cli(bed, ['--no-ask-password', *args])
        check_equal(r.returncode, row.expect, f'{name}: exit status of {args} (stderr {r.stderr!r})')
        check_equal(r.stdout, '', f'{name}: stdout')
        check(r.stderr.startswith('hostpm-suspend: '), f'{name}: stderr does not say who: {r.stderr!r}')
        _check_says(r.stderr, row.says, f'{name}: stderr')
        state, pid, _restarts = hostpmd_state(bed)
        if not row.reaches_daemon:
            # refused by the CLI itself: not even the activation of hostpmd
            check_equal(state, 'inactive', f'{name}: hostpmd.service after a command line refused by the CLI')
            root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
            _state, pid, _restarts = hostpmd_state(bed)
        watch.check_nothing_made(name)
        check_equal(polkit_asked(bed), [], f'{name}: polkit asked before the refusal')
        if row.reaches_daemon and row.journal:
            decision(bed, 'REFUSED', NOBODY, client)
        check_daemon_answers(bed, pid, name)
    return test


def _schedule(target='mem', duration=600 * USEC, delay=0, flags=0):
    return call_spec('ScheduleSuspend', 'sttt', [target, duration, delay, flags])


def _until(wake, target='mem', delay=0, flags=0):
    return call_spec('ScheduleSuspendUntil', 'sttt', [target, wake, delay, flags])


TARGETS = 'mem, disk, hybrid, suspend-then-hibernate'
RANGE = 'expected 1min to 23h'

DBUS_ROWS = {
    'target-unknown': Bad(_schedule('standby'), E + 'InvalidTarget', ["'standby'", TARGETS]),
    'target-empty': Bad(_schedule(''), E + 'InvalidTarget', ["''", TARGETS]),
    'target-uppercase': Bad(_schedule('MEM'), E + 'InvalidTarget', ["'MEM'"]),
    # refused before the caller's string reaches a message or the journal
    'target-long': Bad(_schedule('x' * 4096), E + 'InvalidTarget', ['longer than 32 bytes', TARGETS]),
    'target-with-newline': Bad(_schedule('mem\nHOSTPM_RESULT=scheduled'), E + 'InvalidTarget',
                               ["'mem\nHOSTPM_RESULT=scheduled'"]),
    'target-not-allowed': Bad(_schedule('mem'), E + 'UnsupportedTarget', ["'mem'", 'AllowedTargets='],
                              config='[Suspend]\nAllowedTargets=disk hybrid\n'),
    'target-unsupported-by-host': Bad(_schedule('disk'), E + 'UnsupportedTarget', ["'disk'", "'na'"],
                                      logind={'CanHibernate': 'na'}),
    'duration-zero': Bad(_schedule(duration=0), E + 'DurationOutOfRange', ['0s', RANGE]),
    'duration-below-minimum': Bad(_schedule(duration=60 * USEC - 1), E + 'DurationOutOfRange',
                                  ['59s 999ms 999us', RANGE]),
    'duration-above-maximum': Bad(_schedule(duration=23 * HOUR + 1), E + 'DurationOutOfRange',
                                  ['23h 1us', RANGE]),
    'duration-uint64-max': Bad(_schedule(duration=2**64 - 1), E + 'DurationOutOfRange', [RANGE]),
    'duration-above-configured-maximum': Bad(_schedule(duration=2 * HOUR), E + 'DurationOutOfRange',
                                             ['2h', 'expected 1min to 1h'],
                                             config='[Suspend]\nMaximumDuration=1h\n'),
    'until-zero': Bad(_until(0), E + 'WakeTimeInPast', ['1970-01-01', 'is not after the suspend']),
    'until-past': Bad(lambda now: _until(now - HOUR), E + 'WakeTimeInPast', ['is not after the suspend']),
    'until-at-suspend': Bad(lambda now: _until(now + 5 * USEC), E + 'WakeTimeInPast',
                            ['is not after the suspend']),
    'until-too-close': Bad(lambda now: _until(now + 30 * USEC), E + 'DurationOutOfRange',
                           ['Waking at that time', RANGE]),
    'until-beyond-rtc': Bad(lambda now: _until(now + 48 * HOUR), E + 'DurationOutOfRange',
                            ['Waking at that time', RANGE]),
    'until-uint64-max': Bad(_until(2**64 - 1), E + 'DurationOutOfRange', [RANGE]),
    'flags-unknown-bit': Bad(_schedule(flags=4), E + 'InvalidFlags', ['0x4', 'accepted are 0x3']),
    'flags-high-bit': Bad(_schedule(flags=1 << 63), E + 'InvalidFlags', ['0x8000000000000000']),
    'flags-all-bits': Bad(_schedule(flags=2**64 - 1), E + 'InvalidFlags', ['0xfffffffffffffffc']),
    'flags-unknown-with-until': Bad(lambda now: _until(now + HOUR, flags=8), E + 'InvalidFlags', ['0x8']),
    'delay-too-short': Bad(_schedule(delay=USEC - 1), INVALID_ARGS,
                           ['Delay of 999ms 999us is out of range', 'expected 1s to 1d']),
    'delay-too-long': Bad(_schedule(delay=24 * HOUR + 1), INVALID_ARGS,
                          ['Delay of 1d 1us is out of range', 'expected 1s to 1d']),
    # hostpmd reads the RTC before anyone is asked for a password
    'rtc-missing': Bad(_schedule(), E + 'NoWakeAlarm', ['RTC rtc0 has no wake alarm'],
                       rtc={'present': False}),
    'rtc-no-wakealarm': Bad(_schedule(), E + 'NoWakeAlarm', ['rtc0/wakealarm'], rtc={'wakealarm': False}),
    'rtc-wakeup-disabled': Bad(_schedule(), E + 'NoWakeAlarm', ["'disabled'", 'power/wakeup'],
                               rtc={'wakeup': 'disabled'}),
    'rtc-configured-device-missing': Bad(_schedule(), E + 'NoWakeAlarm', ['RTC rtc7', 'RTCDevice='],
                                         config='[Suspend]\nRTCDevice=rtc7\n'),
    # logind cannot say what the host supports: refused, never guessed
    'logind-error': Bad(_schedule(), E + 'CapabilitiesUnknown',
                        ["'mem'", 'Access denied by the test bed', 'nothing was scheduled'],
                        logind={'CanError': 'org.freedesktop.DBus.Error.AccessDenied',
                                'CanErrorMessage': 'Access denied by the test bed'}),
    'logind-one-answer-error': Bad(_schedule('mem'), E + 'CapabilitiesUnknown', ['not this one'],
                                   logind={'CanHybridSleep': {'error': 'org.freedesktop.DBus.Error.Failed',
                                                              'message': 'not this one'}}),
    'logind-timeout': Bad(_schedule(), E + 'CapabilitiesUnknown', ["'mem'", 'logind could not be asked'],
                          logind={'CanNoReply': True}, env={'HOSTPM_LOGIND_TIMEOUT_USEC': 300000}),
    'logind-absent': Bad(_schedule(), E + 'CapabilitiesUnknown', ['org.freedesktop.login1'], logind=False),
}

# Wrong types and signatures, sent as they are: sd-bus refuses them before
# hostpmd's code runs (not a decision of hostpmd's: no journal entry).
RAW_ROWS = {
    'schedule-one-string': Bad(call_spec('ScheduleSuspend', 's', ['mem']), INVALID_ARGS,
                               ["'s'", "expecting 'sttt'"], journal=False),
    'schedule-no-arguments': Bad(call_spec('ScheduleSuspend'), INVALID_ARGS, ["expecting 'sttt'"], journal=False),
    'schedule-extra-argument': Bad(call_spec('ScheduleSuspend', 'stttt', ['mem', 600 * USEC, 0, 0, 0]),
                                   INVALID_ARGS, ["'stttt'", "expecting 'sttt'"], journal=False),
    'schedule-swapped': Bad(call_spec('ScheduleSuspend', 'tstt', [600 * USEC, 'mem', 0, 0]), INVALID_ARGS,
                            ["'tstt'"], journal=False),
    'schedule-negative-duration': Bad(call_spec('ScheduleSuspend', 'sxtt', ['mem', -600 * USEC, 0, 0]),
                                      INVALID_ARGS, ["'sxtt'", "expecting 'sttt'"], journal=False),
    'schedule-32-bit': Bad(call_spec('ScheduleSuspend', 'suuu', ['mem', 600, 0, 0]), INVALID_ARGS,
                           ["'suuu'"], journal=False),
    'schedule-double': Bad(call_spec('ScheduleSuspend', 'sdtt', ['mem', 600.0, 0, 0]), INVALID_ARGS,
                           ["'sdtt'"], journal=False),
    'schedule-variant': Bad(call_spec('ScheduleSuspend', 'vttt', ['mem', 600 * USEC, 0, 0]), INVALID_ARGS,
                            ["'vttt'"], journal=False),
    'until-string-time': Bad(call_spec('ScheduleSuspendUntil', 'ssts', ['mem', 'tomorrow', 0, '0']),
                             INVALID_ARGS, ["'ssts'", "expecting 'sttt'"], journal=False),
    # as root: others are refused GetCapabilities() altogether (see unprivileged-reads)
    'capabilities-with-argument': Bad(call_spec('GetCapabilities', 's', ['all']), INVALID_ARGS,
                                      ["'s'", "expecting ''"], journal=False, uid=0),
    'cancel-with-argument': Bad(call_spec('CancelSuspend', 'b', [True]), INVALID_ARGS, ["'b'"], journal=False),
    'unknown-method': Bad(call_spec('Suspend', 't', [600]), 'org.freedesktop.DBus.Error.UnknownMethod',
                          ['Unknown method Suspend'], journal=False),
    # (on a real system bus the policy refuses Set() first; the bed's bus lets it through)
    'set-property': Bad(call_spec('Set', 'ssv', [HOSTPM_IFACE, 'MinimumDurationUSec', 1],
                                  interface='org.freedesktop.DBus.Properties'),
                        'org.freedesktop.DBus.Error.PropertyReadOnly', ["'MinimumDurationUSec' is not writable"],
                        journal=False),
}

# The CLI: refused by its own parser (exit 2, hostpmd never even started)
# or passed on to hostpmd, whose refusal it reports.
CLI_ROWS = {
    'target-unknown': Bad(['-t', 'standby', '10min'], EXIT_USAGE, ["unknown target 'standby'", TARGETS],
                          reaches_daemon=False),
    'target-empty': Bad(['--target=', '10min'], EXIT_USAGE, ["unknown target ''"], reaches_daemon=False),
    'duration-zero': Bad(['0'], EXIT_USAGE, ['a duration of 0 is not a sleep', 'expected at least'],
                         reaches_daemon=False),
    'duration-zero-with-units': Bad(['0h 0min 0ms'], EXIT_USAGE, ['a duration of 0'], reaches_daemon=False),
    'duration-negative': Bad(['--', '-60s'], EXIT_USAGE, ["invalid duration '-60s'", 'expected a time span'],
                             reaches_daemon=False),
    'duration-negative-as-option': Bad(['-60s'], EXIT_USAGE, ["'-6'", 'see --help'], reaches_daemon=False),
    'duration-below-minimum': Bad(['59s'], EXIT_REFUSED, ['59s is out of range', RANGE]),
    'duration-above-maximum': Bad(['23h 1s'], EXIT_REFUSED, ['23h 1s is out of range', RANGE]),
    'duration-days': Bad(['2d'], EXIT_REFUSED, ['2d is out of range', RANGE]),
    'duration-overflow': Bad(['18446744073709551616'], EXIT_USAGE, ["'18446744073709551616' is too long"],
                             reaches_daemon=False),
    'duration-overflow-by-unit': Bad(['99999999999999w'], EXIT_USAGE, ['too long'], reaches_daemon=False),
    'duration-overflow-by-sum': Bad(['18446744073709s 18446744073709s'], EXIT_USAGE, ['too long'],
                                    reaches_daemon=False),
    'duration-garbage-suffix': Bad(['60sx'], EXIT_USAGE, ["invalid duration '60sx'"], reaches_daemon=False),
    'duration-unknown-unit': Bad(['5 fortnights'], EXIT_USAGE, ["invalid duration '5 fortnights'"],
                                 reaches_daemon=False),
    'duration-ambiguous': Bad(['1h 30'], EXIT_USAGE, ["invalid duration '1h 30'"], reaches_daemon=False),
    'duration-hex': Bad(['0x10'], EXIT_USAGE, ["invalid duration '0x10'"], reaches_daemon=False),
    'duration-bare-fraction': Bad(['.5h'], EXIT_USAGE, ["invalid duration '.5h'"], reaches_daemon=False),
    'duration-plus-sign': Bad(['+10min'], EXIT_USAGE, ["invalid duration '+10min'"], reaches_daemon=False),
    'duration-empty': Bad([''], EXIT_USAGE, ["invalid duration ''"], reaches_daemon=False),
    'until-past': Bad(['--until=@1000000000'], EXIT_REFUSED, ['is not after the suspend']),
    'until-too-close': Bad(lambda now: [f'--until=@{now // USEC + 30}'], EXIT_REFUSED,
                           ['Waking at that time means a sleep of', RANGE]),
    'until-beyond-rtc': Bad(lambda now: [f'--until=@{now // USEC + 2 * 86400}'], EXIT_REFUSED,
                            ['Waking at that time means a sleep of', RANGE]),
    'until-bad-clock': Bad(['--until=25:00'], EXIT_USAGE, ["invalid wake time '25:00'", 'expected HH:MM'],
                           reaches_daemon=False),
    'until-bad-date': Bad(['--until=2026-02-30 10:00'], EXIT_USAGE, ["invalid wake time '2026-02-30 10:00'"],
                          reaches_daemon=False),
    'until-empty-epoch': Bad(['--until=@'], EXIT_USAGE, ["invalid wake time '@'"], reaches_daemon=False),
    'until-word': Bad(['--until=tomorrow'], EXIT_USAGE, ["invalid wake time 'tomorrow'"], reaches_daemon=False),
    'until-overflow': Bad(['--until=@99999999999999999999'], EXIT_USAGE, ['invalid wake time'],
                          reaches_daemon=False),
    'until-and-duration': Bad(['--until=@4102444800', '10min'], EXIT_USAGE, ['either DURATION or --until'],
                              reaches_daemon=False),
    'delay-zero': Bad(['--delay=0', '10min'], EXIT_USAGE, ["invalid delay '0'", 'from 1s to 1d'],
                      reaches_daemon=False),
    'delay-garbage': Bad(['--delay=soon', '10min'], EXIT_USAGE, ["invalid delay 'soon'"], reaches_daemon=False),
    'delay-too-long': Bad(['--delay=2d', '10min'], EXIT_REFUSED, ['Delay of 2d is out of range']),
    'missing-duration': Bad([], EXIT_USAGE, ['missing DURATION'], reaches_daemon=False),
    'extra-argument': Bad(['10min', '5min'], EXIT_USAGE, ["unexpected argument '5min'"], reaches_daemon=False),
    'cancel-with-duration': Bad(['--cancel', '10min'], EXIT_USAGE, ["unexpected argument '10min'"],
                                reaches_daemon=False),
    'xml-without-capabilities': Bad(['--xml', '10min'], EXIT_USAGE, ['--xml goes with --capabilities'],
                                    reaches_daemon=False),
    'empty-host': Bad(['--host=', '10min'], EXIT_USAGE, ['empty --host'], reaches_daemon=False),
    'target-not-allowed': Bad(['-t', 'hybrid', '10min'], EXIT_REFUSED, ["'hybrid'", 'AllowedTargets='],
                              config='[Suspend]\nAllowedTargets=mem\n'),
    'rtc-missing': Bad(['10min'], EXIT_REFUSED, ['RTC rtc0 has no wake alarm'], rtc={'present': False}),
    'logind-error': Bad(['10min'], EXIT_CAPS_UNKNOWN, ['logind could not be asked', 'Denied'],
                        logind={'CanError': 'org.freedesktop.DBus.Error.AccessDenied',
                                'CanErrorMessage': 'Denied'}),
}


def busctl_row(bed):
    '''The raw call of the brief, with busctl: only a string where hostpmd
    wants four arguments.'''
    watch = start(bed)
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = hostpmd_state(bed)
    r = run_as(bed, ['busctl', 'call', HOSTPM_BUS, HOSTPM_PATH, HOSTPM_IFACE, 'ScheduleSuspend', 's', 'mem'])
    check_equal(r.returncode, 1, f'busctl exit status (stderr {r.stderr!r})')
    _check_says(r.stderr, ["Invalid arguments 's'", "expecting 'sttt'"], 'busctl stderr')
    watch.check_nothing_made('busctl')
    check_daemon_answers(bed, pid, 'busctl')


def run_as(bed, argv, uid=NOBODY, timeout=60):
    argv = ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--'] + argv
    r = subprocess.run(argv, env=bed.env, capture_output=True, text=True, timeout=timeout, check=False)
    log(bed, f'$ {" ".join(argv)}\n# exit status {r.returncode}\n# stdout:\n{r.stdout}# stderr:\n{r.stderr}')
    return r


#
# Bad configuration: hostpmd refuses to start, and says where the problem is
#

DIRECTORY = object()  # a directory where a file should be


class BadConfig:
    '''Files under HOSTPM_CONFIG_DIR ({relative path: text, bytes,
    DIRECTORY, or (text, mode)}) and what hostpmd's refusal must name
    ({dir} stands for the configuration directory). starts=True: not an
    error at all, hostpmd runs with its defaults.'''

    def __init__(self, files, says=(), starts=False, config_dir=None):
        self.files = files
        self.says = says
        self.starts = starts
        self.config_dir = config_dir


def _main(*lines):
    return {'hostpm.conf': '[Suspend]\n' + ''.join(f'{line}\n' for line in lines)}


CONFIG_ROWS = {
    'unknown-key': BadConfig(_main('Delay=5s', 'Sleepy=yes'),
                             ['{dir}/hostpm.conf:3: Sleepy=yes: unknown key; expected one of Delay, '
                              'MinimumDuration, MaximumDuration, RTCDevice, AllowedTargets']),
    'misspelt-key': BadConfig(_main('MaxDuration=2h'), ['{dir}/hostpm.conf:2: MaxDuration=2h: unknown key']),
    'unknown-section': BadConfig({'hostpm.conf': '[Sleep]\nDelay=5s\n'},
                                 ['{dir}/hostpm.conf:1: unknown section [Sleep]; expected [Suspend]']),
    'key-outside-section': BadConfig({'hostpm.conf': 'Delay=5s\n'},
                                     ['{dir}/hostpm.conf:1: Delay=5s: outside of a section']),
    'not-key-value': BadConfig(_main('Delay 5s'), ['{dir}/hostpm.conf:2: not a [Section] header, '
                                                   'Key=value assignment or comment']),
    'colon-instead-of-equals': BadConfig(_main('Delay: 5s'), ["{dir}/hostpm.conf:2: 'Delay: 5s': expected Key=value"]),
    'bad-delay': BadConfig(_main('Delay=soon'), ['{dir}/hostpm.conf:2: Delay=soon: not a time span; expected e.g. 5s']),
    'delay-zero': BadConfig(_main('Delay=0'), ['{dir}/hostpm.conf:2: Delay=0: out of range; expected 1s to 1h']),
    'delay-too-long': BadConfig(_main('Delay=2h'), ['Delay=2h: out of range; expected 1s to 1h']),
    'negative-minimum': BadConfig(_main('MinimumDuration=-5s'), ['MinimumDuration=-5s: not a time span']),
    'minimum-too-short': BadConfig(_main('MinimumDuration=500ms'),
                                   ['MinimumDuration=500ms: too short; expected at least 1s']),
    'maximum-overflow': BadConfig(_main('MaximumDuration=99999999999999999999s'),
                                  ['MaximumDuration=99999999999999999999s: too long']),
    'maximum-garbage-suffix': BadConfig(_main('MaximumDuration=2hours!'), ['MaximumDuration=2hours!: not a time span']),
    'minimum-above-maximum': BadConfig(_main('MinimumDuration=2h', 'MaximumDuration=1h'),
                                       ['{dir}/hostpm.conf:3: MaximumDuration=1h: less than MinimumDuration=2h '
                                        '({dir}/hostpm.conf:2)']),
    'minimum-above-maximum-in-dropin': BadConfig(
        dict(_main('MaximumDuration=1h'), **{'hostpm.conf.d/50-min.conf': '[Suspend]\nMinimumDuration=2h\n'}),
        ['{dir}/hostpm.conf.d/50-min.conf:2: MinimumDuration=2h: more than MaximumDuration=1h '
         '({dir}/hostpm.conf:2)']),
    'rtc-device-path': BadConfig(_main('RTCDevice=../../../dev/rtc'),
                                 ['RTCDevice=../../../dev/rtc: not a device name; expected a name under '
                                  '/sys/class/rtc/']),
    'unknown-allowed-target': BadConfig(_main('AllowedTargets=mem standby'),
                                        ["AllowedTargets=mem standby: unknown target 'standby'"]),
    'empty-allowed-targets': BadConfig(_main('AllowedTargets='), ['AllowedTargets=: no target allowed']),
    'bad-value-in-dropin': BadConfig({'hostpm.conf.d/20-bad.conf': '[Suspend]\nMaximumDuration=forever\n'},
                                     ['{dir}/hostpm.conf.d/20-bad.conf:2: MaximumDuration=forever: not a time span']),
    'file-is-directory': BadConfig({'hostpm.conf': DIRECTORY},
                                   ['{dir}/hostpm.conf: is a directory; expected a file']),
    'dropin-is-directory': BadConfig({'hostpm.conf.d/10-x.conf': DIRECTORY},
                                     ['{dir}/hostpm.conf.d/10-x.conf: is a directory; expected a file']),
    'dropin-directory-is-file': BadConfig({'hostpm.conf.d': 'Delay=5s\n'},
                                          ['{dir}/hostpm.conf.d: cannot be read as a directory: Not a directory']),
    # hostpmd runs without capabilities: a mode-0 file is closed to it too
    'unreadable-file': BadConfig({'hostpm.conf': ('[Suspend]\nDelay=5s\n', 0o000)},
                                 ['{dir}/hostpm.conf: cannot be opened: Permission denied']),
    'line-too-long': BadConfig(_main('# ' + 'x' * 400), ['{dir}/hostpm.conf:2: line too long']),
    'nul-byte': BadConfig({'hostpm.conf': b'[Suspend]\n\x00MaximumDuration=7d\n'}, ['{dir}/hostpm.conf:2']),
    # not errors: no file, no directory at all
    'missing-file': BadConfig({}, starts=True),
    'missing-directory': BadConfig({}, starts=True, config_dir='/run/hostpm-testbed/no-such-config'),
}


def write_config_files(bed, row):
    config_dir = row.config_dir or bed.hostpm_config_dir
    for relative, content in row.files.items():
        path = os.path.join(config_dir, relative)
        if content is DIRECTORY:
            os.makedirs(path)
        elif isinstance(content, tuple):
            write(path, *content)
        else:
            write(path, content)
    return config_dir


def config_row(name, row):
    '''hostpmd is started as D-Bus activation would start it (a failing
    activation leaves clients waiting for the bus's 25 s activation
    timeout; config-cli-says-why covers what the CLI then says).'''
    def test(bed):
        config_dir = write_config_files(bed, row)
        watch = start(bed, env={'HOSTPM_CONFIG_DIR': config_dir})
        if row.starts:
            # the defaults are in force: 10min is fine, 30s is too short
            client, r = run_cli(bed, ['--no-ask-password', '10min'])
            check_equal(r.returncode, EXIT_OK, f'{name}: exit status (stderr {r.stderr!r})')
            props = hostpm_properties(bed)
            check_equal((props['DelayUSec'], props['MinimumDurationUSec'], props['MaximumDurationUSec']),
                        (5 * USEC, 60 * USEC, 23 * HOUR), f'{name}: the configuration in force')
            check_equal(sorted(props['AllowedTargets']), sorted(TARGETS.split(', ')), f'{name}: AllowedTargets')
            client, r = run_cli(bed, ['--no-ask-password', '30s'])
            check_equal(r.returncode, EXIT_REFUSED, f'{name}: exit status of 30s')
            _check_says(r.stderr, ['30s is out of range', RANGE], f'{name}: stderr of 30s')
            root_call(bed, 'CancelSuspend')
            wait_nothing_left(bed, name)
            return
        r = bed.run(['systemctl', '--user', 'start', 'hostpmd.service'])
        check(r.returncode != 0, f'{name}: hostpmd started with a bad configuration')
        state, _pid, _restarts = hostpmd_state(bed)
        check_equal(state, 'failed', f'{name}: hostpmd.service')
        says = [s.format(dir=config_dir) for s in row.says]
        refusals = [e['MESSAGE'] for e in bed.journal.find(_SYSTEMD_UNIT='hostpmd.service')
                    if 'Refusing to start' in e.get('MESSAGE', '')]
        check_equal(len(refusals), 1, f'{name}: hostpmd\'s "Refusing to start" lines')
        _check_says(refusals[0], says, f'{name}: hostpmd\'s log')
        watch.check_nothing_made(name)
        check_equal([e for e in bed.journal.find() if 'HOSTPM_REQUESTER_UID' in e], [],
                    f'{name}: decisions journaled by a daemon that never ran')
    return test


def config_cli_says_why(bed):
    '''With a bad configuration the CLI cannot reach hostpmd: it must
    say so and point at hostpmd.service, where the log names the line.
    (The CLI's own call timeout, shortened here, runs out first: the
    bus gives up on the activation only after the same 25 s.)'''
    write_config_files(bed, CONFIG_ROWS['unknown-key'])
    watch = start(bed)
    _client, r = run_cli(bed, ['--no-ask-password', '10min'], env={'SYSTEMD_BUS_TIMEOUT': '3s'})
    check_equal(r.returncode, EXIT_FAILED, f'exit status (stderr {r.stderr!r})')
    _check_says(r.stderr, ['hostpmd could not be reached; see: systemctl status hostpmd.service'], 'stderr')
    watch.check_nothing_made('config-cli-says-why')


#
# The helper's side: an RTC the test plays itself, signals, outcomes
#

class FifoRtc:
    '''The RTC's wakealarm attribute played by the test through a FIFO.

    The test holds a read end open all along: the helper's writes (one
    line each, "<seconds>\\n") never block and are read back line by line.
    Its read-back open(2) blocks until the test opens the writing end, so
    the test decides what the helper reads back, and when: between
    "alarm written" and "alarm verified" the window stays open as long as
    the test likes. serve_read() waits until the helper has taken every
    byte, so the test's own read end never takes what was meant for it.

    Put in only after scheduling (hostpmd reads wakealarm when asked for
    the capabilities) and fire the service by hand.'''

    def __init__(self, bed):
        self.path = bed.wakealarm_path
        os.unlink(self.path)
        os.mkfifo(self.path, 0o600)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.buffer = b''
        self.writes = []

    def expect_write(self, timeout=testbed.STARTUP_TIMEOUT):
        '''The next value the helper wrote (waits for it).'''
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buffer:
            try:
                chunk = os.read(self.fd, 4096)
            except BlockingIOError:
                chunk = b''
            if chunk:
                self.buffer += chunk
                continue
            if time.monotonic() > deadline:
                raise BedError(f'the helper wrote nothing more to wakealarm within {timeout} s '
                               f'(so far: {self.writes}, then {self.buffer!r})')
            time.sleep(0.01)
        line, self.buffer = self.buffer.split(b'\n', 1)
        self.writes.append(line.decode('ascii', 'replace'))
        return self.writes[-1]

    def serve_read(self, content, timeout=testbed.STARTUP_TIMEOUT):
        '''What the helper reads back next (not empty): content, once it
        has taken it. Until then the test must not read its own end.'''
        check(content, 'FifoRtc serves something; an empty read-back needs no FIFO')
        check_equal(self.buffer, b'', 'writes not yet looked at when serving a read')
        fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)  # never blocks: our read end is open
        try:
            os.write(fd, content.encode('ascii'))
            # the helper reads it all at once; what follows are its next
            # writes, which are shorter ("0\\n")
            wait_for(lambda: self._unread() < len(content), 'the helper to read wakealarm back', timeout)
        finally:
            os.close(fd)

    def _unread(self):
        import fcntl  # pylint: disable=import-outside-toplevel
        import termios  # pylint: disable=import-outside-toplevel
        return int.from_bytes(fcntl.ioctl(self.fd, termios.FIONREAD, b'\0\0\0\0'), sys.byteorder)

    def close(self):
        '''A plain file again, holding the last value written.'''
        os.close(self.fd)
        os.unlink(self.path)
        write(self.path, f'{self.writes[-1]}\n' if self.writes else '')


class Signals:
    '''hostpmd's SuspendScheduled/Cancelled/Finished, as they come.'''

    def __init__(self, bed):
        self.bed = bed
        self.seen = []
        for member in ('SuspendScheduled', 'SuspendCancelled', 'SuspendFinished'):
            bed.bus.add_signal_receiver(lambda *args, m=member: self.seen.append((m, _plain(args))),
                                        member, HOSTPM_IFACE, None, HOSTPM_PATH)

    def finished(self, request_id, timeout=30):
        '''SuspendFinished args (id, result, asked, slept, woken, error) for the request.'''
        def found():
            return [args for m, args in self.seen if m == 'SuspendFinished' and args[0] == request_id]
        self.bed.iterate_until(found, f'SuspendFinished for {request_id!r}', timeout)
        return found()[0]


def fire_by_hand(bed):
    '''Starts the scheduled service now, as its timer would (the timer was
    set to NEVER, so it cannot race the test).'''
    r = bed.run(['systemctl', '--user', 'start', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl start hostpm-suspend.service: {r.stderr}')


def helper_pid(bed):
    return unit_properties(bed, 'hostpm-suspend.service', 'org.freedesktop.systemd1.Service', 'MainPID')['MainPID']


def signal_pending(pid, sig):
    '''sig is pending (blocked, not yet taken) for process pid.'''
    with open(f'/proc/{pid}/status', encoding='ascii') as f:
        fields = dict(line.split(':', 1) for line in f if ':' in line)
    mask = int(fields['ShdPnd'], 16) | int(fields['SigPnd'], 16)
    return bool(mask & (1 << (sig - 1)))


def schedule_as_nobody(bed, duration=600 * USEC, delay=0):
    '''ScheduleSuspend from an unprivileged client polkit allows; returns
    (client pid, request id).'''
    client, (result,) = call_as(bed, [_schedule(duration=duration, delay=delay)])
    check('reply' in result, f'scheduling failed: {result}')
    return client, result['reply'][0]


def wait_nothing_left(bed, what):
    wait_for(lambda: hostpm_units(bed) == [], f'{what}: hostpm-suspend.* to be gone from the manager')


def rtc_readback(name, answer, says):
    '''The RTC holds something other than what the helper wrote: it must
    not suspend, must clear what it wrote, and must say so.'''
    def test(bed):
        start(bed)
        client, request = schedule_as_nobody(bed, delay=NEVER)
        rtc = FifoRtc(bed)
        signals = Signals(bed)
        fire_by_hand(bed)
        check_equal(rtc.expect_write(), '0', f'{name}: first write (the old alarm cleared)')
        alarm = rtc.expect_write()
        check(alarm.isdigit() and int(alarm) > 0, f'{name}: the alarm written: {alarm!r}')
        rtc.serve_read(answer(int(alarm)))
        check_equal(rtc.expect_write(), '0', f'{name}: the unverified alarm cleared')
        _id, result, _asked, _slept, _woken, error = signals.finished(request)
        check_equal(result, 'failed', f'{name}: the outcome')
        _check_says(error, says, f'{name}: the outcome\'s error')
        check_equal(sleep_calls(bed), [], f'{name}: logind asked to sleep')
        check_equal(rtc.writes, ['0', alarm, '0'], f'{name}: every write to wakealarm')
        decision(bed, 'FAILED', NOBODY, client, HOSTPM_REQUEST_ID=request)
        rtc.close()
        root_call(bed, 'CancelSuspend')  # the timer set to NEVER
        wait_nothing_left(bed, name)
    return test


def rtc_reads_back_nothing(bed):
    '''An RTC that takes every write and keeps none (wakealarm is
    /dev/null): the helper finds nothing there, never suspends.'''
    watch = start(bed, config=FAST_CONFIG)
    os.unlink(bed.wakealarm_path)
    os.symlink('/dev/null', bed.wakealarm_path)
    watch.alarm = watch.alarm_state()
    signals = Signals(bed)
    client, request = schedule_as_nobody(bed, duration=5 * USEC)
    _id, result, _asked, _slept, _woken, error = signals.finished(request)
    check_equal(result, 'failed', 'the outcome')
    _check_says(error, ['RTC rtc0 did not keep the alarm'], 'the outcome\'s error')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    decision(bed, 'FAILED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    wait_nothing_left(bed, 'rtc-reads-back-nothing')


def rtc_unwritable(bed):
    '''wakealarm read-only: the helper (root, but without capabilities)
    cannot write it, never suspends, and says which file it could not write.'''
    watch = start(bed, config=FAST_CONFIG)
    os.chmod(bed.wakealarm_path, 0o444)
    watch.alarm = watch.alarm_state()
    signals = Signals(bed)
    client, request = schedule_as_nobody(bed, duration=5 * USEC)
    _id, result, _asked, _slept, _woken, error = signals.finished(request)
    check_equal(result, 'failed', 'the outcome')
    _check_says(error, [f'cannot write {bed.wakealarm_path}', 'Permission denied'], 'the outcome\'s error')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm (type, inode, mtime, content)')
    decision(bed, 'FAILED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    wait_nothing_left(bed, 'rtc-unwritable')
    check_equal(hostpm_properties(bed)['LastResult'], 'failed', 'LastResult')


#
# Faults of the services around hostpm
#

def logind_vanishes_mid_query(bed):
    '''logind is killed while it holds its answers to hostpmd's four
    questions: the schedule is refused as "capabilities unknown", the
    capabilities claim nothing, and hostpmd lives on.'''
    watch = start(bed, logind={'CanBatch': 5, 'CanDelayMs': 60000})  # held until the test says
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = hostpmd_state(bed)
    schedule = Client(bed, [_schedule()])
    capabilities = Client(bed, [call_spec('GetCapabilities')], uid=0)
    wait_for(lambda: len(can_calls(bed)) == 4, 'hostpmd to ask logind its four questions')
    bed.mocks['logind'].process.popen.kill()
    bed.mocks['logind'].process.popen.wait()

    (result,) = schedule.result()['results']
    check_equal(result.get('error'), E + 'CapabilitiesUnknown', f'the schedule\'s error ({result})')
    _check_says(result['message'], ["'mem'", 'logind could not be asked', 'nothing was scheduled'], 'the error')
    (result,) = capabilities.result()['results']
    document = result['reply'][0]
    check('<power_management' not in document, f'capabilities claimed without logind:\n{document}')
    watch.check_nothing_made('logind vanished')
    check_equal(polkit_asked(bed), [], 'polkit asked although the request was refused')
    check_equal(hostpmd_state(bed), ('active', pid, 0), 'hostpmd.service (no crash)')

    # logind is back: the next request works (a dry run schedules nothing)
    bed.start_logind()
    client, (result,) = call_as(bed, [_schedule(flags=2)])
    check_equal(result['reply'][0], '', f'the dry run after logind came back ({result})')
    watch.check_nothing_made('after logind came back')
    check_daemon_answers(bed, pid, 'after logind came back')


def systemd_refuses_unit(bed):
    '''The manager refuses the transient unit (here: an ExecStart= that is
    neither a plain name nor an absolute path): a clear error, nothing
    created, nothing left.'''
    watch = start(bed, env={'HOSTPM_SLEEP_PATH': 'relative/hostpm-sleep'})
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = hostpmd_state(bed)
    client, r = run_cli(bed, ['--no-ask-password', '10min'])
    check_equal(r.returncode, EXIT_FAILED, f'exit status (stderr {r.stderr!r})')
    _check_says(r.stderr, ['systemd refused to schedule the suspend', 'relative/hostpm-sleep'], 'stderr')
    entry = decision(bed, 'REFUSED', NOBODY, client)
    _check_says(entry['HOSTPM_ERROR'], ['systemd refused'], 'the refusal in the journal')
    # systemd loads the pair before it checks their properties, then drops
    # them: nothing may be left, and no alarm written
    watch.check_nothing_left('systemd refused')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm')
    check_daemon_answers(bed, pid, 'systemd refused')


def systemd_unit_masked(bed):
    '''hostpm-suspend.timer is masked (or any unit file holds the name):
    systemd answers UnitExists. Nothing is pending, so "busy, cancel it
    first" would send the admin after a request that does not exist; the
    error must name the unit in the way.'''
    install(bed)
    os.symlink('/dev/null', os.path.join(bed.unit_dir, 'hostpm-suspend.timer'))
    bed.start(logind={})
    start_polkit(bed, ACTIONS)
    os.chmod(bed.runtime_dir, 0o711)
    _client, r = run_cli(bed, ['--no-ask-password', '10min'])
    check(r.returncode not in (EXIT_OK, EXIT_BUSY), f'exit status {r.returncode} (stderr {r.stderr!r})')
    _check_says(r.stderr, ['hostpm-suspend.timer'], 'stderr')
    _client, r = run_cli(bed, ['--cancel'])
    check_equal(r.returncode, EXIT_NOTHING_PENDING, 'exit status of --cancel')


def helper_missing(bed):
    '''The helper cannot be executed (203/EXEC): no alarm, no sleep, the
    request ends as failed for whoever follows it, nothing is left.'''
    watch = start(bed, config=FAST_CONFIG, env={'HOSTPM_SLEEP_PATH': '/nonexistent/hostpm-sleep'})
    _client, r = run_cli(bed, ['--no-ask-password', '--wait', '2s'])
    check_equal(r.returncode, EXIT_SLEEP_FAILED, f'exit status (stderr {r.stderr!r})')
    _check_says(r.stdout, ['failed', 'left no outcome record'], 'stdout')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm')
    wait_nothing_left(bed, 'helper missing')


def helper_missing_after_earlier_outcome(bed):
    '''As helper-missing, with the record of an earlier request on disk:
    SuspendFinished must not announce that earlier request's outcome as
    the end of this one.'''
    old = {'id': 'earlier', 'target': 'mem', 'result': 'resumed', 'error': '', 'asked_usec': 60 * USEC,
           'slept_usec': 60 * USEC, 'woken_by_alarm': True, 'alarm': 1, 'started_realtime_usec': 1,
           'resumed_realtime_usec': 2, 'requester_uid': 0, 'requester_pid': 1}
    write(os.path.join(bed.config_home, 'hostpm', 'last-outcome.json'), json.dumps(old))
    start(bed, config=FAST_CONFIG, env={'HOSTPM_SLEEP_PATH': '/nonexistent/hostpm-sleep'})
    signals = Signals(bed)
    _client, request = schedule_as_nobody(bed, duration=2 * USEC)
    bed.iterate_until(lambda: any(m == 'SuspendFinished' for m, _a in signals.seen), 'SuspendFinished')
    wait_nothing_left(bed, 'helper missing')
    finished = [a for m, a in signals.seen if m == 'SuspendFinished']
    check(all(a[0] != 'earlier' for a in finished),
          f'SuspendFinished announced the earlier request\'s outcome for {request}: {finished}')


def polkit_absent(bed):
    '''No polkit on the bus: denied, at once.'''
    watch = start(bed, polkit=None)
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = hostpmd_state(bed)
    client, r = run_cli(bed, ['--no-ask-password', '10min'])
    check_equal(r.returncode, EXIT_NOT_AUTHORIZED, f'exit status (stderr {r.stderr!r})')
    _check_says(r.stderr, ['Not authorized for org.hostpm1.suspend', 'did not answer'], 'stderr')
    decision(bed, 'DENIED', NOBODY, client)
    watch.check_nothing_made('polkit absent')
    check_daemon_answers(bed, pid, 'polkit absent')


def polkit_hangs(bed):
    '''polkit never answers: denied when hostpmd's bound runs out (1 s
    here), while polkit still holds the question.'''
    watch = start(bed, env={'HOSTPM_POLKIT_TIMEOUT_USEC': USEC})
    bed.mocks['polkitd'].control.SimulateHang(True)
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = hostpmd_state(bed)
    client, (result,) = call_as(bed, [_schedule()])
    check_equal(result.get('error'), E + 'NotAuthorized', f'the error ({result})')
    _check_says(result['message'], ['org.hostpm1.suspend', 'did not answer'], 'the error')
    check(bed.mocks['polkitd'].control.HaveHangingCalls(), 'polkit answered after all')
    decision(bed, 'DENIED', NOBODY, client)
    watch.check_nothing_made('polkit hangs')
    check_daemon_answers(bed, pid, 'polkit hangs')


def hostpmd_sigkill_during_request(bed):
    '''hostpmd dies (SIGKILL) while polkit thinks about a request: the
    caller gets an error, no half-made unit exists, and the next request
    starts a new hostpmd and works.'''
    watch = start(bed)
    bed.mocks['polkitd'].control.SimulateHang(True)
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = hostpmd_state(bed)
    client = Client(bed, [_schedule()])
    wait_for(lambda: bed.mocks['polkitd'].control.HaveHangingCalls(), 'the request to reach polkit')
    r = bed.run(['systemctl', '--user', 'kill', '--signal=SIGKILL', 'hostpmd.service'])
    check_equal(r.returncode, 0, f'systemctl kill: {r.stderr}')
    (result,) = client.result()['results']
    check_equal(result.get('error'), NO_REPLY, f'what the caller got ({result})')
    watch.check_nothing_made('hostpmd killed')

    bed.mocks['polkitd'].control.SimulateHang(False)
    client, request = schedule_as_nobody(bed)
    _state, new_pid, _restarts = hostpmd_state(bed)
    check(new_pid not in (0, pid), f'a new hostpmd serves the next request (pid {new_pid}, was {pid})')
    decision(bed, 'SCHEDULED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    check_equal([u[:3] for u in hostpm_units(bed)],
                [('hostpm-suspend.service', 'loaded', 'inactive'), ('hostpm-suspend.timer', 'loaded', 'active')],
                'the units of the request')
    check_equal(root_call(bed, 'CancelSuspend'), request, 'cancelled')
    wait_nothing_left(bed, 'after the cancel')


def helper_sigterm_after_alarm(bed):
    '''The helper's unit is stopped (SIGTERM) after the alarm is written,
    before logind is asked: the alarm is cleared, nothing sleeps, and the
    outcome says "cancelled". The window is held open by the RTC itself:
    the helper waits in open() to read its alarm back until the test has
    seen SIGTERM pending for it.'''
    start(bed)
    client, request = schedule_as_nobody(bed, delay=NEVER)
    rtc = FifoRtc(bed)
    signals = Signals(bed)
    fire_by_hand(bed)
    check_equal(rtc.expect_write(), '0', 'first write (the old alarm cleared)')
    alarm = rtc.expect_write()
    pid = helper_pid(bed)
    r = bed.run(['systemctl', '--user', 'stop', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl stop: {r.stderr}')
    wait_for(lambda: signal_pending(pid, signal.SIGTERM), 'SIGTERM pending for the helper')
    rtc.serve_read(f'{alarm}\n')  # verified: the helper now has a valid alarm set
    check_equal(rtc.expect_write(), '0', 'the alarm cleared')
    _id, result, _asked, _slept, _woken, error = signals.finished(request)
    check_equal((result, error), ('cancelled', 'stopped by SIGTERM before logind was asked to sleep'),
                'the outcome')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    check_equal(rtc.writes, ['0', alarm, '0'], 'every write to wakealarm')
    decision(bed, 'CANCELLED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    rtc.close()
    root_call(bed, 'CancelSuspend')
    wait_nothing_left(bed, 'helper stopped')


def helper_sigterm_after_commit(bed):
    '''By design the other side of that window: once logind has been asked,
    a stop signal is logged and ignored and the alarm stays until the resume.'''
    watch = start(bed, logind={'SleepMaxSec': 3600}, config=FAST_CONFIG)
    client, request = schedule_as_nobody(bed, duration=600 * USEC)
    logind = bed.mocks['logind'].control
    wait_for(lambda: [s for s in logind.GetSleeps() if s[2] == 0], 'the host to be asleep')
    alarm = watch.alarm_state()[3]
    check(alarm.strip().isdigit() and int(alarm) > 0, f'the alarm while asleep: {alarm!r}')
    pid = helper_pid(bed)
    r = bed.run(['systemctl', '--user', 'stop', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl stop: {r.stderr}')
    wait_for(lambda: [e for e in bed.journal.find(_SYSTEMD_UNIT='hostpm-suspend.service')
                      if 'Received SIGTERM' in e.get('MESSAGE', '')], 'the helper to log the SIGTERM')
    check(os.path.exists(f'/proc/{pid}'), 'the helper ended on SIGTERM while the host slept')
    check_equal(watch.alarm_state()[3], alarm, 'the alarm after SIGTERM')
    logind.WakeUp()
    # (SuspendFinished is not waited for: see unit-stopped-while-asleep)
    wait_for(lambda: (lambda p: (p['LastId'], p['LastResult']))(hostpm_properties(bed)) == (request, 'resumed'),
             'the outcome "resumed"')
    check_equal(watch.alarm_state()[3].strip(), '0', 'the alarm after the resume')
    decision(bed, 'RESUMED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    wait_nothing_left(bed, 'after the resume')


def refusal_in_json(bed):
    '''logind's words go into hostpm-suspend --wait --json as they are:
    the output must stay JSON whatever they contain.'''
    start(bed, config=FAST_CONFIG, logind={'SuspendError': 'org.freedesktop.DBus.Error.AccessDenied',
                                           'SuspendErrorMessage': 'Refused: "on battery" \\ for now'})
    _pid, r = run_cli(bed, ['--no-ask-password', '--wait', '--json', '5s'])
    check_equal(r.returncode, EXIT_SLEEP_FAILED, f'exit status (stderr {r.stderr!r})')
    outcome = r.stdout.strip().splitlines()[-1]
    try:
        parsed = json.loads(outcome)
    except ValueError as e:
        raise AssertionError(f'--wait --json printed no JSON ({e}): {outcome!r}') from e
    _check_says(parsed['error'], ['Refused: "on battery" \\ for now'], 'the outcome\'s error')


def unit_stopped_while_asleep(bed):
    '''The helper's unit is stopped while the host sleeps (the helper
    rightly stays until the resume): hostpmd must not announce the request
    as finished -- it is not -- so a follower (hostpm-suspend --wait) does
    not give up on a host that is about to wake.'''
    start(bed, logind={'SleepMaxSec': 3600}, config=FAST_CONFIG)
    signals = Signals(bed)
    _client, request = schedule_as_nobody(bed, duration=600 * USEC)
    logind = bed.mocks['logind'].control
    wait_for(lambda: [s for s in logind.GetSleeps() if s[2] == 0], 'the host to be asleep')
    r = bed.run(['systemctl', '--user', 'stop', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl stop: {r.stderr}')
    wait_for(lambda: [e for e in bed.journal.find(_SYSTEMD_UNIT='hostpm-suspend.service')
                      if 'Received SIGTERM' in e.get('MESSAGE', '')], 'the helper to log the SIGTERM')
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')  # hostpmd has seen the job go
    dispatch()
    finished = [a for m, a in signals.seen if m == 'SuspendFinished']
    logind.WakeUp()
    check_equal(finished, [], 'SuspendFinished while the host still sleeps')


def unprivileged_reads(bed):
    '''Reading capabilities and status: anyone (DESIGN.md).'''
    start(bed)
    _client, (result,) = call_as(bed, [call_spec('GetCapabilities')])
    check('reply' in result, f'GetCapabilities() as uid {NOBODY}: {result}')
    _pid, r = run_cli(bed, ['--status'])
    check_equal(r.returncode, EXIT_OK, f'--status as uid {NOBODY} (stderr {r.stderr!r})')
    _pid, r = run_cli(bed, ['--capabilities'])
    check_equal(r.returncode, EXIT_OK, f'--capabilities as uid {NOBODY} (stderr {r.stderr!r})')


def suspend_refused_by_logind(bed):
    '''logind says no to the sleep itself: the alarm that was set for it is
    cleared, and the outcome is "failed" with logind's words.'''
    watch = start(bed, config=FAST_CONFIG,
                  logind={'SuspendError': 'org.freedesktop.DBus.Error.AccessDenied',
                          'SuspendErrorMessage': 'Refused by the test bed'})
    signals = Signals(bed)
    pid, r = run_cli(bed, ['--no-ask-password', '--wait', '60s'])
    check_equal(r.returncode, EXIT_SLEEP_FAILED, f'exit status (stderr {r.stderr!r})')
    _check_says(r.stdout, ['failed', 'logind refused SuspendWithFlags',
                           'org.freedesktop.DBus.Error.AccessDenied', 'Refused by the test bed'], 'stdout')
    request = re.search(r'Scheduled request (\w+)', r.stdout).group(1)
    started = decision(bed, 'STARTED', NOBODY, pid, HOSTPM_REQUEST_ID=request)
    check(int(started['HOSTPM_ALARM']) > 0, f'no alarm was set before logind was asked: {started}')
    check_equal(sleep_calls(bed), ['SuspendWithFlags'], 'logind asked to sleep')
    check_equal(watch.alarm_state()[3].strip(), '0', 'the alarm after the refusal')
    entry = decision(bed, 'FAILED', NOBODY, pid, HOSTPM_REQUEST_ID=request)
    _check_says(entry['HOSTPM_ERROR'], ['Refused by the test bed'], 'the failure in the journal')
    check_equal(signals.finished(request)[1], 'failed', 'SuspendFinished')
    props = hostpm_properties(bed)
    check_equal((props['LastId'], props['LastResult']), (request, 'failed'), 'the outcome record')
    _pid, r = run_cli(bed, ['--status'])
    _check_says(r.stdout, [f'request {request} to mem: failed', 'Refused by the test bed'], '--status')
    wait_nothing_left(bed, 'after the refusal')


#
# The audit trail: every decision names the caller
#

def journal_decisions(bed):
    '''Denied, refused (with why), granted, refused as busy, cancelled,
    started and resumed: one entry each, naming the caller's uid and pid
    (the helper's name the requester's, which it is told).'''
    start(bed, config=FAST_CONFIG, polkit=[])
    polkit = bed.mocks['polkitd'].control
    signals = Signals(bed)

    client, (result,) = call_as(bed, [_schedule()])
    check_equal(result.get('error'), E + 'NotAuthorized', f'denied ({result})')
    entry = decision(bed, 'DENIED', NOBODY, client, HOSTPM_TARGET='mem', HOSTPM_ASKED_USEC=str(600 * USEC))
    _check_says(entry['HOSTPM_ERROR'], ['org.hostpm1.suspend', 'polkit refused'], 'why it was denied')

    polkit.SetAllowed(dbus.Array(['org.hostpm1.suspend'], signature='s'))
    client, (result,) = call_as(bed, [_schedule(duration=0)])
    entry = decision(bed, 'REFUSED', NOBODY, client)
    check_equal(entry['HOSTPM_ERROR'], result['message'], 'why it was refused')

    client, request = schedule_as_nobody(bed, delay=NEVER)
    decision(bed, 'SCHEDULED', NOBODY, client, HOSTPM_REQUEST_ID=request, HOSTPM_TARGET='mem',
             HOSTPM_ASKED_USEC=str(600 * USEC))

    client, (result,) = call_as(bed, [_schedule()])
    check_equal(result.get('error'), E + 'Busy', f'busy ({result})')
    entry = decision(bed, 'REFUSED', NOBODY, client)
    _check_says(entry['HOSTPM_ERROR'], [f'already pending as request {request}'], 'why it was refused')

    client, (result,) = call_as(bed, [call_spec('CancelSuspend')])
    check_equal(result.get('error'), E + 'NotAuthorized', f'cancel denied ({result})')
    entry = decision(bed, 'DENIED', NOBODY, client)
    _check_says(entry['HOSTPM_ERROR'], ['org.hostpm1.cancel'], 'why the cancel was denied')

    polkit.SetAllowed(dbus.Array(ACTIONS, signature='s'))
    client, (result,) = call_as(bed, [call_spec('CancelSuspend')])
    check_equal(result.get('reply'), [request], f'cancelled ({result})')
    decision(bed, 'CANCELLED', NOBODY, client, HOSTPM_REQUEST_ID=request)

    client, request = schedule_as_nobody(bed, duration=2 * USEC)
    check_equal(signals.finished(request)[1], 'resumed', 'the outcome')
    for kind in ('SCHEDULED', 'STARTED', 'RESUMED'):
        decision(bed, kind, NOBODY, client, HOSTPM_REQUEST_ID=request, HOSTPM_TARGET='mem',
                 HOSTPM_ASKED_USEC=str(2 * USEC))


def journal_cancel_refusals(bed):
    '''A cancel that is refused (nothing pending) is a decision too.'''
    start(bed)
    client, (result,) = call_as(bed, [call_spec('CancelSuspend')])
    check_equal(result.get('error'), E + 'NothingPending', f'the error ({result})')
    decision(bed, 'REFUSED', NOBODY, client)


#
# memcheck
#

VALGRIND = '/usr/bin/valgrind'
MEMCHECK = [VALGRIND, '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite',
            '--log-fd=2']


def memcheck_reports(lines):
    '''{pid: [line]} of valgrind's output among lines.'''
    reports = {}
    for line in lines:
        m = re.match(r'==(\d+)== ?(.*)', line)
        if m:
            reports.setdefault(int(m.group(1)), []).append(m.group(2))
    return reports


def check_memcheck(what, report):
    text = '\n'.join(report)
    check('ERROR SUMMARY: ' in text, f'{what}: valgrind gave no summary:\n{text}')
    check('ERROR SUMMARY: 0 errors' in text, f'{what}: memcheck found errors:\n{text}')
    lost = re.findall(r'definitely lost: ([\d,]+) bytes', text)
    check(all(n == '0' for n in lost), f'{what}: memory definitely lost:\n{text}')


def valgrind_lifecycle(bed):
    '''schedule -> fire -> sleep -> resume -> status with hostpmd, the
    helper and the CLI each under memcheck: no error, nothing definitely
    lost.'''
    if not os.access(VALGRIND, os.X_OK):
        raise testbed.Skip(f'{VALGRIND} is missing (Debian: valgrind)')
    memcheck = ' '.join(MEMCHECK)
    wrapper = os.path.join(bed.root, 'memcheck-hostpm-sleep')
    # a copy beside the wrapper: the build tree may be under /tmp, which the
    # transient service's PrivateTmp= hides (hostpmd binds only the wrapper)
    helper = os.path.join(bed.root, 'hostpm-sleep')
    shutil.copy2(bed.artifact('HOSTPM_SLEEP'), helper)
    write(wrapper, f'#!/bin/sh\nexec {memcheck} {helper} "$@"\n', 0o755)
    install(bed, config=FAST_CONFIG, env={
        'HOSTPM_SLEEP_PATH': wrapper,
        # valgrind runs the helper's code from memory it writes and then
        # executes (its JIT): the one hardening property it cannot live
        # with, left out for this test only.
        'HOSTPM_TRANSIENT_OMIT': 'MemoryDenyWriteExecute'})
    # hostpmd's own unit, with everything but W^X, under memcheck
    write(os.path.join(bed.unit_dir, 'hostpmd.service.d', 'zz-memcheck.conf'),  # after the bed's
          f'# memcheck for this test only: its JIT needs memory that is\n'
          f'# written and then executed.\n'
          f'[Service]\nExecStart=\nExecStart={memcheck} {bed.artifact("HOSTPMD")}\n'
          f'MemoryDenyWriteExecute=no\nTimeoutStartSec=90\n')
    bed.start(logind={})
    start_rtc_clock(bed)

    cli = [*MEMCHECK, bed.cli]
    r = bed.run([*cli, '--no-ask-password', '--wait', '3s'], timeout=120)
    check_equal(r.returncode, EXIT_OK, f'--wait under memcheck; stdout {r.stdout!r} stderr {r.stderr!r}')
    check('woken by the RTC alarm' in r.stdout and 'NOT' not in r.stdout, f'the outcome: {r.stdout!r}')
    reports = [r.stderr]
    for args in (['--status'], ['--status', '--json'], ['--capabilities', '--xml'], ['--cancel']):
        r = bed.run([*cli, *args], timeout=120)
        check_equal(r.returncode, EXIT_NOTHING_PENDING if args == ['--cancel'] else EXIT_OK,
                    f'{args} under memcheck; stderr {r.stderr!r}')
        reports.append(r.stderr)
    for stderr in reports:
        for pid, report in memcheck_reports(stderr.splitlines()).items():
            check_memcheck(f'hostpm-suspend (pid {pid})', report)

    r = bed.run(['systemctl', '--user', 'stop', 'hostpmd.service'], timeout=120)
    check_equal(r.returncode, 0, f'stopping hostpmd: {r.stderr}')
    props = unit_properties(bed, 'hostpmd.service', 'org.freedesktop.systemd1.Service', 'ExecMainStatus')
    check_equal(props['ExecMainStatus'], 0, 'hostpmd\'s exit status under memcheck')
    for unit, what in (('hostpmd.service', 'hostpmd'), ('hostpm-suspend.service', 'hostpm-sleep')):
        lines = [e.get('MESSAGE', '') for e in bed.journal.find(_SYSTEMD_UNIT=unit)]
        reports = memcheck_reports(lines)
        check_equal(len(reports), 1, f'memcheck reports of {what} in the journal')
        for pid, report in reports.items():
            check_memcheck(f'{what} (pid {pid})', report)


def start_rtc_clock(bed):
    '''Keeps the fake RTC's since_epoch ticking with the system clock, so
    alarms are seconds ahead of now however long the programs take.'''
    import threading  # pylint: disable=import-outside-toplevel
    path = os.path.join(bed.rtc_dir, 'since_epoch')

    def tick():
        while True:
            try:
                with open(path + '.failsafe', 'w', encoding='ascii') as f:
                    f.write(f'{int(time.time())}\n')
                os.replace(path + '.failsafe', path)
            except OSError:
                pass  # no RTC in this case
            time.sleep(0.05)

    threading.Thread(target=tick, name='failsafe-rtc-clock', daemon=True).start()


#
# The cases
#

CASES = {}
CASES.update({f'dbus-{name}': dbus_row(name, row) for name, row in DBUS_ROWS.items()})
CASES.update({f'raw-{name}': dbus_row(name, row) for name, row in RAW_ROWS.items()})
CASES['raw-busctl'] = busctl_row
CASES.update({f'cli-{name}': cli_row(name, row) for name, row in CLI_ROWS.items()})
CASES.update({f'config-{name}': config_row(name, row) for name, row in CONFIG_ROWS.items()})
CASES['config-cli-says-why'] = config_cli_says_why
CASES.update({
    'rtc-unwritable': rtc_unwritable,
    'rtc-reads-back-other-alarm': rtc_readback('rtc-reads-back-other-alarm', lambda a: f'{a + 60}\n',
                                               ['RTC rtc0 did not keep the alarm']),
    'rtc-reads-back-nothing': rtc_reads_back_nothing,
    'rtc-reads-back-garbage': rtc_readback('rtc-reads-back-garbage', lambda a: f'{a}garbage\n',
                                           ['RTC rtc0 did not keep the alarm']),
    'fault-logind-vanishes-mid-query': logind_vanishes_mid_query,
    'fault-systemd-refuses-unit': systemd_refuses_unit,
    'fault-systemd-unit-masked': systemd_unit_masked,
    'fault-helper-missing': helper_missing,
    'fault-helper-missing-after-earlier-outcome': helper_missing_after_earlier_outcome,
    'fault-polkit-absent': polkit_absent,
    'fault-polkit-hangs': polkit_hangs,
    'fault-hostpmd-sigkill-during-request': hostpmd_sigkill_during_request,
    'fault-helper-sigterm-after-alarm': helper_sigterm_after_alarm,
    'fault-helper-sigterm-after-commit': helper_sigterm_after_commit,
    'fault-suspend-refused-by-logind': suspend_refused_by_logind,
    'fault-unit-stopped-while-asleep': unit_stopped_while_asleep,
    'fault-logind-refusal-in-json': refusal_in_json,
    'unprivileged-reads': unprivileged_reads,
    'journal-decisions': journal_decisions,
    'journal-cancel-refusals': journal_cancel_refusals,
    'valgrind-lifecycle': valgrind_lifecycle,
})

if __name__ == '__main__':
    testbed.main(CASES)
