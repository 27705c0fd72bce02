#!/usr/bin/python3
'''Bad configuration (issue 4), one meson test per row (config-<row>):
hostpmd refuses to start, names the file, line and what is accepted, and
nothing is scheduled or journaled; what is not an error (no file, no
directory) runs with the defaults. config-cli-says-why: what the CLI says
when hostpmd cannot start.
'''

import os

import isolation
import testbed
from testbed import check, check_equal

from hostpmtest import (EXIT_FAILED, EXIT_OK, EXIT_REFUSED, HOUR, RANGE, TARGETS, USEC, check_says, hostpm_properties,
                        hostpmd_state, root_call, run_cli, start, wait_nothing_left, write)


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
    'next-timers-unknown': BadConfig(_main('NextTimers=wake'),
                                     ['{dir}/hostpm.conf:2: NextTimers=wake: expected wake-system (timers with '
                                      'WakeSystem=yes) or all']),
    'next-timer-lead-too-long': BadConfig(_main('NextTimerLead=2d'), ['NextTimerLead=2d: too long; expected 0 to 1d']),
    'stay-awake-garbage': BadConfig(_main('StayAwakeAfterWake=yes'),
                                    ['StayAwakeAfterWake=yes: not a time span; expected e.g. 10min, 0 (off)']),
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
                        (5 * USEC, 60 * USEC, 7 * 24 * HOUR), f'{name}: the configuration in force')
            check_equal(sorted(props['AllowedTargets']), sorted(TARGETS.split(', ')), f'{name}: AllowedTargets')
            client, r = run_cli(bed, ['--no-ask-password', '30s'])
            check_equal(r.returncode, EXIT_REFUSED, f'{name}: exit status of 30s')
            check_says(r.stderr, ['30s is out of range', RANGE], f'{name}: stderr of 30s')
            root_call(bed, 'CancelSuspend')
            wait_nothing_left(bed, name)
            return
        r = bed.run(['systemctl', '--user', 'start', 'hostpmd.service'])
        check(r.returncode != 0, f'{name}: hostpmd started with a bad configuration')
        state, _pid, _restarts = hostpmd_state(bed)
        check_equal(state, 'failed', f'{name}: hostpmd.service')
        says = [s.format(dir=config_dir) for s in row.says]
        def refusals():
            # by the stream's identifier: hostpmd may have exited before the
            # journal looked up its cgroup, leaving the entry without a unit
            return [e['MESSAGE'] for e in bed.journal.find(SYSLOG_IDENTIFIER='hostpmd')
                    if 'Refusing to start' in e.get('MESSAGE', '')]

        # systemctl's answer can come before the journal has read the
        # service's last line: wait for it, then count
        isolation.wait_for(refusals, f'{name}: hostpmd\'s "Refusing to start" line')
        refusals = refusals()
        check_equal(len(refusals), 1, f'{name}: hostpmd\'s "Refusing to start" lines')
        check_says(refusals[0], says, f'{name}: hostpmd\'s log')
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
    check_says(r.stderr, ['hostpmd could not be reached; see: systemctl status hostpmd.service'], 'stderr')
    watch.check_nothing_made('config-cli-says-why')


CASES = {name: config_row(name, row) for name, row in CONFIG_ROWS.items()}
CASES['cli-says-why'] = config_cli_says_why

if __name__ == '__main__':
    testbed.main(CASES)
