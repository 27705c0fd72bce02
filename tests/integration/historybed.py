'''What the history, metrics and Cockpit tests share: the bed as they use it
(hostpmd activatable, fast limits, the RTC ticking), whole suspend cycles,
and GetHistory() read as any user.

Run as a script, it is the client those tests start as another user:
    historybed.py --get-history SINCE_USEC   prints GetHistory()'s reply as JSON
'''

import json
import os
import re
import sys

import testbed
from testbed import check, check_equal

try:
    import dbus
except ImportError:
    dbus = None

HERE = os.path.dirname(os.path.abspath(__file__))
THIS = os.path.abspath(__file__)

HOSTPM = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'
POLKIT = 'org.freedesktop.PolicyKit1'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'

USEC = 1000000
NOBODY = 65534
RTC_OFFSET = 7200     # the fake RTC runs ahead of the system clock, as one in local time does
FAST_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=2s\n'
OUTCOME_TIMEOUT = 40  # a bound on waiting for a request to end

ENTRY_FIELDS = ('finished_usec', 'id', 'target', 'result', 'asked_usec', 'slept_usec', 'wake_source',
                'suspend_usec', 'resume_usec', 'requester_uid', 'error')


def start(bed, logind=None, polkit=None, config=FAST_CONFIG):
    '''hostpmd activatable, logind (mock parameters; default: all "yes"),
    our polkit mock with these parameters (None: no polkit), the fake RTC
    ticking.'''
    if config is not None:
        with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
            f.write(config)
    bed.start(logind={} if logind is None else logind, hostpmd=True)
    if polkit is not None:
        bed.start_mock('polkitd', os.path.join(HERE, 'templates', 'polkit.py'), POLKIT, POLKIT_PATH, polkit)
    bed.start_rtc_clock(RTC_OFFSET)


def state_dir(bed):
    '''Where the helper and hostpmd keep their records: StateDirectory=hostpm,
    which a user manager puts under $XDG_CONFIG_HOME.'''
    return os.path.join(bed.config_home, 'hostpm')


def history_path(bed):
    return os.path.join(state_dir(bed), 'history.jsonl')


def write_history(bed, text):
    os.makedirs(state_dir(bed), exist_ok=True)
    with open(history_path(bed), 'wb') as f:
        f.write(text if isinstance(text, bytes) else text.encode())


def cli(bed, *args, user=None, status=0, env=None):
    '''hostpm-suspend ARGS (as `user` if given), never asking for a
    password; checks the exit status.'''
    argv = [bed.cli, '--no-ask-password', *args]
    r = bed.run_as(user, argv, env=env) if user is not None else bed.run(argv, env=env)
    check_equal(r.returncode, status, f'exit status of hostpm-suspend {" ".join(args)} '
                f'(stdout {r.stdout!r}, stderr {r.stderr!r})')
    return r


def manager(bed):
    return dbus.Interface(bed.bus.get_object(HOSTPM, HOSTPM_PATH, introspect=False), HOSTPM_IFACE)


def properties(bed):
    obj = bed.bus.get_object(HOSTPM, HOSTPM_PATH, introspect=False)
    values = dbus.Interface(obj, 'org.freedesktop.DBus.Properties').GetAll(HOSTPM_IFACE)
    return {str(k): (str(v) if isinstance(v, dbus.String) else
                     bool(v) if isinstance(v, dbus.Boolean) else
                     [str(x) for x in v] if isinstance(v, dbus.Array) else int(v))
            for k, v in values.items()}


def sleep_calls(bed):
    return list(bed.mocks['logind'].control.GetSleepCalls())


def wait_for_sleep(bed, count=1):
    testbed.wait_for(lambda: len(sleep_calls(bed)) >= count, 'logind to be asked to sleep',
                     timeout=OUTCOME_TIMEOUT, interval=0.05)


def wait_for_outcome(bed, request_id):
    '''hostpmd's properties once the request has ended and nothing is
    pending any more.'''
    def ended():
        try:
            p = properties(bed)
        except dbus.exceptions.DBusException as e:
            # a service collected between hostpmd's reads: poll again
            if e.get_dbus_name() != 'org.freedesktop.DBus.Error.InconsistentMessage':
                raise
            return None
        done = p['LastId'] == request_id and p['LastResult'] not in ('', 'suspending') and \
            p['PendingState'] == ''
        return p if done else None
    return testbed.wait_for(ended, f'request {request_id} to end', timeout=OUTCOME_TIMEOUT, interval=0.1)


def schedule(bed, *args, user=None):
    '''hostpm-suspend --json ARGS: the request's id.'''
    r = cli(bed, '--json', *args, user=user)
    request_id = json.loads(r.stdout)['id']
    check(re.fullmatch('[0-9a-f]{32}', request_id), f'a request id: {r.stdout}')
    return request_id


def cycle(bed, *args):
    '''One whole request, scheduled with ARGS and waited for: hostpmd's
    properties after it.'''
    return wait_for_outcome(bed, schedule(bed, *args))


def _entry(struct):
    return dict(zip(ENTRY_FIELDS, (str(v) if isinstance(v, str) else int(v) for v in struct)))


def _reply(entries, counts, slept, unreadable):
    return {'entries': [_entry(e) for e in entries],
            'counts': sorted((str(t), str(r), int(n)) for t, r, n in counts),
            'slept_usec': int(slept), 'unreadable': int(unreadable)}


def get_history(bed, since=0, user=None):
    '''GetHistory(since) as root through the bed's connection, or as `user`
    in a process of its own: {"entries": [{field: value}], "counts":
    [(target, result, n)], "slept_usec", "unreadable"}.'''
    if user is None:
        return _reply(*manager(bed).GetHistory(dbus.UInt64(since)))
    r = bed.run_as(user, [testbed.PYTHON, THIS, '--get-history', str(since)])
    check_equal(r.returncode, 0, f'GetHistory() as uid {user} (stderr {r.stderr!r})')
    reply = json.loads(r.stdout)
    reply['counts'] = [tuple(c) for c in reply['counts']]
    return reply


def _get_history_main(since):
    bus = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
    iface = dbus.Interface(bus.get_object(HOSTPM, HOSTPM_PATH, introspect=False), HOSTPM_IFACE)
    print(json.dumps(_reply(*iface.GetHistory(dbus.UInt64(int(since))))))
    return 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['--get-history'] and len(sys.argv) == 3:
        sys.exit(_get_history_main(sys.argv[2]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
