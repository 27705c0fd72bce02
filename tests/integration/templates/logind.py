'''hostpm's mock of systemd-logind's Manager object, for the integration test bed.

Load with:
    /usr/bin/python3 -m dbusmock --template tests/integration/templates/logind.py -p '<json>'

It models only what hostpm uses: the four Can*() questions, the four sleep
verbs (plain and *WithFlags), inhibitors, and the PrepareForSleep signal
around a simulated sleep that ends at the fake RTC's wake alarm.

Parameters (a JSON object; every key is optional, unknown keys are refused so
that a typo in a test cannot silently test something else):

  CanSuspend, CanHibernate, CanHybridSleep, CanSuspendThenHibernate
      The answer, any string, passed through unchecked (default "yes"); or
      {"error": "<D-Bus error name>", "message": "..."} to reply with an
      error; or {"noreply": true} never to reply.
  CanError, CanErrorMessage
      All four Can*() reply with this D-Bus error, for example
      org.freedesktop.DBus.Error.AccessDenied.
  CanNoReply
      true: no Can*() ever replies (the callbacks are kept, never called),
      so callers run into their own timeout.
  CanDelayMs
      Each Can*() reply leaves this many milliseconds after its call. A GLib
      timeout, not a sleep: the mock keeps serving other calls meanwhile.
  CanBatch
      n: hold Can*() replies until n Can*() calls are waiting, then answer
      them all; if fewer arrive, answer CanDelayMs (default 1000) after the
      first. A client that asks one question at a time can never have n
      outstanding, so a bus capture tells a concurrent client from a
      sequential one by message order alone, with no timing assumption.
  SuspendError, SuspendErrorMessage
      Suspend(), Hibernate(), HybridSleep(), SuspendThenHibernate() and
      their *WithFlags() variants refuse with this D-Bus error.
  WakealarmPath
      The fake RTC's wakealarm file (<sysfs>/class/rtc/rtc0/wakealarm).
  SuspendStatsPath
      The fake kernel's <sysfs>/power/suspend_stats: every simulated sleep
      adds one to its success file as the host wakes, as the kernel counts
      a suspend when it returns from one (hostpm-sleep takes that as the
      evidence that the host slept). Without the files, nothing is counted.
  HoldSuspend
      true: a sleep verb is recorded when called but goes no further (no
      PrepareForSleep, no reply) until ReleaseSuspend(), so a test can act
      between the call and the sleep, as a slow logind would let anyone.
  KernelSuspendFails
      true: the sleep verbs are accepted and PrepareForSleep(true) sent, but
      the "kernel" fails to suspend: suspend_stats/fail goes up by one and
      PrepareForSleep(false) follows at once, as logind does when its sleep
      job fails.
  SleepServiceStatusPath
      A file whose number is the exit status of the bed's stand-ins for
      systemd-sleep's services (systemd-hibernate.service and its kin, in
      the bed's unit directory). An image verb's sleep ends as logind's
      does: that service runs when the host "resumes", and
      PrepareForSleep(false) follows once its job is removed. Without it
      no service runs.
  ImageWriteFails
      true: an image verb's service fails (exit status 1), as when the
      kernel cannot write the image; suspend_stats/success is still
      counted, standing for the clock jump the snapshot alone makes (the
      bed cannot move CLOCK_BOOTTIME).
  SleepMaxSec
      Longest simulated sleep (default 30), so a test whose alarm is
      missing, in the past or far away still ends.
  HoldWake
      true: when the alarm fires the "host" stays asleep until
      SetHoldWake(false), so a test can look at a sleeping host without
      racing its wake-up. The alarm still counts as what woke it.
  BlockInhibitor
      {"what": "sleep", "who": "...", "why": "...", "mode": "block"}: an
      inhibitor held by the mock from the start.
  MagicPacketInterface
      A network interface of the mock's network namespace (for example
      "eth0"): the mock watches it (AF_PACKET, so it needs CAP_NET_RAW) for
      Wake-on-LAN magic packets addressed to the interface's MAC address,
      six bytes 0xff then the MAC sixteen times, anywhere in a frame, as a
      NIC armed with "wol g" does. Each one is recorded (GetMagicPackets());
      one that arrives during a simulated sleep ends it, unless
      MagicPacketWakes is false.
  MagicPacketWakes
      false: magic packets are recorded but wake nothing, as on a NIC whose
      wake-up was not armed (default true; SetMagicPacketWakes() changes it).
  FreezeUnits
      Units of the systemd manager on the mock's bus (for example
      ["slurmd.service"]) frozen (FreezeUnit()) for the length of each
      simulated sleep, as the whole host is: what they serve goes silent.
      They are thawed before PrepareForSleep(false).
  ResumeUnit
      A unit (for example "suspend.target") the mock starts with the
      systemd manager on its bus after every simulated sleep, as systemd
      reaches suspend.target once systemd-suspend.service returns from the
      sleep: units ordered After= it and wanted by it run after the resume.
  RefuseWhenInhibited
      true: sleep verbs fail with org.freedesktop.login1.BlockedByInhibitorLock
      while a "sleep" block inhibitor is held, as newer logind does even
      for root. Default false: logind 252 lets a root caller through,
      unless it calls a *WithFlags() verb with flag 1
      (SD_LOGIND_ROOT_CHECK_INHIBITORS), which the mock honours always.

A simulated sleep, like logind: the verb emits PrepareForSleep(true) and then
returns; the "host" sleeps until the RTC's clock reaches the alarm in
WakealarmPath or for SleepMaxSec, whichever comes first. The RTC's clock is
its since_epoch file (next to wakealarm; the test bed may keep it ticking,
and at an offset from the system clock, as an RTC in local time is); both are
read when the verb is called, and without since_epoch the system clock
stands in. An alarm already in the past never fires, as on real hardware.
When the alarm fires the wakealarm file is emptied, as the kernel's RTC
class reads back an expired alarm; then PrepareForSleep(false) is emitted.
Only one sleep at a time: another verb meanwhile gets
org.freedesktop.login1.OperationInProgress.

Mock-only methods (interface org.freedesktop.DBus.Mock), besides dbusmock's
own GetCalls()/GetMethodCalls()/ClearCalls() which record every call:
  SetCanAnswer(s method, s answer)   change one Can*() answer
  SetSuspendError(s name, s message) make the sleep verbs refuse ("" clears)
  WakeUp()                           end the current simulated sleep now
  SetHoldWake(b hold)                see HoldWake; false wakes a held host
  SetSleepMaxSec(d seconds)          SleepMaxSec for the sleeps from now on
  GetSleeps() -> a(sddb)             (verb, start, end or 0 while asleep,
                                      woken by the alarm), epoch seconds
  ReleaseSuspend()                   let the verbs held by HoldSuspend go on
                                     (and hold no more)
  EmitPrepareForSleep(b start)       emit PrepareForSleep(start), from logind's
                                     own name, with no sleep and nothing counted
  GetSleepCalls() -> a(sttxds)       every sleep verb call, refused ones too:
                                      (method, flags, the alarm in wakealarm
                                      and the RTC's clock at the call, 0 if
                                      none; -1 for no clock; epoch time of the
                                      call; the error name or "" if accepted)
  GetMagicPackets() -> a(dbb)        every magic packet for our MAC seen on
                                      MagicPacketInterface: (epoch time,
                                      whether a sleep was under way, whether
                                      it ended that sleep)
  SetMagicPacketWakes(b wakes)       see MagicPacketWakes
'''

