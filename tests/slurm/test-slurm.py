#!/usr/bin/python3
'''hostpm as Slurm's power saving, against a real Slurm (cluster.py).'''

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import testbed  # noqa: E402  pylint: disable=wrong-import-position
from testbed import check, check_equal  # noqa: E402  pylint: disable=wrong-import-position
import hosts  # noqa: E402  pylint: disable=wrong-import-position
import cluster  # noqa: E402  pylint: disable=wrong-import-position
import isolation  # noqa: E402  pylint: disable=wrong-import-position


MAXIMUM_SLEEP = 3600  # the RTC safety alarm the cases configure, seconds
CONF = f"""[Suspend]
MaximumSleep={MAXIMUM_SLEEP}s
Delay=1s
[Wake]
Broadcast={hosts.BROADCAST}
"""
SUSPENDED = '5bc43fccd9074e909ad322ea99e1624d'  # node-event.h
SUSPEND_FAILED = 'dc3f35704d904cba87d1ba4588a91244'
WOKEN = '4a4d1f1196a843cca2c2eabd43a40c45'
RESUME_FAILED = '08ed286c1e9c4a3689a23abe825bf1ca'
BAD_STATES = {'DOWN', 'DRAIN', 'DRAINED', 'DRAINING', 'FAIL', 'FAILING'}


def asleep(node):
    """The node's logind mock is in a simulated sleep."""
    return any(end == 0 for _verb, _start, end, _by_alarm in node.sleeps())


def check_asleep_with_alarm(c, node):
    """Asleep through hostpm: logind was asked once, with the RTC alarm set
    MaximumSleep= ahead on the RTC's clock, and the controller's record
    says how to wake the node and when its alarm fires."""
    calls = [call for call in node.sleep_calls() if call[5] == '']
    check_equal(len(calls), 1, f'accepted sleep calls on {node.name}')
    method, _flags, alarm, rtc, when, _error = calls[0]
    check(method.startswith('Suspend'), f'{node.name} was asked {method}, not to suspend')
    check(abs(alarm - rtc - MAXIMUM_SLEEP) <= 2,
          f'{node.name}: the alarm {alarm} is {alarm - rtc} s ahead of the RTC; expected {MAXIMUM_SLEEP}')
    record = c.records(node.name)
    check(record is not None, f'no record of {node.name} on the controller')
    check_equal(record['wake']['mac'], node.host.mac, f'the MAC recorded for {node.name}')
    # from the node's own capabilities: its interface, whose driver (veth)
    # has no Wake-on-LAN
    check_equal((record['wake']['source'], record['wake']['interface'], record['wake']['wol_supported']),
                ('capabilities', 'eth0', ''), f'the wake details recorded for {node.name}')
    check_equal(record['suspend']['result'], 'scheduled', f'{node.name} suspend result')
    # hostpm's plan: the alarm is armed as the sleep starts, later if the
    # helper ran late, never earlier
    planned, late = record['suspend']['alarm_usec'] / 1e6, when - record['suspend']['suspend_usec'] / 1e6
    check(planned - 1 <= alarm <= planned + max(late, 0) + 2,
          f'{node.name}: the record plans the wake at {planned}, the RTC alarm is {alarm} ({late:.1f} s late)')
    # hostpm-slurm writes the record before it sends the journal entry
    entries = testbed.wait_for(lambda: c.bed.journal.find(HOSTPM_SLURM_NODE=node.name, MESSAGE_ID=SUSPENDED),
                               f'the journal entry for the suspend of {node.name}', timeout=30)
    check_equal(entries[-1]['HOSTPM_REQUEST_ID'], record['suspend']['id'], 'request id in the journal')


def suspend_idle(c):
    """Idle nodes pass SuspendTime; Slurm runs slurm-suspend, which puts each
    through hostpm to sleep with its RTC safety alarm; Slurm shows them
    powered down. Prints the time from Slurm's call to every node asleep."""
    c.start(suspend_time=0, hostpm_slurm_conf=CONF)
    names = sorted(c.nodes)
    c.wait_for_nodes(lambda s: 'POWERED_DOWN' in s and 'IDLE' in s, 'every node powered down', names)
    testbed.wait_for(lambda: all(asleep(n) for n in c.nodes.values()), 'every node asleep', timeout=60)
    for node in c.nodes.values():
        check_asleep_with_alarm(c, node)
    report_suspend_times(c, names)


