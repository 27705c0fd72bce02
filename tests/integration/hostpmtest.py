'''What the hostpm test scripts share: constants, starting the bed with
hostpmd (start() returns a Watch of what must not be left behind), what the
bed's services say, and the journal; and, from hostpmclients.py, the
clients (the CLI and D-Bus callers, as root or another user).
'''

import os
import re
import stat

import journalevents
import testbed
from testbed import BedError, check, check_equal, wait_for

# the clients, which the scripts import from here
from hostpmclients import (  # noqa: F401
                          as_user, call_as, call_spec, cli, Client, client, EXIT_BUSY, EXIT_CAPS_UNKNOWN,
                          EXIT_FAILED, EXIT_NOT_AUTHORIZED, EXIT_NOTHING_PENDING, EXIT_OK, EXIT_REFUSED,
                          EXIT_SLEEP_FAILED, EXIT_TOO_LATE, EXIT_USAGE, HOSTPM_BUS, HOSTPM_IFACE, HOSTPM_PATH, log,
                          NOBODY, Result, root_call, run_as, run_cli, _schedule, schedule, schedule_as_nobody,
                          _until, USEC)

try:
    import dbus
except ImportError:  # the outer copy; only the bed needs dbus
    dbus = None

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMD_BUS = 'org.freedesktop.systemd1'
SYSTEMD_PATH = '/org/freedesktop/systemd1'
SYSTEMD_IFACE = 'org.freedesktop.systemd1.Manager'
POLKIT_BUS = 'org.freedesktop.PolicyKit1'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'
E = 'org.hostpm1.Error.'
INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
NO_REPLY = 'org.freedesktop.DBus.Error.NoReply'
INTERACTIVE_AUTHORIZATION_REQUIRED = 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'

ACTION_SUSPEND = 'org.hostpm1.suspend'
ACTION_CANCEL = 'org.hostpm1.cancel'
ACTION_IGNORE_INHIBITORS = 'org.hostpm1.ignore-inhibitors'
ACTIONS = [ACTION_SUSPEND, ACTION_CANCEL, ACTION_IGNORE_INHIBITORS]
CAN_METHODS = ('CanSuspend', 'CanHibernate', 'CanHybridSleep', 'CanSuspendThenHibernate')
SLEEP_VERBS = {v + f for v in ('Suspend', 'Hibernate', 'HybridSleep', 'SuspendThenHibernate')
               for f in ('', 'WithFlags')}
UNIT_PATTERN = 'hostpm-suspend.*'

HOUR = 3600 * USEC
# A delay for cases that fire the helper by hand: the timer never fires itself.
NEVER = 3600 * USEC
# For cases that let the timer fire: a short delay and short sleeps.
FAST_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=1s\n'
# The whole cycle's cases: 2 s is the shortest sleep, so 1 s is refused.
CYCLE_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=2s\n'
# The cycle's fake RTC runs two hours ahead of the system clock, as one kept
# in local time east of UTC does: an alarm computed from the system clock
# instead of the RTC's own would be off by two hours.
RTC_OFFSET = 7200
OUTCOME_TIMEOUT = 40  # a bound on waiting for a request to end
IDLE_NEVER = 24 * HOUR  # hostpmd's idle timeout where a case is not about it
# What refusals name: the targets, and the default range of durations
TARGETS = 'mem, disk, hybrid, suspend-then-hibernate'
RANGE = 'expected 1min to 7d'


#
# Starting
#

def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(text.encode() if isinstance(text, str) else text)
    os.chmod(path, mode)


def install(bed, config=None, dropins=None, env=None):
    '''What every case needs before the manager starts: hostpmd installed
    (the build's helper, every hardening setting of its unit and of the
    transient service), hostpm.conf and drop-ins, and seams (set after
    install_hostpmd(), which sets HOSTPM_SLEEP_PATH itself).

    hostpmd's idle exit (30 s) is put beyond any case, unless the case sets
    HOSTPM_IDLE_TIMEOUT_USEC itself: "still the same hostpmd" must not
    depend on whether the machine took 30 s between two calls.'''
    bed.install_hostpmd()
    if config is not None:
        write(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), config)
    for name, text in (dropins or {}).items():
        write(os.path.join(bed.hostpm_config_dir, 'hostpm.conf.d', name), text)
    bed.setenv(**dict({'HOSTPM_IDLE_TIMEOUT_USEC': IDLE_NEVER}, **(env or {})))


