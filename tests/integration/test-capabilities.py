#!/usr/bin/python3
'''hostpm-suspend --capabilities: the CLI asks hostpmd (D-Bus activated by
the bed's user manager, as in production), which asks the mock logind and
reads the fake RTC.

Each case runs the CLI twice, --xml and --json, and checks:
  * the exit status (0, or 3 when logind could not be asked) and stderr
    (silent on success; a warning naming the cause otherwise);
  * the output, byte for byte, against expected/<case>.xml and .json;
  * the XML against data/hostpm-capabilities.rng, and its <power_management>
    block alone against data/libvirt-power-management.rng (libxml2's RelaxNG,
    through xmllint);
  * that the JSON says what the XML says.

HOSTPM_TESTBED_UPDATE_EXPECTED=1 writes the outputs to expected/ instead of
comparing: review the diff before committing it.
'''

import difflib
import json
import os
import shutil
import xml.etree.ElementTree as ET

import testbed
from testbed import check, check_equal

import buscapture

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, 'expected')
CAN_METHODS = ('CanSuspend', 'CanHibernate', 'CanHybridSleep', 'CanSuspendThenHibernate')
EXIT_OK, EXIT_USAGE, EXIT_CAPABILITIES_UNKNOWN = 0, 2, 3


def answers(mem, disk, hybrid, then_hibernate):
    return dict(zip(CAN_METHODS, (mem, disk, hybrid, then_hibernate)))


def all_answers(answer):
    return answers(answer, answer, answer, answer)


class Case:
    def __init__(self, logind, rtc=None, env=None, status=EXIT_OK, warning=(), hibernation=None, config=None):
        self.logind = logind    # mock parameters; None: no logind on the bus
        self.config = config    # hostpm.conf; None: none, the defaults
        self.rtc = rtc          # make_rtc() arguments; None: the default RTC
        self.hibernation = hibernation or {}  # make_hibernation() arguments
        self.env = env or {}    # for hostpmd (set before the bed starts) and the CLI
        self.status = status
        self.warning = warning  # what stderr must name; () means stderr stays empty


GOLDEN_CASES = {
    'all-yes': Case(all_answers('yes')),
    'all-no': Case(all_answers('no')),
    'all-na': Case(all_answers('na')),
    'mixed': Case(answers('yes', 'no', 'na', 'challenge')),
    'challenge': Case(all_answers('challenge')),
    'inhibited': Case(all_answers('inhibited')),
    'inhibitor-blocked': Case(all_answers('inhibitor-blocked')),
    'challenge-inhibitor-blocked': Case(all_answers('challenge-inhibitor-blocked')),
    'unknown-answer': Case(answers('maybe-tomorrow', 'yes', 'yes', 'yes')),
    # a raw answer is copied into an attribute and a JSON string: escaping
    'answer-needs-escaping': Case(answers('yes', 'yes', 'odd <"&\'> answer', 'yes')),
    # logind before CanSuspendThenHibernate existed: that target is "na"
    'older-logind': Case(answers('yes', 'yes', 'yes',
                                 {'error': 'org.freedesktop.DBus.Error.UnknownMethod',
                                  'message': 'Unknown method CanSuspendThenHibernate'})),
    'logind-absent': Case(None, status=EXIT_CAPABILITIES_UNKNOWN,
                          warning=('org.freedesktop.DBus.Error.ServiceUnknown',)),
    'logind-error': Case({'CanError': 'org.freedesktop.DBus.Error.AccessDenied',
                          'CanErrorMessage': 'Access denied by the test bed'},
                         status=EXIT_CAPABILITIES_UNKNOWN,
                         warning=('org.freedesktop.DBus.Error.AccessDenied',
                                  'Access denied by the test bed')),
    # one failed answer is enough to claim nothing
    'one-answer-error': Case(answers('yes', {'error': 'org.freedesktop.DBus.Error.AccessDenied',
                                             'message': 'Not this one'}, 'yes', 'yes'),
                             status=EXIT_CAPABILITIES_UNKNOWN,
                             warning=('org.freedesktop.DBus.Error.AccessDenied', 'Not this one')),
    # hostpmd gives logind 5 s; the seam shortens the wait, not the path
    'logind-timeout': Case({'CanNoReply': True}, env={'HOSTPM_LOGIND_TIMEOUT_USEC': '300000'},
                           status=EXIT_CAPABILITIES_UNKNOWN,
                           warning=('org.freedesktop.DBus.Error.NoReply',)),
    'rtc-absent': Case({}, rtc={'present': False}),
    'rtc-wakeup-disabled': Case({}, rtc={'wakeup': 'disabled'}),
    'rtc-no-wakeup-file': Case({}, rtc={'wakeup': None}),
    'rtc-no-wakealarm': Case({}, rtc={'wakealarm': False}),
    'rtc-alarm-pending': Case({}, rtc={'alarm': 4102444800}),  # 2100-01-01
    # what disk, hybrid and suspend-then-hibernate need (issue 13, item 7)
    'hibernation-swap-too-small': Case({}, hibernation={'swap_kib': 2044}),
    'hibernation-no-swap': Case(answers('yes', 'na', 'na', 'na'), hibernation={'swap_kib': 0}),
    'hibernation-no-resume-device': Case({}, hibernation={'resume': '0:0'}),
    'hibernation-facts-unreadable': Case({}, hibernation={'resume': None, 'image_size': None, 'proc_files': False,
                                                          'rtc_s4': None}),
    'rtc-no-s4-wake': Case({}, hibernation={'rtc_s4': False}),
    # how far ahead the RTC takes an alarm (issue 13, items 4 and 7): the
    # default FADT has no day alarm (as QEMU's); "unreadable" above has none
    'rtc-day-alarm': Case({}, hibernation={'fadt_alarms': (0x0d, 0)}),
    'rtc-month-alarm': Case({}, hibernation={'fadt_alarms': (0x0d, 0x7f)}),
    'rtc-range-configured': Case({}, config='[Suspend]\nWakeAlarmRange=3d\n'),
    'rtc-other-driver': Case({}, rtc={'name': 'rtc-efi'}),
}


