#!/usr/bin/python3
'''Tests of the test bed itself: that it gives the tests what DESIGN.md
promises (a real user manager that runs transient timer/service pairs and
passes test seams on, mocks that behave as documented, a fake RTC), that
a capture of the bus can tell concurrent calls from sequential ones, and
that nothing survives a bed however it ends.'''

import json
import os
import select
import signal
import subprocess
import threading
import time

import isolation
import testbed
from testbed import check, check_equal

import buscapture

try:
    import dbus
except ImportError:
    dbus = None

LOGIND = 'org.freedesktop.login1'
LOGIND_IFACE = 'org.freedesktop.login1.Manager'
CAN_METHODS = ('CanSuspend', 'CanHibernate', 'CanHybridSleep', 'CanSuspendThenHibernate')
THIS = os.path.abspath(__file__)


def logind_manager(bed):
    return bed.mocks['logind'].interface(LOGIND_IFACE)


def dbus_error_name(call):
    try:
        call()
    except dbus.exceptions.DBusException as e:
        return e.get_dbus_name()
    return None


#
# The manager and the bus
#

def manager(bed):
    '''A transient timer/service pair fires, its service inherits the seams
    set before the manager started, and its output reaches the journal.'''
    bed.setenv(HOSTPM_TESTBED_PROBE='seam-42')
    bed.start()
    systemd = dbus.Interface(bed.bus.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1'),
                             'org.freedesktop.systemd1.Manager')
    script = 'echo "probe $HOSTPM_TESTBED_PROBE $HOSTPM_SYSFS_ROOT"'
    service = dbus.Array([
        ('SyslogIdentifier', dbus.String('testbed-probe', variant_level=1)),
        ('ExecStart', dbus.Array([('/bin/sh', ['/bin/sh', '-c', script], False)],
                                 signature='(sasb)', variant_level=1)),
    ], signature='(sv)')
    timer = dbus.Array([
        ('OnActiveSec', dbus.UInt64(100 * 1000, variant_level=1)),
        ('AccuracyUSec', dbus.UInt64(1000, variant_level=1)),
    ], signature='(sv)')
    systemd.StartTransientUnit('testbed-probe.timer', 'fail', timer,
                               dbus.Array([('testbed-probe.service', service)], signature='(sa(sv))'))

    expected = f'probe seam-42 {bed.sysfs_root}'
    entries = testbed.wait_for(lambda: bed.journal.find(SYSLOG_IDENTIFIER='testbed-probe'),
                               'the timer to fire the probe service')
    check_equal(entries[0]['MESSAGE'], expected, 'what the probe service printed')

    # sd_journal_send()'s native protocol (hostpm's audit events use it)
    r = bed.run(['logger', '--journald'], input_text='MESSAGE=native probe\nHOSTPM_PROBE=42\n')
    check_equal(r.returncode, 0, 'logger --journald exit status')
    entry = testbed.wait_for(lambda: bed.journal.find(HOSTPM_PROBE='42'), 'the native entry')[0]
    check_equal(entry['MESSAGE'], 'native probe', 'native entry MESSAGE')

    # The manager built its cgroups inside the bed's cgroup namespace.
    with open(f'/proc/{bed.manager.popen.pid}/cgroup', encoding='ascii') as f:
        unified = [line.strip() for line in f if line.startswith('0::')]
    check_equal(unified, ['0::/init.scope'], "the manager's cgroup, seen from the bed")


def hostpmd_activation(bed):
    '''org.hostpm1 is activated through the user manager from the project's
    own activation file and unit, with every hardening setting in force.'''
    bed.start(logind={}, hostpmd=True)
    manager = dbus.Interface(bed.bus.get_object('org.hostpm1', '/org/hostpm1'), 'org.hostpm1.Manager')
    check(manager.GetCapabilities().startswith('<?xml'), 'GetCapabilities answered')
    r = bed.run(['systemctl', '--user', 'show', 'hostpmd.service', '-p', 'ActiveState,ProtectHome,'
                 'ProtectSystem,PrivateTmp,ProtectKernelTunables,ProtectKernelLogs,PrivateDevices,'
                 'ExecMainPID'])
    shown = dict(line.split('=', 1) for line in r.stdout.split())
    check_equal({k: v for k, v in shown.items() if k != 'ExecMainPID'},
                {'ActiveState': 'active', 'ProtectHome': 'yes', 'ProtectSystem': 'strict',
                 'PrivateTmp': 'yes', 'ProtectKernelTunables': 'yes', 'ProtectKernelLogs': 'yes',
                 'PrivateDevices': 'yes'}, 'hostpmd.service as it runs')
    check(os.readlink(f'/proc/{shown["ExecMainPID"]}/ns/mnt') != os.readlink('/proc/self/ns/mnt'),
          'hostpmd runs in a mount namespace of its own')