def start(bed, logind=None, polkit=ACTIONS, rtc=None, config=None, dropins=None, env=None, rtc_offset=0):
    '''install(), then the bed: logind (mock parameters; None: all "yes";
    False: no logind), polkit (a list: dbusmock's polkitd allowing those
    actions; a dict: our template's parameters; None: no polkit), the fake
    RTC (make_rtc() arguments) with its clock ticking `rtc_offset` seconds
    ahead of the system clock. Unprivileged clients can reach the bus.
    Returns a Watch of what must not be left behind.'''
    install(bed, config, dropins, env)
    bed.start(logind=None if logind is False else dict(logind or {}), rtc=rtc)
    bed.start_rtc_clock(rtc_offset)
    if isinstance(polkit, dict):
        bed.start_mock('polkitd', os.path.join(HERE, 'templates', 'polkit.py'), POLKIT_BUS, POLKIT_PATH, polkit)
    elif polkit is not None:
        start_polkit(bed, polkit)
    os.chmod(bed.runtime_dir, 0o711)  # the bus socket itself is 0666
    return Watch(bed)


def start_cycle(bed, logind=None, polkit=None, rtc=None, config=CYCLE_CONFIG, env=None):
    '''start() as the whole-cycle cases have it: no polkit unless asked,
    2 s sleeps, and an RTC two hours ahead of the system clock.'''
    return start(bed, logind=logind, polkit=polkit, rtc=rtc, config=config, env=env, rtc_offset=RTC_OFFSET)


def start_polkit(bed, allowed):
    '''dbusmock's own polkitd: it can hang (SimulateHang), which the cases
    of "polkit never answers" need.'''
    mock = bed.start_mock('polkitd', 'polkitd', POLKIT_BUS, POLKIT_PATH)
    mock.control.SetAllowed(dbus.Array(allowed, signature='s'))
    return mock


#
# What the bed's services say
#

def systemd(bed):
    return dbus.Interface(bed.bus.get_object(SYSTEMD_BUS, SYSTEMD_PATH, introspect=False), SYSTEMD_IFACE)


def activate(bed):
    '''Starts hostpmd (a Ping activates it); returns its pid.'''
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    return hostpmd_state(bed)[1]


def hostpm_units(bed):
    '''[(name, load, active, sub)] of hostpm-suspend.* loaded in the manager.'''
    return sorted((str(u[0]), str(u[2]), str(u[3]), str(u[4]))
                  for u in systemd(bed).ListUnitsByPatterns(dbus.Array([], signature='s'), [UNIT_PATTERN]))


def unit_states(bed):
    '''[(name, active state)] of hostpm-suspend.* loaded in the manager.'''
    return [(u[0], u[2]) for u in hostpm_units(bed)]


def unit_properties(bed, unit, interface, *names):
    '''Properties of a unit, over D-Bus, as plain values.'''
    path = systemd(bed).LoadUnit(unit)
    props = dbus.Interface(bed.bus.get_object(SYSTEMD_BUS, path), 'org.freedesktop.DBus.Properties')
    return {n: _plain(props.Get(interface, n)) for n in names}


def systemctl_show(bed, unit, *names):
    '''Properties of a unit as systemctl shows them (strings).'''
    r = bed.run(['systemctl', '--user', 'show', unit, '-p', ','.join(names)])
    check_equal(r.returncode, 0, f'systemctl show {unit}')
    return dict(line.split('=', 1) for line in r.stdout.splitlines() if '=' in line)


def hostpmd_state(bed):
    '''(ActiveState, MainPID, NRestarts) of hostpmd.service.'''
    p = unit_properties(bed, 'hostpmd.service', 'org.freedesktop.systemd1.Unit', 'ActiveState')
    p.update(unit_properties(bed, 'hostpmd.service', 'org.freedesktop.systemd1.Service', 'MainPID', 'NRestarts'))
    return p['ActiveState'], p['MainPID'], p['NRestarts']


def hostpmd_pid(bed):  # MainPID of hostpmd.service
    return hostpmd_state(bed)[1]


