#!/usr/bin/python3
'''The history of finished requests and the metrics made from it (issue 12),
end to end in the bed: real cycles through hostpmd, the transient service
and hostpm-sleep against the mock logind; GetHistory() read by an
unprivileged user; `hostpm-suspend --history` and `--metrics`; the metrics
checked by real parsers (promtool's linter and the Prometheus Python
client's parser, both from Debian); the shipped timer example run by the
bed's manager; and history files that are corrupt, cut off, or not a
history at all.
'''

import json
import os
import stat
import subprocess
import time

import testbed
from testbed import check, check_equal

import historybed
from historybed import NOBODY, USEC, cli, cycle, get_history, start

try:
    import dbus
except ImportError:
    dbus = None

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    text_string_to_metric_families = None

PROMTOOL = '/usr/bin/promtool'
TARGETS = ('mem', 'disk', 'hybrid', 'suspend-then-hibernate')
RESULTS = ('resumed', 'failed', 'refused', 'cancelled')


def three_cycles(bed):
    '''A resumed suspend to mem woken by its alarm, one logind refuses, and
    a hibernation woken early by something else. Returns their ids.'''
    first = cycle(bed, '2s')['LastId']

    bed.mocks['logind'].control.SetSuspendError('org.freedesktop.DBus.Error.AccessDenied', 'not today')
    second = cycle(bed, '2s')['LastId']
    bed.mocks['logind'].control.SetSuspendError('', '')

    bed.mocks['logind'].control.SetHoldWake(True)
    third = historybed.schedule(bed, '--target=disk', '5s')
    historybed.wait_for_sleep(bed, count=3)
    bed.mocks['logind'].control.WakeUp()  # before the alarm
    historybed.wait_for_outcome(bed, third)
    return first, second, third


def record(bed):
    '''Every finished cycle is kept with what was asked and measured, the
    result, error, requester and wake source; anyone may read it; since=
    filters by finishing time; the totals count each (target, result).'''
    start(bed)
    first, second, third = three_cycles(bed)
    last = historybed.properties(bed)

    h = get_history(bed, user=NOBODY)  # open to everyone
    check_equal(h, get_history(bed), 'the history as root and as nobody')
    entries = h['entries']
    check_equal([(e['id'], e['target'], e['result'], e['wake_source'], e['asked_usec'], e['requester_uid'])
                 for e in entries],
                [(first, 'mem', 'resumed', 'rtc-alarm', 2 * USEC, 0),
                 (second, 'mem', 'failed', '', 2 * USEC, 0),
                 (third, 'disk', 'resumed', 'other', 5 * USEC, 0)], 'the entries, oldest first')
    check_equal(entries[0]['error'], '', 'no error for the first')
    check('AccessDenied' in entries[1]['error'] and 'not today' in entries[1]['error'],
          f'logind\'s refusal is the second\'s error: {entries[1]["error"]!r}')
    check_equal((entries[1]['slept_usec'], entries[1]['resume_usec']), (0, 0), 'the refused one never slept')
    # (the bed's sleeps are simulated: the kernel's time suspended, which
    # the helper measures, stays 0 here; the tests/vm suite measures it)
    for e in (entries[0], entries[2]):
        check(e['suspend_usec'] <= e['resume_usec'] <= e['finished_usec'], f'times in order: {e}')
    check(entries[0]['finished_usec'] < entries[1]['finished_usec'] < entries[2]['finished_usec'],
          'finishing times grow')
    # the newest entry is the Last* record
    check_equal((entries[2]['slept_usec'], entries[2]['suspend_usec'], entries[2]['resume_usec']),
                (last['LastSleptUSec'], last['LastSuspendUSec'], last['LastResumeUSec']),
                'the newest entry and the Last properties')
    check_equal(h['counts'], [('disk', 'resumed', 1), ('mem', 'failed', 1), ('mem', 'resumed', 1)], 'the totals')
    check_equal(h['slept_usec'], entries[0]['slept_usec'] + entries[2]['slept_usec'], 'time asleep in total')
    check_equal(h['unreadable'], 0, 'unreadable records')

    since = get_history(bed, since=entries[1]['finished_usec'], user=NOBODY)
    check_equal([e['id'] for e in since['entries']], [second, third], 'GetHistory(since the second)')
    check_equal(since['counts'], h['counts'], 'the totals do not depend on since')
    check_equal(get_history(bed, since=2**64 - 1)['entries'], [], 'GetHistory(the end of time)')

    # the file itself: JSON lines, readable by everyone
    st = os.stat(historybed.history_path(bed))
    check_equal(stat.S_IMODE(st.st_mode), 0o644, 'the history file\'s mode')


