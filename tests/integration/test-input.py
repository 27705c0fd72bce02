#!/usr/bin/python3
'''Bad input of every kind (issue 4), one meson test per row
(input-<table>-<row>): D-Bus calls with bad values (dbus-), wrong types and
signatures sent as they are (raw-), and CLI command lines (cli-).

Every row checks what DESIGN.md promises for bad input: the exact D-Bus
error name or CLI exit status and a message that names the problem;
nothing scheduled (hostpmtest.Watch: no unit ever created, no wake alarm
written); hostpmd still answers and is the same process; refusals come
before polkit; every refusal of hostpmd's is journaled with its caller.
Callers are unprivileged (uid 65534) unless a row says otherwise.
'''

import time

import testbed
from testbed import check, check_equal

from hostpmtest import (E, EXIT_CAPS_UNKNOWN, EXIT_REFUSED, EXIT_USAGE, HOSTPM_BUS, HOSTPM_IFACE, HOSTPM_PATH,
                        HOUR, INVALID_ARGS, NOBODY, RANGE, TARGETS, USEC, _schedule, _until, activate, call_as,
                        call_spec, check_daemon_answers, check_says, decision, hostpmd_state, polkit_asked, run_as,
                        run_cli, start)


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


def dbus_row(name, row):
    def test(bed):
        watch = start(bed, logind=row.logind, rtc=row.rtc, config=row.config, env=row.env)
        pid = activate(bed)
        call = row.call(now_usec()) if callable(row.call) else row.call
        client, (result,) = call_as(bed, [call], uid=row.uid)
        check_equal(result.get('error'), row.expect, f'{name}: the error of {call} (result {result})')
        check_says(result['message'], row.says, f'{name}: the error message')
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
        check_says(r.stderr, row.says, f'{name}: stderr')
        state, pid, _restarts = hostpmd_state(bed)
        if not row.reaches_daemon:
            # refused by the CLI itself: not even the activation of hostpmd
            check_equal(state, 'inactive', f'{name}: hostpmd.service after a command line refused by the CLI')
            pid = activate(bed)
        watch.check_nothing_made(name)
        check_equal(polkit_asked(bed), [], f'{name}: polkit asked before the refusal')
        if row.reaches_daemon and row.journal:
            decision(bed, 'REFUSED', NOBODY, client)
        check_daemon_answers(bed, pid, name)
    return test


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
    'duration-above-maximum': Bad(_schedule(duration=7 * 24 * HOUR + 1), E + 'DurationOutOfRange',
                                  ['7d 1us', RANGE]),
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
    'until-beyond-maximum': Bad(lambda now: _until(now + 8 * 24 * HOUR), E + 'DurationOutOfRange',
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
    # the bed's manager has no timer: nothing to wake for, said before polkit
    'next-timer-none': Bad(call_spec('ScheduleSuspendUntilNextTimer', 'stttt', ['mem', 0, 0, 0, 0]),
                           E + 'NoNextTimer', ['No systemd timer is waiting', 'nothing was scheduled']),
    'next-timer-both-bounds': Bad(lambda now: call_spec('ScheduleSuspendUntilNextTimer', 'stttt',
                                                        ['mem', HOUR, now + 2 * HOUR, 0, 0]),
                                  INVALID_ARGS, ['Both a duration and a wake time', 'at most one']),
    'next-timer-flags-unknown': Bad(call_spec('ScheduleSuspendUntilNextTimer', 'stttt', ['mem', 0, 0, 0, 4]),
                                    E + 'InvalidFlags', ['0x4']),
    'next-timer-bound-past': Bad(lambda now: call_spec('ScheduleSuspendUntilNextTimer', 'stttt',
                                                       ['mem', 0, now - HOUR, 0, 0]),
                                 E + 'WakeTimeInPast', ['is not after the suspend']),
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
    'duration-above-maximum': Bad(['7d 1s'], EXIT_REFUSED, ['7d 1s is out of range', RANGE]),
    'duration-days': Bad(['8d'], EXIT_REFUSED, ['8d is out of range', RANGE]),
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
    'until-beyond-maximum': Bad(lambda now: [f'--until=@{now // USEC + 8 * 86400}'], EXIT_REFUSED,
                            ['Waking at that time means a sleep of', RANGE]),
    'until-bad-clock': Bad(['--until=25:00'], EXIT_USAGE, ["invalid wake time '25:00'", 'expected HH:MM'],
                           reaches_daemon=False),
    'until-bad-date': Bad(['--until=2026-02-30 10:00'], EXIT_USAGE, ["invalid wake time '2026-02-30 10:00'"],
                          reaches_daemon=False),
    'until-empty-epoch': Bad(['--until=@'], EXIT_USAGE, ["invalid wake time '@'"], reaches_daemon=False),
    'until-word': Bad(['--until=tomorrow'], EXIT_USAGE, ["invalid wake time 'tomorrow'"], reaches_daemon=False),
    'until-overflow': Bad(['--until=@99999999999999999999'], EXIT_USAGE, ['invalid wake time'],
                          reaches_daemon=False),
    'until-twice': Bad(['--until=07:00', '--until=08:00'], EXIT_USAGE, ['--until=08:00 after --until=07:00'],
                       reaches_daemon=False),
    'next-timer-with-status': Bad(['--status', '--until=next-timer'], EXIT_USAGE, ['go with scheduling'],
                                  reaches_daemon=False),
    'next-timer-none': Bad(['--until=next-timer'], EXIT_REFUSED, ['No systemd timer is waiting']),
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
    pid = activate(bed)
    r = run_as(bed, ['busctl', 'call', HOSTPM_BUS, HOSTPM_PATH, HOSTPM_IFACE, 'ScheduleSuspend', 's', 'mem'])
    check_equal(r.returncode, 1, f'busctl exit status (stderr {r.stderr!r})')
    check_says(r.stderr, ["Invalid arguments 's'", "expecting 'sttt'"], 'busctl stderr')
    watch.check_nothing_made('busctl')
    check_daemon_answers(bed, pid, 'busctl')


CASES = {}
CASES.update({f'dbus-{name}': dbus_row(name, row) for name, row in DBUS_ROWS.items()})
CASES.update({f'raw-{name}': dbus_row(name, row) for name, row in RAW_ROWS.items()})
CASES['raw-busctl'] = busctl_row
CASES.update({f'cli-{name}': cli_row(name, row) for name, row in CLI_ROWS.items()})

if __name__ == '__main__':
    testbed.main(CASES)