import fcntl
import os
import socket
import struct
import sys
import time

import dbus
import dbus.service
from dbusmock import MOCK_IFACE
from gi.repository import GLib

# The sleep verbs and the simulated sleep, in a module beside this one.
sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from logindsleep import MAIN_IFACE, VERB_METHODS, _end_sleep, _set_preparing, _wake  # noqa: E402 pylint: disable=C0413

# dbusmock makes every D-Bus method among this module's names one of the mock's
globals().update(VERB_METHODS)

BUS_NAME = 'org.freedesktop.login1'
MAIN_OBJ = '/org/freedesktop/login1'
SYSTEM_BUS = True

CAN_METHODS = ('CanSuspend', 'CanHibernate', 'CanHybridSleep', 'CanSuspendThenHibernate')

PARAMETERS = set(CAN_METHODS) | {
    'CanError', 'CanErrorMessage', 'CanNoReply', 'CanDelayMs', 'CanBatch',
    'SuspendError', 'SuspendErrorMessage', 'WakealarmPath', 'SleepMaxSec',
    'BlockInhibitor', 'RefuseWhenInhibited', 'HoldWake',
    'SuspendStatsPath', 'HoldSuspend', 'KernelSuspendFails',
    'MagicPacketInterface', 'MagicPacketWakes', 'ResumeUnit', 'FreezeUnits',
    'SleepServiceStatusPath', 'ImageWriteFails',
}