def cli_history(bed):
    '''--history as a table (errors shown escaped) and as JSON lines, with
    --since in its several forms; the same entries as GetHistory().'''
    start(bed)
    first, second, third = three_cycles(bed)
    entries = get_history(bed)['entries']

    r = cli(bed, '--history', '--json', user=NOBODY)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    check_equal(lines, entries, '--history --json: one JSON object per line, as GetHistory()')
    check_equal(r.stderr, '', 'nothing on stderr')

    table = cli(bed, '--history', user=NOBODY).stdout
    rows = table.splitlines()
    check(rows[0].split()[:3] == ['FINISHED', 'TARGET', 'RESULT'], f'a table with a header: {table}')
    for request_id, words in ((first, ['mem', 'resumed', '2s', 'rtc-alarm']), (second, ['mem', 'failed']),
                              (third, ['disk', 'resumed', '5s', 'other'])):
        row = next((line for line in rows if request_id in line), '')
        check(all(w in row.split() for w in words), f'the row of {request_id} has {words}: {row!r}')
    check(any(line.startswith('    ') and 'not today' in line for line in rows), f'the error line: {table}')
    check('Since the history began: 3 requests, 2 resumed, 1 failed' in table, f'the totals: {table}')

    since = entries[1]['finished_usec']
    for arg in (f'--since=@{since // USEC}', f'--since={time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since // USEC))}'):
        got = [json.loads(line)['id'] for line in cli(bed, '--history', '--json', arg).stdout.splitlines()]
        check_equal(got, [second, third], f'--history {arg} (whole seconds: from before the second finished)')
    check_equal(len(cli(bed, '--history', '--json', '--since=1d').stdout.splitlines()), 3, '--since=1d')
    after = entries[-1]['finished_usec'] // USEC + 1
    testbed.wait_for(lambda: time.time() >= after, 'the second after the last request finished')
    check_equal(cli(bed, '--history', '--json', f'--since=@{after}').stdout, '', '--since after the last')
    check_equal(cli(bed, '--history', '--since=@1').stdout.count('\n') > 3, True, '--since=@1: all')


def empty(bed):
    '''No request has finished yet: an empty history, not an error.'''
    start(bed)
    check_equal(get_history(bed, user=NOBODY), {'entries': [], 'counts': [], 'slept_usec': 0, 'unreadable': 0},
                'GetHistory() with no file')
    check_equal(cli(bed, '--history').stdout, 'No finished requests recorded.\n', '--history')
    check_equal(cli(bed, '--history', '--json').stdout, '', '--history --json')


ENTRY = {'finished_usec': 1700000100000000, 'id': 'a' * 32, 'target': 'mem', 'result': 'resumed',
         'asked_usec': 60 * USEC, 'slept_usec': 59 * USEC, 'wake_source': 'rtc-alarm',
         'suspend_usec': 1700000040000000, 'resume_usec': 1700000099000000, 'requester_uid': 1000, 'error': ''}