#
# The logind template
#

def logind_answers(bed):
    '''Per-target answers, any string, and per-target errors.'''
    bed.start(logind={'CanSuspend': 'yes', 'CanHibernate': 'an answer from the future',
                      'CanHybridSleep': {'error': 'org.freedesktop.DBus.Error.AccessDenied',
                                         'message': 'not you'},
                      'CanSuspendThenHibernate': 'challenge-inhibitor-blocked'})
    logind = logind_manager(bed)
    check_equal(logind.CanSuspend(), 'yes', 'CanSuspend')
    check_equal(logind.CanHibernate(), 'an answer from the future', 'CanHibernate')
    check_equal(dbus_error_name(logind.CanHybridSleep), 'org.freedesktop.DBus.Error.AccessDenied',
                'CanHybridSleep error')
    check_equal(logind.CanSuspendThenHibernate(), 'challenge-inhibitor-blocked', 'CanSuspendThenHibernate')
    bed.mocks['logind'].control.SetCanAnswer('CanSuspend', 'no')
    check_equal(logind.CanSuspend(), 'no', 'CanSuspend after SetCanAnswer')
    calls = [name for name, _args in bed.mocks['logind'].calls() if name.startswith('Can')]
    check_equal(calls, list(CAN_METHODS) + ['CanSuspend'], 'recorded calls')


def logind_error_mode(bed):
    bed.start(logind={'CanError': 'org.freedesktop.DBus.Error.AccessDenied', 'CanErrorMessage': 'no'})
    logind = logind_manager(bed)
    for method in CAN_METHODS:
        check_equal(dbus_error_name(getattr(logind, method)), 'org.freedesktop.DBus.Error.AccessDenied',
                    f'{method} error')


def logind_noreply_mode(bed):
    '''Can*() never answer, and the mock keeps serving other calls.'''
    bed.start(logind={'CanNoReply': True})
    logind = logind_manager(bed)
    for method in CAN_METHODS:
        check_equal(dbus_error_name(lambda m=method: getattr(logind, m)(timeout=0.2)),
                    'org.freedesktop.DBus.Error.NoReply', f'{method} without a reply')
    check_equal(list(logind.ListInhibitors()), [], 'ListInhibitors while Can*() hang')


def logind_delay_does_not_block(bed):
    '''A delayed Can*() reply leaves after a later call's reply: the mock
    waits on a GLib timeout, not in a sleep.'''
    bed.start(logind={'CanDelayMs': 300})
    logind = logind_manager(bed)
    answers = []
    logind.CanSuspend(reply_handler=answers.append, error_handler=answers.append)
    check_equal(list(logind.ListInhibitors()), [], 'ListInhibitors during a delayed CanSuspend')
    check_equal(answers, [], 'CanSuspend answers before ListInhibitors')
    bed.iterate_until(lambda: answers, 'the delayed CanSuspend answer')
    check_equal(answers, ['yes'], 'CanSuspend answer')


def logind_batch(bed):
    '''CanBatch=4 holds answers until the fourth question is in.'''
    bed.start(logind={'CanBatch': 4, 'CanDelayMs': 60000})
    logind = logind_manager(bed)
    answers = []
    for method in CAN_METHODS[:3]:
        getattr(logind, method)(reply_handler=answers.append, error_handler=answers.append)
    # One round trip later the mock has seen the three; answers to them
    # would be queued before this reply and dispatched below.
    logind.ListInhibitors()
    GLib = testbed.GLib
    while GLib.MainContext.default().iteration(False):
        pass
    check_equal(answers, [], 'answers while the batch holds three calls')
    logind.CanSuspendThenHibernate(reply_handler=answers.append, error_handler=answers.append)
    bed.iterate_until(lambda: len(answers) == 4, 'four answers once the batch is full')