def xmllint():
    path = shutil.which('xmllint')
    if not path:
        raise testbed.Skip('xmllint is missing (Debian: libxml2-utils)')
    return path


def validate(bed, document, schema, what):
    path = os.path.join(bed.tmp, f'{what}.xml')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(document)
    r = bed.run([xmllint(), '--noout', '--relaxng', bed.path('data', schema), path])
    check_equal(r.returncode, 0, f'{what} against {schema} (xmllint said: {r.stderr.strip()})')


def compare_expected(name, actual):
    path = os.path.join(EXPECTED, name)
    if os.environ.get('HOSTPM_TESTBED_UPDATE_EXPECTED') == '1':
        with open(path, 'w', encoding='utf-8') as f:
            f.write(actual)
        print(f'updated {path}; review the diff')
        return
    with open(path, encoding='utf-8') as f:
        expected = f.read()
    if actual != expected:
        diff = ''.join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f'expected/{name}', 'hostpm-suspend'))
        raise AssertionError(f'output differs from expected/{name}:\n{diff}')


def xml_as_json(document):
    '''The JSON document the XML one should mirror.'''
    host = ET.fromstring(document).find('host')
    pm = host.find('power_management')
    targets = host.find('sleep_targets')
    wake = host.find('wake_alarm')
    yes = {'yes': True, 'no': False}

    sleep_targets = {'source': targets.get('source'), 'status': targets.get('status')}
    if targets.get('status') == 'ok':
        sleep_targets['targets'] = [{'name': t.get('name'), 'supported': yes[t.get('supported')],
                                     'blocked': yes[t.get('blocked')], 'logind': t.get('logind')}
                                    for t in targets.findall('target')]
    else:
        error = targets.find('error')
        sleep_targets['error'] = {'name': error.get('name'), 'message': error.text or ''}

    wake_alarm = {'device': wake.get('device'), 'present': yes[wake.get('present')]}
    for key in ('driver', 'wakealarm', 'wakeup', 'alarm', 's4_wake', 'range_seconds', 'range_source', 'day_alarm',
                'max_seconds'):
        value = wake.get(key)
        if value is not None:
            wake_alarm[key] = (int(value) if key in ('alarm', 'range_seconds', 'max_seconds') else
                               value if key in ('s4_wake', 'range_source', 'day_alarm') else yes.get(value, value))
    document = {'power_management': None if pm is None else [e.tag for e in pm],
                'sleep_targets': sleep_targets, 'wake_alarm': wake_alarm}
    hib = host.find('hibernation')
    if hib is not None:
        numbers = ('swaps', 'swap_total', 'swap_free', 'swap_needed', 'image_size', 'memory_in_use')
        document['hibernation'] = {k: int(v) if k in numbers else yes.get(v, v) for k, v in hib.attrib.items()}
        if hib.find('problem') is not None:
            document['hibernation']['problem'] = hib.find('problem').text
    return document


def run_cli(bed, case, *args):
    r = bed.run([bed.cli, '--capabilities', *args], env=case.env)
    check_equal(r.returncode, case.status, f'exit status of {" ".join(args)}')
    if case.warning:
        for cause in case.warning:
            check(cause in r.stderr, f'the warning does not name {cause!r}: {r.stderr!r}')
    else:
        check_equal(r.stderr, '', f'stderr of {" ".join(args)}')
    return r.stdout