def hostpm_properties(bed):
    '''hostpmd's properties (activating it if need be).'''
    props = dbus.Interface(bed.bus.get_object(HOSTPM_BUS, HOSTPM_PATH, introspect=False),
                           'org.freedesktop.DBus.Properties')
    return _plain(props.GetAll(HOSTPM_IFACE))


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bool, dbus.Boolean)):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


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
        systemd(self.bed).ListUnitsByPatterns(dbus.Array([], signature='s'), [UNIT_PATTERN])
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
    check_equal(hostpmd_state(bed), ('active', pid, 0), f'{what}: hostpmd.service (ActiveState, MainPID, NRestarts)')


def polkit_asked(bed):
    '''CheckAuthorization() arguments polkit got.'''
    mock = bed.mocks.get('polkitd')
    return [args for _name, args in mock.calls('CheckAuthorization')] if mock else []


def polkit_checks(bed):
    '''CheckAuthorization() calls: [(subject kind, subject name, action, details, flags)].'''
    return [(str(args[0][0]), str(args[0][1].get('name', '')), str(args[1]),
             {str(k): str(v) for k, v in args[2].items()}, int(args[3])) for args in polkit_asked(bed)]


def sleep_calls(bed):
    '''Names of the sleep verbs logind was asked for.'''
    return [name for name, _args in bed.mocks['logind'].calls() if name in SLEEP_VERBS]


def sleep_records(bed):
    '''Every sleep verb call the logind mock recorded, with the alarm and
    the RTC's clock at the moment of the call.'''
    return [{'method': str(m), 'flags': int(f), 'alarm': int(a), 'rtc': int(r), 'time': float(t),
             'error': str(e)} for m, f, a, r, t, e in bed.mocks['logind'].control.GetSleepCalls()]


def sleeps(bed):
    return [{'verb': str(v), 'start': float(s), 'end': float(e), 'by_alarm': bool(b)}
            for v, s, e, b in bed.mocks['logind'].control.GetSleeps()]


def can_calls(bed):
    return [name for name, _args in bed.mocks['logind'].calls() if name in CAN_METHODS]


#
# Waiting for things to happen
#

def wait_nothing_left(bed, what):
    '''The manager unloads stopped units (and collects failed ones) a
    moment after the job ends.'''
    wait_for(lambda: hostpm_units(bed) == [], f'{what}: hostpm-suspend.* to be gone from the manager')


def wait_for_outcome(bed, request_id):
    '''hostpmd's properties once the request has ended: recorded, and no
    longer pending.'''
    def ended():
        p = hostpm_properties(bed)
        done = p['LastId'] == request_id and p['LastResult'] not in ('', 'suspending') and p['PendingState'] == ''
        return p if done else None
    return wait_for(ended, f'request {request_id} to end', timeout=OUTCOME_TIMEOUT, interval=0.1)


def wait_for_sleep(bed):
    '''The first sleep verb call (the host is asleep if it was accepted).'''
    return wait_for(lambda: sleep_records(bed), 'logind to be asked to sleep', timeout=OUTCOME_TIMEOUT,
                    interval=0.05)[0]


class Signals:
    '''hostpmd's signals as they come (dispatched by bed.iterate_until()
    or dispatch()): seen is [(member, [args])].'''

    def __init__(self, bed):
        self.bed = bed
        self.seen = []
        self.senders = []  # [(member, unique bus name of the sender)]
        bed.bus.add_signal_receiver(self._received, dbus_interface=HOSTPM_IFACE, path=HOSTPM_PATH,
                                    member_keyword='member', sender_keyword='sender')

    def _received(self, *args, member=None, sender=None):
        self.seen.append((str(member), _plain(args)))
        self.senders.append((str(member), str(sender)))

    def of(self, member):
        return [args for m, args in self.seen if m == member]

    def finished(self, request_id, timeout=OUTCOME_TIMEOUT):
        '''SuspendFinished args (id, result, asked, slept, woken, error) for the request.'''
        def found():
            return [args for args in self.of('SuspendFinished') if args[0] == request_id]
        self.bed.iterate_until(found, f'SuspendFinished for {request_id!r}', timeout)
        return found()[0]


#
# The journal
#