def _watch_prepare_for_sleep(bed):
    signals = []
    bed.bus.add_signal_receiver(lambda start: signals.append(bool(start)), 'PrepareForSleep',
                                LOGIND_IFACE, LOGIND, '/org/freedesktop/login1')
    return signals


def logind_sleep_until_alarm(bed):
    '''Suspend(): PrepareForSleep(true) before the reply, sleep until the
    fake RTC alarm, which then reads back empty, then PrepareForSleep(false).'''
    bed.start(logind={})
    signals = _watch_prepare_for_sleep(bed)
    logind = logind_manager(bed)
    logind_name = str(bed.bus.get_name_owner(LOGIND))
    with buscapture.BusCapture(bed) as capture:
        alarm = int(time.time()) + 1  # the next second: a sleep of at most one second
        bed.make_rtc(alarm=alarm)
        logind.Suspend(False)
        bed.iterate_until(lambda: signals == [True, False], 'PrepareForSleep true, then false')
    check(time.time() >= alarm, 'woke before the alarm')
    with open(bed.wakealarm_path, encoding='ascii') as f:
        check_equal(f.read(), '', 'wakealarm after the alarm fired')
    sleeps = bed.mocks['logind'].control.GetSleeps()
    check_equal([(str(v), bool(b)) for v, _s, _e, b in sleeps], [('Suspend', True)], 'GetSleeps')
    check_equal(bed.mocks['logind'].calls('Suspend'), [('Suspend', [False])], 'recorded Suspend calls')

    order = [m.get('member') or m['type'] for m in capture.messages()
             if m.get('member') in ('Suspend', 'PrepareForSleep') or
             (m['type'] == 'method_return' and m.get('sender') == logind_name)]
    check_equal(order[:3], ['Suspend', 'PrepareForSleep', 'method_return'],
                'Suspend, then the signal, then the reply')


def logind_sleep_without_alarm(bed):
    '''No alarm (or one in the past) never fires: the sleep ends at
    SleepMaxSec. One sleep at a time; WakeUp() ends one early. (The sleep
    that must still be on when the second verb comes is an hour long: a
    loaded machine may take longer than any short one.)'''
    bed.make_rtc(alarm=int(time.time()) - 10)
    bed.start(logind={'SleepMaxSec': 3600})
    signals = _watch_prepare_for_sleep(bed)
    logind = logind_manager(bed)
    control = bed.mocks['logind'].control
    logind.SuspendWithFlags(dbus.UInt64(0))
    check_equal(dbus_error_name(lambda: logind.Hibernate(False)),
                'org.freedesktop.login1.OperationInProgress', 'a second sleep meanwhile')
    control.WakeUp()
    bed.iterate_until(lambda: signals == [True, False], 'WakeUp() to end the sleep')
    with open(bed.wakealarm_path, encoding='ascii') as f:
        check(f.read().strip() != '', 'a past alarm that never fired is still set')

    control.SetSleepMaxSec(0.5)
    logind.HybridSleep(False)
    bed.iterate_until(lambda: signals == [True, False, True, False], 'the bounded sleep to end')
    sleeps = [(str(v), bool(b)) for v, _s, _e, b in control.GetSleeps()]
    check_equal(sleeps, [('Suspend', False), ('HybridSleep', False)], 'GetSleeps')


def logind_suspend_refused(bed):
    bed.start(logind={'SuspendError': 'org.freedesktop.DBus.Error.AccessDenied'})
    signals = _watch_prepare_for_sleep(bed)
    logind = logind_manager(bed)
    for verb in ('Suspend', 'Hibernate', 'HybridSleep', 'SuspendThenHibernate'):
        check_equal(dbus_error_name(lambda v=verb: getattr(logind, v)(False)),
                    'org.freedesktop.DBus.Error.AccessDenied', f'{verb} refused')
        check_equal(dbus_error_name(lambda v=verb: getattr(logind, v + 'WithFlags')(dbus.UInt64(0))),
                    'org.freedesktop.DBus.Error.AccessDenied', f'{verb}WithFlags refused')
    bed.mocks['logind'].control.SetSuspendError('', '')
    logind.Suspend(False)
    bed.iterate_until(lambda: signals == [True], 'PrepareForSleep(true), and nothing before it')