def report_suspend_times(c, names):
    """Prints, for each call of slurm-suspend, the time from Slurm's call
    to hostpm's last answer and to the last of its nodes asleep."""
    calls = {}
    for name in names:
        record = c.records(name)
        calls.setdefault(record['suspend']['requested_usec'], []).append(
            (name, record['wake']['usec'] / 1e6, record['suspend']['usec'] / 1e6))
    for requested, nodes in sorted(calls.items()):
        requested /= 1e6
        asleep = max(start for n, _w, _s in nodes for _v, start, _e, _a in c.nodes[n].sleeps())
        read = max(w for _n, w, _s in nodes)
        scheduled = max(s for _n, _w, s in nodes)
        print(f'slurm-suspend for {len(nodes)} node{"s" if len(nodes) > 1 else ""} '
              f'({",".join(n for n, _w, _s in nodes)}): capabilities read {read - requested:.2f} s, '
              f'suspends scheduled {scheduled - requested:.2f} s, all asleep {asleep - requested:.2f} s '
              f'after Slurm called it', flush=True)


def start_suspended(c, **options):
    """A cluster whose every node went to sleep through hostpm."""
    c.start(suspend_time=0, hostpm_slurm_conf=CONF, **options)
    c.wait_for_nodes(lambda s: 'POWERED_DOWN' in s and 'IDLE' in s, 'every node powered down', sorted(c.nodes))
    testbed.wait_for(lambda: all(asleep(n) for n in c.nodes.values()), 'every node asleep', timeout=60)