def load(mock, parameters):
    unknown = set(parameters) - PARAMETERS
    if unknown:
        raise ValueError(f'logind template: unknown parameters {sorted(unknown)}; '
                         f'expected some of {sorted(PARAMETERS)}')

    mock.can_answers = {m: parameters.get(m, 'yes') for m in CAN_METHODS}
    if parameters.get('CanError'):
        error = {'error': parameters['CanError'],
                 'message': parameters.get('CanErrorMessage', 'Refused by the mock')}
        mock.can_answers = dict.fromkeys(CAN_METHODS, error)
    if parameters.get('CanNoReply'):
        mock.can_answers = dict.fromkeys(CAN_METHODS, {'noreply': True})
    mock.can_delay_ms = int(parameters.get('CanDelayMs', 0))
    mock.can_batch = int(parameters.get('CanBatch', 0))
    mock.batch = []             # replies waiting for the batch to fill
    mock.batch_timer = 0
    mock.unanswered = []        # callbacks of calls that never get a reply

    mock.suspend_error = parameters.get('SuspendError', '')
    mock.suspend_error_message = parameters.get('SuspendErrorMessage', 'Refused by the mock')
    mock.refuse_when_inhibited = bool(parameters.get('RefuseWhenInhibited', False))
    mock.wakealarm_path = parameters.get('WakealarmPath', '')
    mock.sleep_max_sec = float(parameters.get('SleepMaxSec', 30))
    mock.hold_wake = bool(parameters.get('HoldWake', False))
    mock.suspend_stats_path = parameters.get('SuspendStatsPath', '')
    mock.hold_suspend = bool(parameters.get('HoldSuspend', False))
    mock.held_verbs = []        # what ReleaseSuspend() lets go on
    mock.kernel_suspend_fails = bool(parameters.get('KernelSuspendFails', False))
    mock.sleeping = None        # the current sleep, an entry of mock.sleeps
    mock.sleeps = []
    mock.sleep_calls = []       # (method, flags, alarm, rtc clock, time, error)
    mock.wake_timer = 0

    mock.resume_unit = parameters.get('ResumeUnit', '')
    mock.sleep_service_status_path = parameters.get('SleepServiceStatusPath', '')
    mock.image_write_fails = bool(parameters.get('ImageWriteFails', False))
    mock.freeze_units = list(parameters.get('FreezeUnits', []))
    mock.magic_packets = []     # (time, asleep, woke)
    mock.magic_packet_wakes = bool(parameters.get('MagicPacketWakes', True))
    if parameters.get('MagicPacketInterface'):
        _watch_magic_packets(mock, parameters['MagicPacketInterface'])

    mock.inhibitors = []
    mock.held_fds = []          # our own end of inhibitors the mock holds itself
    blocker = parameters.get('BlockInhibitor')
    if blocker:
        read_end, write_end = os.pipe()
        mock.held_fds += [read_end, write_end]
        mock.inhibitors.append((blocker.get('what', 'sleep'), blocker.get('who', 'testbed'),
                                blocker.get('why', 'held by the test bed'),
                                blocker.get('mode', 'block'), 0, os.getpid()))

    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({
        'PreparingForSleep': dbus.Boolean(False),
        'PreparingForShutdown': dbus.Boolean(False),
        'BlockInhibited': '',
        'DelayInhibited': '',
    }, signature='sv'))
    _update_inhibited_properties(mock)