def logind_inhibitors(bed):
    bed.start(logind={'BlockInhibitor': {'what': 'sleep', 'who': 'backup', 'why': 'copying'},
                      'RefuseWhenInhibited': True, 'SleepMaxSec': 0.1})
    logind = logind_manager(bed)
    held = [tuple(i) for i in logind.ListInhibitors()]
    check_equal([h[:4] for h in held], [('sleep', 'backup', 'copying', 'block')], 'held inhibitor')
    properties = dbus.Interface(bed.mocks['logind'].object, 'org.freedesktop.DBus.Properties')
    check_equal(properties.Get(LOGIND_IFACE, 'BlockInhibited'), 'sleep', 'BlockInhibited')
    check_equal(dbus_error_name(lambda: logind.Suspend(False)),
                'org.freedesktop.login1.BlockedByInhibitorLock', 'Suspend while inhibited')

    fd = logind.Inhibit('sleep:shutdown', 'testbed', 'testing', 'delay')
    mine = [tuple(i) for i in logind.ListInhibitors() if i[1] == 'testbed']
    check_equal(mine, [('sleep:shutdown', 'testbed', 'testing', 'delay', 0, os.getpid())],
                'our inhibitor, with our uid and pid')
    check_equal(properties.Get(LOGIND_IFACE, 'DelayInhibited'), 'shutdown:sleep', 'DelayInhibited')
    os.close(fd.take())
    testbed.wait_for(lambda: len(logind.ListInhibitors()) == 1, 'our inhibitor to go with its fd')
    check_equal(dbus_error_name(lambda: logind.Inhibit('sleep', 'x', 'y', 'sometimes')),
                'org.freedesktop.DBus.Error.InvalidArgs', 'Inhibit with a bad mode')


#
# polkit, the RTC, the bus capture
#

def polkit(bed):
    bed.start(polkit=['org.hostpm1.suspend'])
    authority = bed.mocks['polkitd'].interface('org.freedesktop.PolicyKit1.Authority')
    subject = ('system-bus-name', {'name': dbus.String(bed.bus.get_unique_name(), variant_level=1)})
    for action, allowed in (('org.hostpm1.suspend', True), ('org.hostpm1.cancel', False)):
        result = authority.CheckAuthorization(subject, action, dbus.Dictionary({}, signature='ss'),
                                              dbus.UInt32(0), '')
        check_equal(bool(result[0]), allowed, f'{action} authorized')


def rtc_tree(bed):
    '''The fake RTC's variants, as the programs will read them.'''
    def files():
        root = bed.rtc_dir
        found = {}
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                with open(os.path.join(dirpath, name), encoding='ascii') as f:
                    found[os.path.relpath(os.path.join(dirpath, name), root)] = f.read()
        return found

    check_equal(bed.env['HOSTPM_SYSFS_ROOT'], bed.sysfs_root, 'HOSTPM_SYSFS_ROOT')
    bed.make_rtc(since_epoch=1700000000)
    check_equal(files(), {'name': 'rtc_cmos\n', 'wakealarm': '', 'since_epoch': '1700000000\n',
                          'device/power/wakeup': 'enabled\n'}, 'default RTC')
    bed.make_rtc(wakeup='disabled', alarm=4102444800, since_epoch=1)
    check_equal((files()['device/power/wakeup'], files()['wakealarm']), ('disabled\n', '4102444800\n'),
                'wake disabled, alarm pending')
    bed.make_rtc(wakealarm=False, wakeup=None)
    check('wakealarm' not in files() and 'device/power/wakeup' not in files(),
          'no wakealarm and no wakeup files')
    bed.make_rtc(present=False)
    check(not os.path.exists(bed.rtc_dir), 'RTC absent')


