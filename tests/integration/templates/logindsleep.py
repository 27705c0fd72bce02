'''The sleep verbs of hostpm's logind mock and the simulated sleep they
start: PrepareForSleep around it, the fake RTC's alarm ending it, the fake
kernel's suspend_stats counting it, units frozen for its length. Part of
templates/logind.py, which documents the parameters and the controls, and
imports these into the mock.
'''

import os
import time

import dbus
import dbus.service
from gi.repository import GLib

MAIN_IFACE = 'org.freedesktop.login1.Manager'

ERROR_OPERATION_IN_PROGRESS = 'org.freedesktop.login1.OperationInProgress'
ERROR_BLOCKED_BY_INHIBITOR = 'org.freedesktop.login1.BlockedByInhibitorLock'

# what logind's sleep target runs for an image verb
IMAGE_UNITS = {'Hibernate': 'systemd-hibernate.service', 'HybridSleep': 'systemd-hybrid-sleep.service',
               'SuspendThenHibernate': 'systemd-suspend-then-hibernate.service'}


def _read_number(path):
    '''The number in a fake RTC attribute, or None (absent, empty, garbage).'''
    try:
        with open(path, encoding='ascii') as f:
            text = f.read().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def _rtc_now(mock):
    '''The RTC's own clock (its since_epoch), or None without one.'''
    if not mock.wakealarm_path:
        return None
    return _read_number(os.path.join(os.path.dirname(mock.wakealarm_path), 'since_epoch'))


def _sleep_blocked(mock):
    return any(mode == 'block' and 'sleep' in what.split(':')
               for what, _who, _why, mode, _uid, _pid in mock.inhibitors)


def _set_preparing(mock, value):
    mock.props[MAIN_IFACE]['PreparingForSleep'] = dbus.Boolean(value)
    mock.EmitSignal(MAIN_IFACE, 'PrepareForSleep', 'b', [dbus.Boolean(value)])


def _count(mock, counter):
    '''One more in the fake kernel's suspend_stats/<counter>, replaced
    atomically so a reader never sees half a number.'''
    if not mock.suspend_stats_path:
        return
    path = os.path.join(mock.suspend_stats_path, counter)
    value = _read_number(path)
    if value is None:
        mock.log(f'no {path}: not counted')
        return
    with open(path + '.new', 'w', encoding='ascii') as f:
        f.write(f'{value + 1}\n')
    os.chmod(path + '.new', 0o644)
    os.replace(path + '.new', path)


def _systemd_manager(mock):
    return dbus.Interface(mock.connection.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1'),
                          'org.freedesktop.systemd1.Manager')


def _freeze(mock, freeze):
    '''FreezeUnits, frozen for the sleep or thawed after it (blocking: a
    host is whole again before it says it is back).'''
    for unit in mock.freeze_units:
        try:
            getattr(_systemd_manager(mock), 'FreezeUnit' if freeze else 'ThawUnit')(unit)
            mock.log(f'{"froze" if freeze else "thawed"} {unit}')
        except dbus.exceptions.DBusException as e:
            mock.log(f'could not {"freeze" if freeze else "thaw"} {unit}: {e.get_dbus_message()}')


def _end_sleep(mock, counter='success'):
    sleep = mock.sleeping
    sleep['end'] = time.time()
    mock.sleeping = None
    # the kernel counts the suspend before any process runs again
    _count(mock, counter)
    mock.log(f'simulated sleep ends ({"alarm" if sleep["by_alarm"] else "no alarm"}; '
             f'suspend_stats/{counter} counted)')
    _freeze(mock, False)
    unit = IMAGE_UNITS.get(sleep['verb'])
    if unit and mock.sleep_service_status_path:
        _run_sleep_unit(mock, unit, 1 if mock.image_write_fails else 0)
    else:
        _after_sleep(mock)


def _after_sleep(mock):
    _set_preparing(mock, False)
    if mock.resume_unit:
        _start_resume_unit(mock)


def _run_sleep_unit(mock, unit, status):
    '''The service systemd-sleep runs in, with this exit status; then, as
    logind does once the sleep's job is gone, PrepareForSleep(false).'''
    with open(mock.sleep_service_status_path, 'w', encoding='ascii') as f:
        f.write(f'{status}\n')
    done = []

    def finish(why):
        if done:
            return
        done.append(why)
        receiver.remove()
        mock.log(f'{unit}: {why}')
        _after_sleep(mock)

    def job_removed(_id, _job, name, result):
        if name == unit:
            finish(f'job removed ({result})')
    receiver = mock.connection.add_signal_receiver(job_removed, 'JobRemoved', 'org.freedesktop.systemd1.Manager',
                                                   'org.freedesktop.systemd1', '/org/freedesktop/systemd1')
    manager = _systemd_manager(mock)
    if not getattr(mock, 'subscribed', False):
        manager.Subscribe()  # PID 1 sends JobRemoved only to subscribers
        mock.subscribed = True
    manager.StartUnit(unit, 'replace', reply_handler=lambda job: mock.log(f'started {unit}: {job}'),
                      error_handler=lambda e: finish(f'could not start it: {e}'))


def _start_resume_unit(mock):
    '''What systemd does once systemd-suspend.service returns: the sleep
    target's job completes, and what is ordered after it runs.'''
    def failed(error):
        mock.log(f'could not start {mock.resume_unit}: {error}')
    _systemd_manager(mock).StartUnit(mock.resume_unit, 'replace',
                      reply_handler=lambda job: mock.log(f'started {mock.resume_unit}: {job}'),
                      error_handler=failed)