#
# Can*(): answer, error, silence, delay or batch
#

def _reply_can(spec, ok_cb, err_cb):
    if isinstance(spec, dict) and spec.get('error'):
        err_cb(dbus.exceptions.DBusException(spec.get('message', 'Refused by the mock'),
                                             name=spec['error']))
    else:
        ok_cb(str(spec))


def _release_batch(mock):
    if mock.batch_timer:
        GLib.source_remove(mock.batch_timer)
        mock.batch_timer = 0
    batch, mock.batch = mock.batch, []
    for reply in batch:
        reply()


def _answer_can(mock, method, ok_cb, err_cb):
    spec = mock.can_answers[method]
    if isinstance(spec, dict) and spec.get('noreply'):
        mock.unanswered.append((ok_cb, err_cb))
        return

    def reply():
        _reply_can(spec, ok_cb, err_cb)

    if mock.can_batch:
        mock.batch.append(reply)
        if len(mock.batch) >= mock.can_batch:
            _release_batch(mock)
        elif not mock.batch_timer:
            def timed_out():
                mock.batch_timer = 0
                _release_batch(mock)
                return GLib.SOURCE_REMOVE
            mock.batch_timer = GLib.timeout_add(mock.can_delay_ms or 1000, timed_out)
    elif mock.can_delay_ms:
        def delayed():
            reply()
            return GLib.SOURCE_REMOVE
        GLib.timeout_add(mock.can_delay_ms, delayed)
    else:
        reply()


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='s',
                     async_callbacks=('ok_cb', 'err_cb'))
def CanSuspend(self, ok_cb, err_cb):
    _answer_can(self, 'CanSuspend', ok_cb, err_cb)


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='s',
                     async_callbacks=('ok_cb', 'err_cb'))
def CanHibernate(self, ok_cb, err_cb):
    _answer_can(self, 'CanHibernate', ok_cb, err_cb)


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='s',
                     async_callbacks=('ok_cb', 'err_cb'))
def CanHybridSleep(self, ok_cb, err_cb):
    _answer_can(self, 'CanHybridSleep', ok_cb, err_cb)


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='s',
                     async_callbacks=('ok_cb', 'err_cb'))
def CanSuspendThenHibernate(self, ok_cb, err_cb):
    _answer_can(self, 'CanSuspendThenHibernate', ok_cb, err_cb)


#
# Wake-on-LAN: magic packets on an interface
#

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SIOCGIFHWADDR = 0x8927


def _interface_mac(name):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, struct.pack('256s', name.encode()[:15]))
    return ifreq[18:24]


def _watch_magic_packets(mock, interface):
    mac = _interface_mac(interface)
    pattern = b'\xff' * 6 + mac * 16
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((interface, 0))
    mock.magic_socket = sock  # kept open for the life of the mock
    mock.log(f'watching {interface} ({mac.hex(":")}) for magic packets')

    def readable(_fd, _condition):
        frame, address = sock.recvfrom(65536)
        if address[2] == PACKET_OUTGOING or pattern not in frame:
            return GLib.SOURCE_CONTINUE
        asleep = mock.sleeping is not None
        woke = asleep and mock.magic_packet_wakes
        mock.magic_packets.append((time.time(), asleep, woke))
        state = 'wakes the host' if woke else 'host asleep, wake not armed' if asleep else 'host awake'
        mock.log(f'magic packet on {interface}: {state}')
        if woke:
            _wake(mock)
        return GLib.SOURCE_CONTINUE

    GLib.io_add_watch(sock.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN, readable)


#
# Inhibitors
#

def _update_inhibited_properties(mock):
    for mode, prop in (('block', 'BlockInhibited'), ('delay', 'DelayInhibited')):
        whats = sorted({w for what, _who, _why, m, _uid, _pid in mock.inhibitors
                        if m == mode for w in what.split(':')})
        mock.props[MAIN_IFACE][prop] = ':'.join(whats)