def concurrency_check(bed):
    '''The capture proves concurrency by order alone: four calls sent at
    once pass, the same four sent one after the other fail. (The mock
    answers a call alone 2 s after it: longer than a loaded machine may
    pause the test between two sends.)'''
    bed.start(logind={'CanBatch': 4, 'CanDelayMs': 2000})
    logind = logind_manager(bed)
    with buscapture.BusCapture(bed, 'capture-concurrent') as capture:
        answers = []
        for method in CAN_METHODS:
            getattr(logind, method)(reply_handler=answers.append, error_handler=answers.append)
        bed.iterate_until(lambda: len(answers) == 4, 'four answers')
    # dbus-python addresses the mock by its unique name, sd-bus by the well-known one
    logind_names = (LOGIND, str(bed.bus.get_name_owner(LOGIND)))
    client = buscapture.check_asked_concurrently(capture.messages(), logind_names, CAN_METHODS)
    check_equal(client, bed.bus.get_unique_name(), 'the client found in the capture')

    with buscapture.BusCapture(bed, 'capture-sequential') as capture:
        for method in CAN_METHODS:
            getattr(logind, method)()
    try:
        buscapture.check_asked_concurrently(capture.messages(), logind_names, CAN_METHODS)
    except AssertionError as e:
        check('did not ask concurrently' in str(e), f'the reason given: {e}')
    else:
        raise AssertionError('sequential calls passed the concurrency check')


#
# Nothing is left behind, however a bed ends
#

def _hold_bed(bed):
    '''Helper for the cases below: a full bed that waits to be killed.'''
    bed.start(logind={}, polkit=[])
    bed.spawn('sleeper', ['sleep', '600'])
    print(json.dumps({'pidns': os.readlink('/proc/self/ns/pid')}), flush=True)
    testbed.wait_for(lambda: False, 'a signal', timeout=60)


def _leave_stray(bed):
    '''Helper: a test that leaves a process the bed did not start.'''
    bed.start()
    subprocess.Popen(['setsid', 'sleep', '600'])  # pylint: disable=consider-using-with