def _kernel_failed(mock):
    mock.wake_timer = 0
    if mock.sleeping is not None:
        _end_sleep(mock, 'fail')
    return GLib.SOURCE_REMOVE


def _timer_fired(mock):
    '''The alarm (or SleepMaxSec) is reached.'''
    mock.wake_timer = 0
    sleep = mock.sleeping
    if sleep is None:
        return GLib.SOURCE_REMOVE
    if sleep['by_alarm']:
        # The RTC reads back an expired alarm as empty.
        with open(mock.wakealarm_path, 'w', encoding='ascii'):
            pass
        if mock.hold_wake:
            sleep['held'] = True
            mock.log('the alarm fired; the host stays asleep until SetHoldWake(false)')
            return GLib.SOURCE_REMOVE
    _end_sleep(mock)
    return GLib.SOURCE_REMOVE


def _wake(mock):
    '''Wakes the host now (WakeUp()): not the alarm's doing unless it had fired.'''
    sleep = mock.sleeping
    if sleep is None:
        return
    if mock.wake_timer:
        GLib.source_remove(mock.wake_timer)
        mock.wake_timer = 0
    if not sleep.get('held'):
        sleep['by_alarm'] = False
    _end_sleep(mock)


def _refuse(mock, call, name, message):
    call['error'] = name
    raise dbus.exceptions.DBusException(message, name=name)


def _sleep_verb(mock, method, verb, flags, ok_cb, err_cb):
    '''A sleep verb: recorded now; the rest now, or on ReleaseSuspend().'''
    alarm = _read_number(mock.wakealarm_path) if mock.wakealarm_path else None
    rtc_now = _rtc_now(mock)
    call = {'method': method, 'flags': int(flags), 'alarm': alarm or 0,
            'rtc': rtc_now if rtc_now is not None else -1, 'time': time.time(), 'error': ''}
    mock.sleep_calls.append(call)
    mock.log(f'{method}({int(flags)}): wakealarm {alarm}, RTC clock {rtc_now}')

    def proceed():
        try:
            _sleep(mock, call, verb, flags)
        except dbus.exceptions.DBusException as e:
            err_cb(e)
            return
        ok_cb()

    if mock.hold_suspend:
        mock.log(f'{method} held until ReleaseSuspend()')
        mock.held_verbs.append(proceed)
    else:
        proceed()


def _sleep(mock, call, verb, flags):
    # read again: a held call goes on later, with what the RTC holds then
    alarm = _read_number(mock.wakealarm_path) if mock.wakealarm_path else None
    rtc_now = _rtc_now(mock)
    if mock.suspend_error:
        _refuse(mock, call, mock.suspend_error, mock.suspend_error_message)
    if mock.sleeping is not None:
        _refuse(mock, call, ERROR_OPERATION_IN_PROGRESS,
                'There is already a shutdown or sleep operation in progress')
    # SD_LOGIND_ROOT_CHECK_INHIBITORS: root is held to block inhibitors too
    if (mock.refuse_when_inhibited or int(flags) & 1) and _sleep_blocked(mock):
        _refuse(mock, call, ERROR_BLOCKED_BY_INHIBITOR, 'Operation denied due to active block inhibitor')

    now = time.time()
    ahead = None if alarm is None else alarm - (rtc_now if rtc_now is not None else now)
    by_alarm = ahead is not None and 0 < ahead <= mock.sleep_max_sec and not mock.kernel_suspend_fails
    wake_in = ahead if by_alarm else mock.sleep_max_sec
    mock.sleeping = {'verb': verb, 'flags': int(flags), 'start': now, 'end': 0.0,
                     'alarm': alarm or 0, 'by_alarm': by_alarm}
    mock.sleeps.append(mock.sleeping)
    if mock.kernel_suspend_fails:
        mock.log(f'simulated {verb}: the kernel fails to suspend')
        mock.wake_timer = GLib.timeout_add(0, _kernel_failed, mock)
    else:
        mock.log(f'simulated {verb}: alarm {alarm}, RTC clock {rtc_now}, wakes in {wake_in:.3f} s')
        mock.wake_timer = GLib.timeout_add(max(0, int(wake_in * 1000)), _timer_fired, mock)
    # logind announces the sleep before it replies to the verb.
    _set_preparing(mock, True)
    if mock.freeze_units:
        sleep = mock.sleeping

        def freeze():  # once our reply has left, unless the sleep is over
            if mock.sleeping is sleep:
                _freeze(mock, True)
            return GLib.SOURCE_REMOVE
        GLib.idle_add(freeze)


def _verb_method(method, verb, with_flags):
    '''logind's sleep verb, <verb>(b interactive) or <verb>WithFlags(t
    flags), as a D-Bus method of the mock named `method`.'''
    def call(self, arg, ok_cb, err_cb):
        _sleep_verb(self, method, verb, arg if with_flags else 0, ok_cb, err_cb)
    call.__name__ = call.__qualname__ = method  # the member name, and the name in the call log
    return dbus.service.method(MAIN_IFACE, in_signature='t' if with_flags else 'b', out_signature='',
                               async_callbacks=('ok_cb', 'err_cb'))(call)


# Suspend, SuspendWithFlags, Hibernate, ...: logind.py makes them the mock's
VERB_METHODS = {verb + suffix: _verb_method(verb + suffix, verb, suffix == 'WithFlags')
                for verb in ('Suspend', 'Hibernate', 'HybridSleep', 'SuspendThenHibernate')
                for suffix in ('', 'WithFlags')}