def corrupt(bed):
    '''A history with garbage, a line cut off and an entry whose error
    holds a terminal escape: hostpmd reports what it could not read and
    serves the rest; the CLI warns and shows the escape harmlessly; the
    next finished request rewrites the file without the garbage.'''
    evil = dict(ENTRY, id='b' * 32, result='failed', wake_source='', slept_usec=0, resume_usec=0,
                finished_usec=ENTRY['finished_usec'] + 1, error='bad \x1b]0;owned\x07 title \x1b[2J')
    historybed.write_history(bed, ''.join([
        '{"totals":{"counts":{"mem":{"resumed":7,"failed":1}},"slept_usec":413000000}}\n',
        json.dumps(ENTRY) + '\n',
        'this is not JSON\n',
        json.dumps(dict(ENTRY, target='moon')) + '\n',
        json.dumps(evil) + '\n',
        json.dumps(ENTRY)[:40],  # cut off
    ]))
    start(bed)

    h = get_history(bed, user=NOBODY)
    pid_before = hostpmd_pid(bed)
    check_equal([e['id'] for e in h['entries']], ['a' * 32, 'b' * 32], 'the readable entries')
    check_equal(h['unreadable'], 3, 'unreadable records reported')
    check_equal(h['counts'], [('mem', 'failed', 1), ('mem', 'resumed', 7)], 'the totals line is kept')

    r = cli(bed, '--history', user=NOBODY)
    check('3 record(s)' in r.stderr and 'could not be read' in r.stderr, f'the CLI warns: {r.stderr!r}')
    check('\x1b' not in r.stdout and '\x07' not in r.stdout, f'no raw escape reaches the terminal: {r.stdout!r}')
    check('\\x1b]0;owned\\x07' in r.stdout, f'the escape is shown escaped: {r.stdout!r}')
    r = cli(bed, '--history', '--json')
    check_equal(json.loads(r.stdout.splitlines()[1])['error'], evil['error'], 'JSON keeps the text as it is')

    testbed.wait_for(lambda: any('3 unreadable line' in e.get('MESSAGE', '')
                                 for e in bed.journal.find(SYSLOG_IDENTIFIER='hostpmd')),
                     'hostpmd to log the unreadable lines')
    check_equal(hostpmd_pid(bed), pid_before, 'hostpmd is the same process')

    new = cycle(bed, '2s')['LastId']
    h = get_history(bed)
    check_equal([e['id'] for e in h['entries']], ['a' * 32, 'b' * 32, new], 'the entries after a new one')
    check_equal(h['unreadable'], 0, 'the next writer dropped what it could not read')
    check_equal(h['counts'], [('mem', 'failed', 1), ('mem', 'resumed', 8)], 'the totals went on counting')
    testbed.wait_for(lambda: any('3 unreadable line' in e.get('MESSAGE', '') and 'gone now' in e['MESSAGE']
                                 for e in bed.journal.find(SYSLOG_IDENTIFIER='hostpm-sleep')),
                     'the helper to log what it dropped')


def not_a_history(bed):
    '''Binary garbage, then a file far over the bound: reported as one
    unreadable record, an empty history, no crash; a new request starts a
    clean history.'''
    historybed.write_history(bed, bytes(range(256)) * 4 + b'\n\xff\xfe{"totals":\n')
    start(bed)
    h = get_history(bed, user=NOBODY)
    check_equal((h['entries'], h['unreadable'] > 0), ([], True), 'garbage')
    cli(bed, '--history', '--json')

    historybed.write_history(bed, (json.dumps(ENTRY) + '\n') * 3000)  # about 800 KiB
    h = get_history(bed, user=NOBODY)
    check_equal((h['entries'], h['unreadable']), ([], 1), 'a file over the bound is not read')
    r = cli(bed, '--metrics')
    check('hostpm_history_unreadable_records 1' in r.stdout, f'--metrics says so: {r.stdout}')

    new = cycle(bed, '2s')['LastId']
    h = get_history(bed)
    check_equal(([e['id'] for e in h['entries']], h['unreadable']), ([new], 0), 'a clean start')
    check(os.path.getsize(historybed.history_path(bed)) < 4096, 'the new file is small')


def hostpmd_pid(bed):
    bus = bed.bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus')
    return int(dbus.Interface(bus, 'org.freedesktop.DBus').GetConnectionUnixProcessID(historybed.HOSTPM))


#
# Metrics
#