def _nested(case, extra_env=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith('HOSTPM_TESTBED_')}
    env.pop('CI', None)
    env.update(extra_env or {})
    # Its own process group, as meson gives every test.
    return subprocess.Popen([testbed.PYTHON, THIS, case], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _ready(process):
    '''The nested bed's PID namespace, held open while the bed is known
    to be alive (once it is dead, its number may go to another test's).'''
    readable, _, _ = select.select([process.stdout], [], [], testbed.STARTUP_TIMEOUT)
    check(readable, 'the nested bed did not come up')
    line = process.stdout.readline()
    check(line.startswith('{'), f'the nested bed said {line!r}')
    name = json.loads(line)['pidns']
    for entry in os.listdir('/proc'):
        try:
            if entry.isdigit() and os.readlink(f'/proc/{entry}/ns/pid') == name:
                pidns = isolation.PidNamespace.of(entry)
                if pidns and f'pid:[{pidns.key[1]}]' == name:
                    return pidns
        except OSError:
            pass
    raise AssertionError(f'no process in the nested bed\'s {name}')


def _bed_cgroup(stderr):
    '''The nested bed's cgroup, from its first line.'''
    first = next(line for line in stderr.splitlines() if line.startswith('testbed:') and ', cgroup ' in line)
    return first.rsplit(', cgroup ', 1)[1]


def _survivors(pidns):
    return pidns.pids()


@testbed.outside_bed
def ends_on_sigterm():
    '''meson's timeout: SIGTERM to the test's process group. The bed dumps
    its logs, tears down, and its outer check finds nothing left.'''
    process = _nested('_hold-bed')
    pidns = _ready(process)
    os.killpg(process.pid, signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    check_equal(process.returncode, 1, f'exit status after SIGTERM; stderr:\n{err}')
    for expected in ('interrupted by SIGTERM', '----- testbed log: journal.log',
                     '----- testbed log: logind.log', 'FAIL in'):
        check(expected in err, f'{expected!r} missing from stderr:\n{err}')
    check('left processes behind' not in err and 'outlived' not in err, f'leftovers:\n{err}')
    check_equal(_survivors(pidns), [], 'processes of the bed')
    check(not os.path.exists(_bed_cgroup(err)), 'the bed removed its cgroup')


@testbed.outside_bed
def ends_on_sigkill():
    '''SIGKILL to everything we can see: no teardown runs at all, yet the
    kernel takes the whole PID namespace down with its PID 1.'''
    process = _nested('_hold-bed')
    pidns = _ready(process)
    os.killpg(process.pid, signal.SIGKILL)
    _out, err = process.communicate(timeout=30)
    testbed.wait_for(lambda: not _survivors(pidns), 'the namespace to die', timeout=10)
    # Only the outer copy could remove the (empty) cgroup; it was killed
    # too. The bed's files were on the namespace's /run: gone with it.
    cgroup = _bed_cgroup(err)
    with open(os.path.join(cgroup, 'cgroup.events'), encoding='ascii') as f:
        check('populated 0' in f.read(), 'the bed cgroup is empty')
    for dirpath, _dirs, _files in os.walk(cgroup, topdown=False):
        os.rmdir(dirpath)


@testbed.outside_bed
def stray_process_fails():
    process = _nested('_leave-stray')
    _out, err = process.communicate(timeout=60)
    check_equal(process.returncode, 1, f'exit status; stderr:\n{err}')
    check('processes outlived the test' in err and 'sleep 600' in err, f'the reason:\n{err}')


def _quick(bed):
    '''Helper: a bed that ends at once.'''
    del bed


@testbed.outside_bed
def own_namespace_only():
    '''The kernel gives a new PID namespace the lowest free number, often
    that of one that just died. While other tests keep making namespaces
    (here: a stream of unshare'd sleeps), a bed that ends must not take a
    namespace that got its number for its own: no leftovers reported.'''
    others = []
    stop = threading.Event()

    def churn():
        while len(others) < 300 and not stop.is_set():
            others.append(subprocess.Popen(  # pylint: disable=consider-using-with
                ['unshare', '--pid', '--fork', '--kill-child', 'sleep', '600']))

    churner = threading.Thread(target=churn, name='namespace-churn')
    churner.start()
    try:
        for _ in range(3):
            process = _nested('_quick')
            _out, err = process.communicate(timeout=60)
            check_equal(process.returncode, 0, f'exit status of a bed among other namespaces; stderr:\n{err}')
    finally:
        stop.set()
        churner.join()
        for p in others:
            p.kill()
            p.wait()


@testbed.outside_bed
def skip_unless_ci():
    '''A machine that cannot run the bed skips (77), except under CI=true.'''
    missing = {'HOSTPM_TESTBED_SYSTEMD': '/nonexistent/systemd'}
    process = _nested('manager', missing)
    _out, err = process.communicate(timeout=30)
    check_equal(process.returncode, testbed.EXIT_SKIP, f'exit status; stderr:\n{err}')
    check('SKIP' in err and '/nonexistent/systemd' in err, f'the reason:\n{err}')
    process = _nested('manager', dict(missing, CI='true'))
    _out, err = process.communicate(timeout=30)
    check_equal(process.returncode, 1, f'exit status under CI=true; stderr:\n{err}')
    check('CI=true' in err, f'the reason:\n{err}')


CASES = {
    'manager': manager,
    'hostpmd-activation': hostpmd_activation,
    'logind-answers': logind_answers,
    'logind-error-mode': logind_error_mode,
    'logind-noreply-mode': logind_noreply_mode,
    'logind-delay-does-not-block': logind_delay_does_not_block,
    'logind-batch': logind_batch,
    'logind-sleep-until-alarm': logind_sleep_until_alarm,
    'logind-sleep-without-alarm': logind_sleep_without_alarm,
    'logind-suspend-refused': logind_suspend_refused,
    'logind-inhibitors': logind_inhibitors,
    'polkit': polkit,
    'rtc-tree': rtc_tree,
    'concurrency-check': concurrency_check,
    'ends-on-sigterm': ends_on_sigterm,
    'ends-on-sigkill': ends_on_sigkill,
    'stray-process-fails': stray_process_fails,
    'own-namespace-only': own_namespace_only,
    'skip-unless-ci': skip_unless_ci,
    '_quick': _quick,
    '_hold-bed': _hold_bed,
    '_leave-stray': _leave_stray,
}

if __name__ == '__main__':
    testbed.main(CASES)