def _caller(mock, sender):
    bus = mock.connection
    uid = bus.get_unix_user(sender)
    pid = bus.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                            'GetConnectionUnixProcessID', 's', (sender,))
    return int(uid), int(pid)


@dbus.service.method(MAIN_IFACE, in_signature='ssss', out_signature='h', sender_keyword='sender')
def Inhibit(self, what, who, why, mode, sender=None):
    if mode not in ('block', 'delay', 'block-weak'):
        raise dbus.exceptions.DBusException(f'Invalid mode specification {mode}',
                                            name='org.freedesktop.DBus.Error.InvalidArgs')
    uid, pid = _caller(self, sender)
    inhibitor = (str(what), str(who), str(why), str(mode), uid, pid)
    read_end, write_end = os.pipe()

    # The inhibitor lasts until every copy of the returned fd is closed.
    def released(fd, _condition):
        os.close(fd)
        self.inhibitors.remove(inhibitor)
        _update_inhibited_properties(self)
        self.log(f'inhibitor released: {inhibitor}')
        return GLib.SOURCE_REMOVE

    GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, read_end, GLib.IOCondition.HUP, released)
    self.inhibitors.append(inhibitor)
    _update_inhibited_properties(self)
    fd = dbus.types.UnixFd(write_end)  # dbus-python keeps a duplicate
    os.close(write_end)
    return fd


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='a(ssssuu)')
def ListInhibitors(self):
    return dbus.Array(self.inhibitors, signature='(ssssuu)')


#
# Controls for the tests
#

@dbus.service.method(MOCK_IFACE, in_signature='ss', out_signature='')
def SetCanAnswer(self, method, answer):
    if method not in CAN_METHODS:
        raise dbus.exceptions.DBusException(f'{method} is not one of {CAN_METHODS}',
                                            name='org.freedesktop.DBus.Error.InvalidArgs')
    self.can_answers[str(method)] = str(answer)


@dbus.service.method(MOCK_IFACE, in_signature='ss', out_signature='')
def SetSuspendError(self, name, message):
    self.suspend_error = str(name)
    self.suspend_error_message = str(message) or 'Refused by the mock'


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def WakeUp(self):
    _wake(self)


@dbus.service.method(MOCK_IFACE, in_signature='d', out_signature='')
def SetSleepMaxSec(self, seconds):
    self.sleep_max_sec = float(seconds)


@dbus.service.method(MOCK_IFACE, in_signature='b', out_signature='')
def SetHoldWake(self, hold):
    self.hold_wake = bool(hold)
    if not hold and self.sleeping is not None and self.sleeping.get('held'):
        _end_sleep(self)


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def ReleaseSuspend(self):
    self.hold_suspend = False
    held, self.held_verbs = self.held_verbs, []
    for proceed in held:
        proceed()


@dbus.service.method(MOCK_IFACE, in_signature='b', out_signature='')
def EmitPrepareForSleep(self, start):
    self.log(f'PrepareForSleep({bool(start)}) on request: no sleep, nothing counted')
    _set_preparing(self, bool(start))


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='a(sddb)')
def GetSleeps(self):
    return dbus.Array([(s['verb'], s['start'], s['end'], s['by_alarm']) for s in self.sleeps],
                      signature='(sddb)')


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='a(sttxds)')
def GetSleepCalls(self):
    return dbus.Array([(c['method'], dbus.UInt64(c['flags']), dbus.UInt64(c['alarm']),
                        dbus.Int64(c['rtc']), c['time'], c['error']) for c in self.sleep_calls],
                      signature='(sttxds)')


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='a(dbb)')
def GetMagicPackets(self):
    return dbus.Array(self.magic_packets, signature='(dbb)')


@dbus.service.method(MOCK_IFACE, in_signature='b', out_signature='')
def SetMagicPacketWakes(self, wakes):
    self.magic_packet_wakes = bool(wakes)