def golden(name, case):
    def test(bed):
        xmllint()
        bed.setenv(**case.env)
        if case.config is not None:
            with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
                f.write(case.config)
        bed.start(logind=case.logind, rtc=case.rtc, hostpmd=True)
        if case.hibernation:
            bed.make_hibernation(**case.hibernation)
        document = run_cli(bed, case, '--xml')
        text = run_cli(bed, case, '--json')
        compare_expected(f'{name}.xml', document)
        compare_expected(f'{name}.json', text)

        validate(bed, document, 'hostpm-capabilities.rng', 'capabilities')
        pm = ET.fromstring(document).find('host/power_management')
        if case.status == EXIT_OK:
            check(pm is not None, 'no <power_management> although logind answered')
            validate(bed, ET.tostring(pm, encoding='unicode'), 'libvirt-power-management.rng',
                     'power_management')
        else:
            check(pm is None, '<power_management> although logind could not be asked')
        check_equal(json.loads(text), xml_as_json(document), 'the JSON, compared with the XML')
    return test


def concurrent_queries(bed):
    '''The four Can*() leave before the first answer comes back. The mock
    holds its answers until all four are in (or 4 s after the first:
    longer than a loaded machine may pause hostpmd between two sends,
    shorter than hostpmd's own 5 s bound on logind): a CLI that asked one
    at a time could never have four outstanding, so the order in the bus
    capture alone proves it, with no timing involved.'''
    bed.start(logind={'CanBatch': 4, 'CanDelayMs': 4000}, hostpmd=True)
    with buscapture.BusCapture(bed) as capture:
        r = bed.run([bed.cli, '--capabilities', '--xml'])
    check_equal(r.returncode, EXIT_OK, 'exit status')
    client = buscapture.check_asked_concurrently(capture.messages(), ('org.freedesktop.login1',),
                                                 CAN_METHODS)
    check_equal(client, str(bed.bus.get_name_owner('org.hostpm1')), 'who asked logind')


def table(bed):
    '''The table for people: no golden file (its layout may change), but it
    must work and name every target.'''
    bed.start(logind=answers('yes', 'no', 'challenge', 'inhibited'), hostpmd=True)
    r = bed.run([bed.cli, '--capabilities'])
    check_equal((r.returncode, r.stderr), (EXIT_OK, ''), 'exit status and stderr')
    for target in ('mem', 'disk', 'hybrid', 'suspend-then-hibernate', 'rtc0'):
        check(target in r.stdout, f'{target} missing from the table:\n{r.stdout}')
    for words in ('wakes from S4: yes', 'Alarm range:   23h 59min 59s ahead (firmware, day alarm: no)',
                  'Hibernation:   possible, swap 1024 MiB free of 1024 MiB in 1, '
                  'image needs about 176 MiB, resume device 254:16'):
        check(words in r.stdout, f'{words!r} missing from the table:\n{r.stdout}')
    bed.make_hibernation(swap_kib=2044)
    r = bed.run([bed.cli, '--capabilities'])
    check('Hibernation:   not possible' in r.stdout and 'swap too small: 2 MiB free' in r.stdout,
          f'the table says why hibernation is not possible:\n{r.stdout}')


def unprivileged_caller(bed):
    '''Reading the capabilities is open to every user, with no polkit
    involved: the same document as for root.'''
    bed.start(logind=answers('yes', 'no', 'challenge', 'inhibited'), hostpmd=True)
    as_root = bed.run([bed.cli, '--capabilities', '--xml'])
    as_nobody = bed.run_as(65534, [bed.cli, '--capabilities', '--xml'])
    check_equal((as_nobody.returncode, as_nobody.stderr), (EXIT_OK, ''), 'exit status and stderr as uid 65534')
    check_equal(as_nobody.stdout, as_root.stdout, 'the document as uid 65534')


def hostpmd_absent(bed):
    '''Not installed: the bus says so at once, and the CLI says what failed.'''
    bed.start(logind={})
    r = bed.run([bed.cli, '--capabilities', '--xml'])
    check_equal(r.returncode, 1, 'exit status')
    check(r.stdout == '' and 'org.hostpm1' in r.stderr, f'the error names the service: {r.stderr!r}')


def usage_errors(bed):
    for args in (['--no-such-option'], [], ['--capabilities', 'extra']):
        r = bed.run([bed.cli, *args])
        check_equal(r.returncode, EXIT_USAGE, f'exit status of {args}')
        check(r.stdout == '' and r.stderr != '', f'{args}: the error goes to stderr, alone')


CASES = {name: golden(name, case) for name, case in GOLDEN_CASES.items()}
CASES.update({
    'concurrent-queries': concurrent_queries,
    'table': table,
    'unprivileged-caller': unprivileged_caller,
    'hostpmd-absent': hostpmd_absent,
    'usage-errors': usage_errors,
})

if __name__ == '__main__':
    testbed.main(CASES)