def job_resumes_two(c):
    """A job for two nodes: Slurm runs slurm-resume for exactly those two,
    whose magic packets wake them (and no other); hostpm-slurm-rejoin
    restarts their slurmd with -b, they rejoin, the job runs and completes,
    and they are idle again, never DOWN."""
    start_suspended(c, resume_timeout=60)
    names = sorted(c.nodes)
    history = {}
    job = subprocess.Popen(c.controller.nsenter(['srun', '-N2', '--time=2', 'hostname']),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def job_ended():
        states = c.node_states()
        for name, words in states.items():
            history.setdefault(name, []).append(words)
            check('DOWN' not in words, f'{name} is DOWN while the job waits for it: {sorted(words)}, '
                  f'reason: {c.node_info()[name].get("Reason")}')
        return job.poll() is not None
    try:
        testbed.wait_for(job_ended, 'the job to end', timeout=120, interval=0.2)
    finally:
        if job.poll() is None:
            job.kill()
    out, err = job.communicate()
    check_equal(job.returncode, 0, f'srun exit status (stderr: {err.strip()})')
    ran_on = set(out.split())
    check_equal(len(ran_on), 2, f'nodes the job ran on ({out!r})')
    check(ran_on <= set(names), f'the job ran on {ran_on}, not cluster nodes')

    for name in names:
        node = c.nodes[name]
        packets = node.magic_packets()
        if name not in ran_on:
            check_equal(packets, [], f'magic packets to {name}, which the job did not need')
            check(asleep(node), f'{name} woke, though the job did not need it')
            continue
        check(any(woke for _t, _asleep, woke in packets), f'{name}: no magic packet woke it ({packets})')
        _verb, _start, end, by_alarm = node.sleeps()[0]
        check(end > 0 and not by_alarm, f'{name}: its first sleep ended by {"alarm" if by_alarm else "?"}')
        check_equal(c.records(name)['resume']['result'], 'sent', f'{name}: the record of its resume')
        testbed.wait_for(lambda: c.bed.journal.find(HOSTPM_SLURM_NODE=name, MESSAGE_ID=WOKEN),  # pylint: disable=cell-var-from-loop
                         f'{name}: the journal entry for its wake', timeout=30)
        check(node.bed.journal.find(SYSLOG_IDENTIFIER='slurmd-rejoin'),
              f'{name}: hostpm-slurm-rejoin did not run after the resume')

    # The job's nodes are idle again (and, idle, soon asleep again).
    c.wait_for_nodes(lambda s: 'IDLE' in s and not s & {'POWERING_UP', 'ALLOCATED', 'COMPLETING'},
                     'the job\'s nodes idle again', sorted(ran_on), history=history)
    for name in ran_on:
        for words in history.get(name, []):
            # not responding is what powering up looks like, and only then
            bad = BAD_STATES & words or (words & {'NOT_RESPONDING'} if 'POWERING_UP' not in words else set())
            check(not bad, f'{name} passed through {sorted(bad)}: {history[name]}')


def resume_timeout(c):
    """A node whose magic packet does not wake it: Slurm marks it DOWN at
    ResumeTimeout and runs slurm-resume-fail; the record on the controller
    says why, and when its RTC safety alarm wakes it."""
    start_suspended(c, resume_timeout=15, node_options={'node3': {'logind': {'MagicPacketWakes': False}}})
    c.slurm('sbatch', '-w', 'node3', '-N1', '--wrap=hostname')
    c.wait_for_nodes(lambda s: 'DOWN' in s, 'node3 DOWN', ['node3'], timeout=90)
    record = testbed.wait_for(lambda: (c.records('node3') or {}).get('resume_failed') and c.records('node3'),
                              'the record of the failed resume', timeout=30)
    node = c.nodes['node3']
    check(node.magic_packets() and not any(woke for _t, _a, woke in node.magic_packets()),
          f'node3 got its magic packet and slept on ({node.magic_packets()})')
    check(asleep(node), 'node3 is still asleep')
    why = record['resume_failed']['error']
    for words in ('ResumeTimeout', node.host.mac, 'eth0 reported no magic-packet wake', 'RTC safety alarm'):
        check(words in why, f'the record does not say {words!r}: {why}')
    check_equal(record['resume']['result'], 'sent', 'the record of the resume')
    # the record is written before the journal entry is sent: wait for it
    entries = testbed.wait_for(lambda: c.bed.journal.find(HOSTPM_SLURM_NODE='node3', MESSAGE_ID=RESUME_FAILED),
                               'the journal entry for the failed resume', timeout=30)
    reason = c.node_info()['node3'].get('Reason', '')
    check(reason, 'Slurm gives no reason for node3 being DOWN')


def check_refused(c, name, reason_words):
    """hostpm refused name's suspend: Slurm has it DOWN and says why,
    nothing is armed on it, and the other nodes sleep as usual."""
    c.wait_for_nodes(lambda s: 'DOWN' in s, f'{name} DOWN', [name])
    others = [n for n in sorted(c.nodes) if n != name]
    testbed.wait_for(lambda: all(asleep(c.nodes[n]) for n in others), f'{", ".join(others)} asleep')
    reason = c.node_info()[name].get('Reason', '')
    check(reason.startswith('hostpm: ') and all(w in reason for w in reason_words),
          f'{name}\'s reason in Slurm: {reason!r}; expected it to say {reason_words}')
    node = c.nodes[name]
    check_equal(node.sleep_calls(), [], f'logind calls on {name}')
    check_equal(node.wakealarm(), '', f'{name}\'s RTC wake alarm')
    check_equal(str(node.hostpm('PendingId')), '', f'a suspend pending on {name}')
    record = c.records(name)
    check_equal(record['suspend']['result'], 'failed', f'{name}\'s suspend in the record')
    check_equal(record['suspend']['slurm'], 'DOWN', 'what Slurm was told, in the record')
    entries = testbed.wait_for(lambda: c.bed.journal.find(HOSTPM_SLURM_NODE=name, MESSAGE_ID=SUSPEND_FAILED),
                               f'journal entries for {name}', timeout=30)
    check(entries and entries[-1]['HOSTPM_SLURM_TOLD'] == 'DOWN', f'journal entries for {name}: {entries}')
    for other in others:
        check_asleep_with_alarm(c, c.nodes[other])


def suspend_refused(c):
    """hostpm refuses node2's suspend (its RTC may not wake it): Slurm
    learns it (node2 DOWN, the reason says why), nothing is armed on node2,
    and the other nodes sleep as usual. Once the RTC is fixed, starting
    hostpm-slurm-rejoin on node2 returns it to service, and Slurm suspends
    it through hostpm."""
    c.start(suspend_time=0, hostpm_slurm_conf=CONF, node_options={'node2': {'rtc': {'wakeup': 'disabled'}}})
    check_refused(c, 'node2', ['refused', 'wake'])
    # The cause fixed, the node rejoins as hostpm-slurm(8) says, and is
    # suspended as the others were.
    node = c.nodes['node2']
    node.bed.make_rtc()
    c.wait_for_nodes(lambda s: 'POWERED_DOWN' in s, 'Slurm to count node2 as powered down', ['node2'])
    c.slurm('scontrol', 'update', 'NodeName=node2', 'State=POWER_UP')
    r = node.bed.run(['systemctl', 'start', 'hostpm-slurm-rejoin.service'])
    check_equal(r.returncode, 0, f'starting hostpm-slurm-rejoin on node2: {r.stderr}')
    c.wait_for_nodes(lambda s: 'DOWN' not in s, 'node2 back in service', ['node2'])
    testbed.wait_for(lambda: asleep(node), 'node2 asleep through hostpm', timeout=60)
    check_equal(c.records('node2')['suspend']['result'], 'scheduled', 'node2\'s second suspend in the record')


def suspend_not_authorized(c):
    """node3 lacks the polkit rule for SlurmUser (data/slurm/60-hostpm-
    slurm.rules), which the other nodes have: its polkitd denies the
    suspend, Slurm learns it, nothing is armed there. (The others' sleep is
    the rule at work.)"""
    c.start(suspend_time=0, hostpm_slurm_conf=CONF, node_options={'node3': {'polkit': 'polkitd-without-rule'}})
    check_refused(c, 'node3', ['authoriz'])


def suspend_unreachable(c):
    """node2's sshd is gone when Slurm suspends the three nodes: node2
    fails alone (DOWN, the reason says it could not be reached, nothing
    armed on it), node1 and node3 sleep with their alarms."""
    c.start(suspend_time=3600, hostpm_slurm_conf=CONF)  # power saving on, no node idle that long
    node = c.nodes['node2']
    c.bed._stop([node.sshd], timeout=10)  # pylint: disable=protected-access
    c.slurm('scontrol', 'update', f'NodeName={",".join(sorted(c.nodes))}', 'State=POWER_DOWN')
    check_refused(c, 'node2', ['capabilities', 'Connection refused'])


def rejoin_later_second(c):
    """slurmd-rejoin restarts slurmd in a later wall-clock second than the
    one it ran in. slurmctld compares boot times in whole seconds (and
    slurmd -b may say it started a second early): a slurmd restarted in
    the second of Slurm's resume request was taken for one that never
    slept, and the node was DOWN at ResumeTimeout ("Still waiting for boot
    of node node1")."""
    bin_dir = c.bed._dir('rejoin-bin')  # pylint: disable=protected-access
    runtime = c.bed._dir('rejoin-runtime')  # pylint: disable=protected-access
    calls = os.path.join(bin_dir, 'calls.log')
    with open(os.path.join(bin_dir, 'systemctl'), 'w', encoding='ascii') as f:
        f.write(f'#!/bin/sh\n# slurmd is running; each call recorded with its time\n'
                f'echo "$(date +%s.%N) $*" >>{calls}\n')
    os.chmod(os.path.join(bin_dir, 'systemctl'), 0o755)
    for _ in range(3):
        open(calls, 'w', encoding='ascii').close()
        # early in a second: a restart without the wait falls in that second
        testbed.wait_for(lambda: time.time() % 1 < 0.2, 'the start of a second')
        ran = time.time()
        r = c.bed.run([c.bed.artifact('HOSTPM_SLURMD_REJOIN')],
                      env={'PATH': f'{bin_dir}:/usr/bin:/bin', 'RUNTIME_DIRECTORY': runtime})
        check_equal(r.returncode, 0, f'slurmd-rejoin\'s exit status ({r.stderr})')
        with open(calls, encoding='ascii') as f:
            restarts = [float(line.split()[0]) for line in f if 'restart slurmd.service' in line]
        check_equal(len(restarts), 1, 'restarts of slurmd')
        check(int(restarts[0]) > int(ran), f'slurmd restarted at {restarts[0]:.3f}, in the second it ran in '
              f'({ran:.3f})')
        with open(os.path.join(runtime, 'slurmd.env'), encoding='ascii') as f:
            check(f.read().rstrip().endswith(' -b'), 'slurmd.env adds -b')


def bad_input(c):
    """The programs refuse a command line Slurm would never give, and a
    malformed hostlist, with a message saying what is expected; nothing
    is sent, recorded or told to Slurm (there is no cluster to tell)."""
    program = c.bed.artifact('HOSTPM_SLURM')
    for argv, expected in (
            (['suspend', 'node[1-'], 'malformed host list'),
            (['suspend', 'node1,node1'], 'given twice'),
            (['resume', '../etc'], 'not a Slurm node name'),
            (['resume-fail', '-x'], 'not a Slurm node name'),
            (['suspend'], 'expected one argument'),
            (['suspend', 'node1', 'node2'], 'expected one argument'),
            (['frobnicate', 'node1'], 'unknown verb'),
            ([], 'missing verb')):
        r = c.bed.run([program, *argv])
        check_equal(r.returncode, 2, f'exit status of hostpm-slurm {" ".join(argv)}')
        check(expected in r.stderr and 'expected' in r.stderr, f'hostpm-slurm {" ".join(argv)} said: {r.stderr!r}')
        check_equal(r.stdout, '', 'what it printed on stdout')
    check_equal(c.bed.journal.find(SYSLOG_IDENTIFIER='hostpm-slurm'), [], 'journal entries for refused input')


def bench(n):
    """bench/slurm-suspend: n idle nodes powered down by one scontrol
    command, so that Slurm suspends them all with one call."""
    def case(c):
        c.start(nodes=n, suspend_time=3600, hostpm_slurm_conf=CONF)  # power saving on, no node idle that long
        names = sorted(c.nodes)
        c.slurm('scontrol', 'update', f'NodeName={",".join(names)}', 'State=POWER_DOWN')
        c.wait_for_nodes(lambda s: 'POWERED_DOWN' in s, 'every node powered down', names, timeout=60 + 10 * n)
        testbed.wait_for(lambda: all(asleep(x) for x in c.nodes.values()), 'every node asleep', timeout=60)
        report_suspend_times(c, names)
    return case


CASES = {
    '_bench-1': bench(1),
    '_bench-3': bench(3),
    '_bench-8': bench(8),
    'bad-input': bad_input,
    'suspend-idle': suspend_idle,
    'job-resumes-two': job_resumes_two,
    'resume-timeout': resume_timeout,
    'suspend-refused': suspend_refused,
    'suspend-not-authorized': suspend_not_authorized,
    'suspend-unreachable': suspend_unreachable,
    'rejoin-later-second': rejoin_later_second,
}


def main():
    import argparse  # pylint: disable=import-outside-toplevel
    parser = argparse.ArgumentParser()
    parser.add_argument('case', nargs='?')
    parser.add_argument('--check-registered', nargs='*')
    args = parser.parse_args()
    if args.check_registered is not None:
        listed, registered = {c for c in CASES if not c.startswith('_')}, set(args.check_registered)
        for c in sorted(listed ^ registered):
            print(f'case {c!r} is {"not registered" if c in listed else "no case"}', file=sys.stderr)
        sys.exit(0 if listed == registered else 1)
    if args.case not in CASES:
        print(f'unknown case {args.case!r}; expected one of: {", ".join(CASES)}', file=sys.stderr)
        sys.exit(2)
    if os.environ.get('HOSTPM_TESTBED_INNER') == '1':
        sys.exit(isolation.run_inner(CASES[args.case], cluster.make))
    missing = cluster.missing_programs()
    if missing:
        sys.exit(isolation.skip(f'{", ".join(missing)} missing (tools/install-deps installs them)'))
    sys.exit(isolation.run_outer(os.path.abspath(sys.argv[0]), args.case))


if __name__ == '__main__':
    main()