def journal(bed, kind, request_id=None):
    '''The journal's entries of this kind (SCHEDULED, REFUSED, ...; of this
    request). The MESSAGE_IDs are the code's own (journalevents.py).'''
    match = {'MESSAGE_ID': journalevents.message_id(kind)}
    if request_id is not None:
        match['HOSTPM_REQUEST_ID'] = request_id
    return bed.journal.find(**match)


def journal_entries(bed, kind, request_id=None, count=1):
    '''Exactly `count` entries of this kind, waiting for them: the fake
    journal reads its socket in a thread of its own, so an entry sent
    before a reply may be filed after the reply is read.'''
    wait_for(lambda: len(journal(bed, kind, request_id)) >= count, f'{count} {kind} journal entries', interval=0.02)
    entries = journal(bed, kind, request_id)
    check_equal(len(entries), count, f'{kind} journal entries')
    return entries


def decision(bed, kind, uid, pid, timeout=testbed.STARTUP_TIMEOUT, **fields):
    '''Waits for the one journal entry of `kind` naming requester uid and
    pid (and these fields); returns it.'''
    match = dict(MESSAGE_ID=journalevents.message_id(kind), HOSTPM_REQUESTER_UID=str(uid),
                 HOSTPM_REQUESTER_PID=str(pid), **fields)
    try:
        entries = wait_for(lambda: bed.journal.find(**match), f'a {kind} journal entry', timeout)
    except BedError as e:
        ours = [{k: v for k, v in x.items() if k.startswith(('HOSTPM_', 'MESSAGE'))}
                for x in bed.journal.find() if x.get('MESSAGE_ID') in journalevents.message_ids()]
        raise AssertionError(f'no {kind} journal entry with {match}; hostpm entries: {ours}') from e
    check_equal(len(entries), 1, f'{kind} entries for uid {uid} pid {pid}')
    entry = entries[0]
    check(entry.get('MESSAGE'), f'{kind} entry without MESSAGE: {entry}')
    if kind in ('REFUSED', 'DENIED', 'FAILED'):
        check(entry.get('HOSTPM_ERROR'), f'{kind} entry does not say why: {entry}')
    return entry


#
# Checks
#

def check_says(text, says, what):
    for s in says:
        check(s in text, f'{what} does not name {s!r}: {text!r}')


def check_nothing_scheduled(bed, watch, settle=False):
    '''Nothing in the manager, the RTC alarm never written, logind never
    asked to sleep, nothing pending. settle: the helper ran, so its failed
    unit may need a moment to be collected.'''
    if settle:
        wait_nothing_left(bed, 'the helper\'s units')
    watch.check_nothing_left('nothing scheduled')
    check_equal(watch.alarm_state(), watch.alarm, 'the RTC wakealarm (never written)')
    check_equal(sleep_records(bed), [], 'sleep verbs logind was asked for')
    check_equal(hostpm_properties(bed)['PendingState'], '', 'PendingState')


def check_alarm_at_call(call, seconds, plan):
    '''The helper set the alarm on the RTC's own clock (not the system
    clock, RTC_OFFSET s behind), `seconds` ahead of it as it was between
    the timer firing (the plan's suspend time) and the call. How long that
    took is the machine's business: on a loaded one, seconds.'''
    fired = plan['suspend_usec'] // USEC + RTC_OFFSET  # the RTC's clock when the timer fired
    check(call['rtc'] > 0 and call['alarm'] > 0, f'an alarm and an RTC clock at the call: {call}')
    check(fired - 1 <= call['alarm'] - seconds <= call['rtc'],
          f'the alarm is the RTC clock + {seconds} s, read after the timer fired (RTC {fired}) and before '
          f'the call: {call}')


def wakealarm(bed):
    with open(bed.wakealarm_path, encoding='ascii') as f:
        return f.read().strip()


def check_resumed(bed, request_id, target, seconds):
    '''The request ended with the host woken by its alarm, the alarm
    cleared, and the units gone.'''
    p = wait_for_outcome(bed, request_id)
    check_equal((p['LastResult'], p['LastError'], p['LastTarget'], p['LastWokenByAlarm'], p['LastAskedUSec']),
                ('resumed', '', target, True, seconds * USEC), 'the outcome')
    check(wakealarm(bed) in ('', '0'), f'the alarm is cleared after the resume: {wakealarm(bed)!r}')
    wait_nothing_left(bed, 'the finished units')
    return p