def parse_metrics(text):
    '''{(name, labels as a sorted tuple): value} by the Prometheus Python
    client's parser, after promtool's linter has passed the text.'''
    if text_string_to_metric_families is None:
        raise testbed.Skip('python3-prometheus-client is not installed (tools/install-deps)')
    if not os.access(PROMTOOL, os.X_OK):
        raise testbed.Skip(f'{PROMTOOL} is missing (Debian: prometheus; tools/install-deps)')
    r = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text, capture_output=True, text=True,
                       check=False)
    check_equal((r.returncode, r.stdout + r.stderr), (0, ''), f'promtool check metrics of:\n{text}')
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def metrics(bed):
    '''--metrics: counters by target and result (every pair, zeros too),
    seconds asleep, the last wake's error and time, the wake alarm's
    readiness; valid for promtool and the client's parser; --output
    replaces a file atomically. An earlier history (as a real host leaves
    it: the bed's simulated sleeps measure 0 s) gives the totals.'''
    historybed.write_history(bed, '{"totals":{"counts":{"mem":{"resumed":7,"failed":1}},"slept_usec":413250000}}\n' +
                             json.dumps(ENTRY) + '\n')
    start(bed)
    first, second, third = three_cycles(bed)
    h = get_history(bed)
    last = h['entries'][-1]

    text = cli(bed, '--metrics', user=NOBODY).stdout
    samples = parse_metrics(text)
    counts = {(t, r): n for t, r, n in h['counts']}
    for t in TARGETS:
        for r in RESULTS:
            key = ('hostpm_suspends_total', (('result', r), ('target', t)))
            check_equal(samples.get(key), float(counts.get((t, r), 0)), f'suspends to {t} {r}')
    check_equal(samples[('hostpm_asleep_seconds_total', ())], h['slept_usec'] / USEC, 'seconds asleep')
    check_equal((samples[('hostpm_asleep_seconds_total', ())],
                 samples[('hostpm_suspends_total', (('result', 'resumed'), ('target', 'mem')))]),
                (413.25, 8.0), 'the earlier history counts on')
    check_equal(samples[('hostpm_last_wake_error_seconds', ())], (last['asked_usec'] - last['slept_usec']) / USEC,
                'the last wake\'s error, asked minus slept')
    check(samples[('hostpm_last_wake_error_seconds', ())] > 0, 'woken early: a positive error')
    check_equal(samples[('hostpm_last_resume_timestamp_seconds', ())], last['resume_usec'] / USEC,
                'the last resume')
    check_equal(samples[('hostpm_wake_alarm_ready', (('device', 'rtc0'),))], 1.0, 'the wake alarm is ready')
    check_equal(samples[('hostpm_history_unreadable_records', ())], 0.0, 'unreadable records')
    check_equal(len(samples), 16 + 5, f'no other samples: {sorted(samples)}')

    # --output: the same text, replaced by rename, readable by the collector
    out_dir = os.path.join(bed.tmp, 'textfile')
    os.makedirs(out_dir)
    out = os.path.join(out_dir, 'hostpm.prom')
    with open(out, 'w', encoding='utf-8') as f:
        f.write('old\n')
    inode = os.stat(out).st_ino
    check_equal(cli(bed, '--metrics', f'--output={out}').stdout, '', '--output prints nothing')
    with open(out, encoding='utf-8') as f:
        check_equal(f.read(), text, 'the file holds what --metrics prints')
    check(os.stat(out).st_ino != inode, 'the file was replaced, not rewritten in place')
    check_equal(stat.S_IMODE(os.stat(out).st_mode), 0o644, 'the file\'s mode')
    check_equal(os.listdir(out_dir), ['hostpm.prom'], 'no temporary file left')

    # a wake alarm that may not wake the host is not ready
    with open(os.path.join(bed.rtc_dir, 'device', 'power', 'wakeup'), 'w', encoding='ascii') as f:
        f.write('disabled\n')
    samples = parse_metrics(cli(bed, '--metrics').stdout)
    check_equal(samples[('hostpm_wake_alarm_ready', (('device', 'rtc0'),))], 0.0, 'wakeup disabled: not ready')


def metrics_before_any_resume(bed):
    '''Nothing has resumed yet: the counters are zero and the last-wake
    gauges are left out rather than made up; still valid.'''
    start(bed)
    samples = parse_metrics(cli(bed, '--metrics').stdout)
    check_equal(sum(v for (name, _), v in samples.items() if name == 'hostpm_suspends_total'), 0.0, 'no suspends')
    check(('hostpm_last_resume_timestamp_seconds', ()) not in samples, 'no last resume')
    check(('hostpm_last_wake_error_seconds', ()) not in samples, 'no last wake error')


def metrics_timer_example(bed):
    '''The shipped example: hostpm-metrics.timer starts hostpm-metrics.service,
    which writes the file for node_exporter with all of its hardening; only
    the paths of this bed are changed.'''
    service = bed.artifact('HOSTPM_METRICS_SERVICE')
    with open(service, encoding='utf-8') as f:
        text = f.read()
    production = '/var/lib/prometheus/node-exporter'
    check(f'--metrics --output={production}/hostpm.prom' in text, f'the example writes {production}: {text}')
    out_dir = os.path.join(bed.root, 'node-exporter')  # not under /tmp: PrivateTmp= hides that
    os.makedirs(out_dir)
    installed_cli = [line.split('=', 1)[1].split()[0] for line in text.splitlines() if line.startswith('ExecStart=')]
    check_equal(len(installed_cli), 1, 'one ExecStart=')
    with open(os.path.join(bed.unit_dir, 'hostpm-metrics.service'), 'w', encoding='utf-8') as f:
        f.write(text.replace(installed_cli[0], bed.cli).replace(production, out_dir) +
                f'BindReadOnlyPaths={bed.cli}\n')
    with open(bed.artifact('HOSTPM_METRICS_TIMER'), encoding='utf-8') as src, \
            open(os.path.join(bed.unit_dir, 'hostpm-metrics.timer'), 'w', encoding='utf-8') as dst:
        timer = src.read()
        check('OnUnitActiveSec=1min' in timer, f'every minute: {timer}')
        # the first run at once rather than a minute after boot
        dst.write(timer.replace('OnBootSec=1min', 'OnActiveSec=1s'))
    start(bed)
    historybed.cycle(bed, '2s')

    r = bed.run(['systemctl', '--user', 'start', 'hostpm-metrics.timer'])
    check_equal(r.returncode, 0, f'starting the timer: {r.stderr}')
    out = os.path.join(out_dir, 'hostpm.prom')
    testbed.wait_for(lambda: os.path.exists(out), 'the timer\'s service to write the file', timeout=30)
    with open(out, encoding='utf-8') as f:
        samples = parse_metrics(f.read())
    check_equal(samples[('hostpm_suspends_total', (('result', 'resumed'), ('target', 'mem')))], 1.0,
                'the file counts the cycle')
    r = bed.run(['systemctl', '--user', 'show', 'hostpm-metrics.service', '-p', 'Result,ProtectSystem,PrivateNetwork'])
    check_equal(sorted(r.stdout.split()), ['PrivateNetwork=yes', 'ProtectSystem=strict', 'Result=success'],
                'the service ran with its hardening')


@testbed.outside_bed
def usage_errors():
    '''Bad --history/--metrics command lines: exit 2 and what is accepted.'''
    program = os.environ.get('HOSTPM_SUSPEND')
    if not program:
        raise testbed.BedError('HOSTPM_SUSPEND is not set: run this through meson test')
    for args, words in ((['--history', '--since=yesterday-ish'], 'expected a time span ago'),
                        (['--history', '--since=@99999999999'], 'in the future'),
                        (['--history', '--since='], 'expected a time span ago'),
                        (['--status', '--since=1h'], '--since goes with --history only'),
                        (['--history', '--metrics'], 'exclude each other'),
                        (['--metrics', '--json'], 'text format'),
                        (['--metrics', '--output='], 'empty --output'),
                        (['--history', '--output=/tmp/x'], '--output goes with --metrics only'),
                        (['--history', '1h'], "unexpected argument '1h'"),
                        (['--history', '--xml'], '--xml goes with --capabilities only')):
        r = subprocess.run([program, *args], capture_output=True, text=True, check=False)
        check_equal((r.returncode, r.stdout), (2, ''), f'hostpm-suspend {" ".join(args)}')
        check(words in r.stderr, f'hostpm-suspend {" ".join(args)} says {words!r}: {r.stderr!r}')


CASES = {
    'record': record,
    'cli': cli_history,
    'empty': empty,
    'corrupt': corrupt,
    'not-a-history': not_a_history,
    'metrics': metrics,
    'metrics-before-any-resume': metrics_before_any_resume,
    'metrics-timer-example': metrics_timer_example,
    'usage-errors': usage_errors,
}

if __name__ == '__main__':
    testbed.main(CASES)
