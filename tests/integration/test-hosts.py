#!/usr/bin/python3
'''Many hosts at once, and Wake-on-LAN.

-H with several hosts: each goes over sd-bus's SSH transport, as a single
-H does. The bed gets a network namespace of its own (nothing it sends can
leave it: only its loopback is up) and a real sshd in it with a key-only
config; an ssh_config gives the host aliases node01 … node32, each at its own
127.0.0.x, all reaching that sshd, whose sessions use the bed's bus: every
"node" is the one hostpmd of the bed. So a suspend asked of three nodes is
granted once and refused as busy twice, which is the partial failure these
cases want; reading status and capabilities succeeds on all.

`ssh` on the CLI's PATH is a wrapper that adds -F <the bed's ssh_config>
and logs each connection, so a case can tell what was (not) sent.
'''

import json
import os
import re
import signal
import subprocess

import testbed
from testbed import check, check_equal, wait_for

from sshbed import Capture, Ssh, ethers, install_netinfo, link_pair, magic, private_network, veth_pair

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_HOSTS_DIFFER = 0, 1, 2, 5, 10
FAST_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=2s\n'


def start(bed, config=FAST_CONFIG, extra_hosts=''):
    private_network()
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write(config)
    bed.start(logind={}, polkit=(), hostpmd=True)
    bed.start_rtc_clock()
    ssh = Ssh(bed)
    ssh.start(extra_hosts)
    return ssh


def cli(bed, ssh, *args, env=None, timeout=60):
    return bed.run([bed.cli, *args], env=dict(ssh.env, **(env or {})), timeout=timeout)


def json_lines(result):
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    check(all(isinstance(o, dict) and 'host' in o for o in lines), f'not JSON lines per host: {result.stdout}')
    return lines


def table(result):
    '''{host: (status, result)} from the per-host table, with the order.'''
    lines = result.stdout.splitlines()
    check(lines and lines[0].split()[:3] == ['HOST', 'STATUS', 'RESULT'], f'no table header: {result.stdout}')
    rows = [re.match(r'(\S+)\s+(\S+)\s+(.*)', line).groups() for line in lines[1:]]
    return [r[0] for r in rows], {r[0]: (r[1], r[2]) for r in rows}


def pending_units(bed):
    r = bed.run(['systemctl', '--user', 'list-units', '--all', '--plain', '--no-legend', 'hostpm-suspend.*'])
    return r.stdout.split()


#
# Cases: several hosts
#

def status_many(bed):
    ssh = start(bed)
    r = cli(bed, ssh, '-H', 'node[01-08]', '--status')
    check_equal(r.returncode, EXIT_OK, f'exit status ({r.stderr})')
    order, rows = table(r)
    check_equal(order, [f'node{i:02d}' for i in range(1, 9)], 'rows, in the order given')
    check(all(s == 'ok' and res.startswith('pending: none; last: none') for s, res in rows.values()),
          f'every host answered: {rows}')
    check_equal(len([c for c in ssh.calls() if c.startswith('start')]), 8, 'one ssh per host')


def capabilities_json(bed):
    ssh = start(bed)
    r = cli(bed, ssh, '--capabilities', '--json', '-H', 'node01', '-H', 'node[02-03]')
    check_equal(r.returncode, EXIT_OK, f'exit status ({r.stderr})')
    lines = json_lines(r)
    check_equal([o['host'] for o in lines], ['node01', 'node02', 'node03'], 'hosts, in order')
    for o in lines:
        check_equal((o['exit_status'], o['status'], o['messages']), (0, 'ok', []), f'{o["host"]}')
        check_equal(len(o['output']), 1, 'one document per host')
        check_equal(o['output'][0]['power_management'],
                    ['suspend_mem', 'suspend_disk', 'suspend_hybrid'], 'the host\'s capabilities')


def partial_failure(bed):
    '''Unreachable and unknown hosts fail alone; the others are served.'''
    ssh = start(bed)
    r = cli(bed, ssh, '-H', 'node01,node99,nosuch.invalid,node02', '--status', '--json')
    check_equal(r.returncode, EXIT_HOSTS_DIFFER, f'exit status ({r.stderr})')
    lines = {o['host']: o for o in json_lines(r)}
    check_equal(list(lines), ['node01', 'node99', 'nosuch.invalid', 'node02'], 'hosts, in order')
    for host in ('node01', 'node02'):
        check_equal(lines[host]['status'], 'ok', host)
    check_equal(lines['node99']['status'], 'failed', 'node99')
    check(any('Connection refused' in m for m in lines['node99']['messages']),
          f'node99 says why: {lines["node99"]["messages"]}')
    check(any('Could not resolve hostname' in m for m in lines['nosuch.invalid']['messages']),
          f'nosuch.invalid says why: {lines["nosuch.invalid"]["messages"]}')

    # the table says the same, and all fail alike → their status
    r = cli(bed, ssh, '-H', 'node99', '-H', 'nosuch.invalid', '--status')
    check_equal(r.returncode, EXIT_FAILED, 'all failed alike')
    _order, rows = table(r)
    check('Connection refused' in rows['node99'][1], f'node99 row: {rows}')


def schedule_busy(bed):
    '''Three "nodes", one hostpmd: one is scheduled, two are busy, nothing
    stops the others.'''
    ssh = start(bed)
    r = cli(bed, ssh, '-H', 'node[01-03]', '--delay=10min', '5min')
    check_equal(r.returncode, EXIT_HOSTS_DIFFER, f'exit status ({r.stderr})')
    _order, rows = table(r)
    statuses = sorted(s for s, _ in rows.values())
    check_equal(statuses, ['busy', 'busy', 'ok'], f'one granted, two busy: {rows}')
    for status, res in rows.values():
        if status == 'busy':
            check('already pending' in res, f'busy row says why: {res}')
        else:
            check(res.startswith('scheduled: suspend to mem at '), f'scheduled row: {res}')
    check_equal(len([u for u in pending_units(bed) if u.endswith('.timer')]), 1, 'one timer')

    r = cli(bed, ssh, '-H', 'node01,node02', '--cancel', '--json')
    lines = json_lines(r)
    check_equal(sorted(o['status'] for o in lines), ['nothing-pending', 'ok'], f'one cancel: {r.stdout}')
    check_equal(r.returncode, EXIT_HOSTS_DIFFER, 'exit status')


def dry_run_many(bed):
    ssh = start(bed)
    r = cli(bed, ssh, '-H', 'node[01-04]', '--dry-run', '--json', '1h')
    check_equal(r.returncode, EXIT_OK, f'exit status ({r.stderr})')
    for o in json_lines(r):
        check_equal(o['output'][0]['dry_run'], True, o['host'])
    check_equal(pending_units(bed), [], 'nothing scheduled')


def malformed_refused(bed):
    '''Refused before anything is sent: no ssh started.'''
    ssh = start(bed)
    for hosts, words in (('node[01-04', "'[' is not closed"), ('node01,,node02', 'empty host name'),
                         ('node[04-01]', 'range runs backwards'), ('node01,node02;reboot', 'unexpected character'),
                         ('node[1-70000]', 'too many hosts')):
        r = cli(bed, ssh, '-H', hosts, '--status')
        check_equal(r.returncode, EXIT_USAGE, f'{hosts}: exit status')
        check(words in r.stderr and 'expected' in r.stderr, f'{hosts}: says what and what is accepted: {r.stderr}')
        check_equal(r.stdout, '', f'{hosts}: no rows')
    check_equal(ssh.calls(), [], 'no connection made')


def duplicate_refused(bed):
    ssh = start(bed)
    r = cli(bed, ssh, '-H', 'node[01-03]', '-H', 'admin@node02', '--status')
    check_equal(r.returncode, EXIT_USAGE, 'exit status')
    check("host 'node02' is given twice" in r.stderr, f'names the host: {r.stderr}')
    check_equal(ssh.calls(), [], 'no connection made')


def parallel_bound(bed):
    ssh = start(bed)
    r = cli(bed, ssh, '-H', 'node[01-06]', '--parallel=2', '--status')
    check_equal(r.returncode, EXIT_OK, f'exit status ({r.stderr})')
    running = highest = 0
    for call in ssh.calls():
        running += 1 if call.startswith('start') else -1
        highest = max(highest, running)
    check_equal(len(ssh.calls()), 12, 'six connections, each started and ended')
    check(highest <= 2, f'at most 2 at once, saw {highest}')

    r = cli(bed, ssh, '--parallel=0', '-H', 'node01,node02', '--status')
    check_equal(r.returncode, EXIT_USAGE, '--parallel=0')


def slurm_expander(bed):
    '''Where scontrol works (a slurm.conf to read), its expansion is used.'''
    ssh = start(bed)
    conf = os.path.join(bed.root, 'slurm.conf')
    with open(conf, 'w', encoding='ascii') as f:
        f.write('ClusterName=bed\nSlurmctldHost=localhost\nNodeName=node[01-32]\nPartitionName=p Nodes=ALL\n')
    r = cli(bed, ssh, '-H', 'node[01-02,05]', '--status', env={'SLURM_CONF': conf, 'HOSTPM_LOG_LEVEL': 'debug'})
    check_equal(r.returncode, EXIT_OK, f'exit status ({r.stderr})')
    check("Expanded 'node[01-02,05]' with scontrol: 3 hosts" in r.stderr, f'scontrol used: {r.stderr}')
    check_equal(table(r)[0], ['node01', 'node02', 'node05'], 'hosts')

    # without a slurm.conf scontrol cannot work: hostpm's own expander
    r = cli(bed, ssh, '-H', 'node[01-02,05]', '--status',
            env={'SLURM_CONF': '/nonexistent', 'HOSTPM_LOG_LEVEL': 'debug'})
    check_equal(r.returncode, EXIT_OK, f'exit status ({r.stderr})')
    check('using hostpm\'s expander' in r.stderr, f'fallback said: {r.stderr}')
    check_equal(table(r)[0], ['node01', 'node02', 'node05'], 'hosts')


def no_terminal_prompt(bed):
    '''A host whose key is not known fails alone, even when the CLI has a
    terminal: ssh gets none to ask on, rather than hanging on a question.'''
    ssh = start(bed, extra_hosts='Host stranger\n  HostName 127.0.0.50\n  HostKeyAlias unknown-key\n'
                                 '  StrictHostKeyChecking ask\n')
    command = ' '.join([bed.cli, '-H', 'stranger,node01', '--status', '--json'])
    r = bed.run(['script', '-qec', command, '/dev/null'], env=ssh.env, timeout=30)
    lines = [json.loads(line) for line in r.stdout.replace('\r', '').splitlines() if line.startswith('{')]
    check_equal([o['host'] for o in lines], ['stranger', 'node01'], f'both answered: {r.stdout}')
    check_equal(lines[1]['status'], 'ok', 'node01')
    check_equal(lines[0]['status'], 'failed', 'stranger')
    check(any('Host key verification failed' in m for m in lines[0]['messages']),
          f'stranger says why: {lines[0]["messages"]}')


def interrupt_stops_workers(bed):
    '''SIGINT to the CLI stops the workers and their ssh, which run in
    sessions of their own where a terminal's ^C would not reach them.'''
    ssh = start(bed, extra_hosts='Host slow\n  ProxyCommand sleep 600\n')
    cli_proc = subprocess.Popen([bed.cli, '-H', 'slow,node01', '--status'], env=dict(bed.env, **ssh.env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: any(' slow ' in c for c in ssh.calls()), 'the connection to slow to start')
        wait_for(sleeping_proxies, 'ssh to start its ProxyCommand')
        cli_proc.send_signal(signal.SIGINT)
        # well before sd-bus's own 25 s call timeout, which would end the
        # worker anyway
        out, err = cli_proc.communicate(timeout=10)
    finally:
        if cli_proc.poll() is None:
            cli_proc.kill()
            cli_proc.wait()
    check_equal(cli_proc.returncode, EXIT_FAILED, f'exit status ({err})')
    _order, rows = table(subprocess.CompletedProcess([], 0, out, err))
    check_equal(rows['slow'][0], 'failed', f'slow: {rows}')
    wait_for(lambda: not sleeping_proxies(), 'the worker\'s ssh and ProxyCommand to be gone')
    # node01's worker may have been stopped mid-handshake: the bed's sshd
    # ends that connection's process once it reads the EOF, which a loaded
    # machine may take a while to schedule
    wait_for(lambda: not sshd_connections(), 'sshd to end the connections of the stopped workers')


def sshd_connections():
    '''PIDs of the bed's sshd processes that serve a connection (all but
    its listener).'''
    found = []
    for entry in os.listdir('/proc'):
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read()
        except OSError:
            continue
        if cmdline.startswith(b'sshd: ') and b'[listener]' not in cmdline:
            found.append(int(entry))
    return found


def sleeping_proxies():
    '''PIDs of "sleep 600" (slow's ProxyCommand) in the bed.'''
    found = []
    for entry in os.listdir('/proc'):
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                if f.read() == b'sleep\x00600\x00':
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def wait_many(bed):
    '''--wait per host: the granted one is followed to its resume over its
    own connection; the busy ones fail at once.'''
    ssh = start(bed)
    r = cli(bed, ssh, '-H', 'node01,node02', '--wait', '--json', '3s', timeout=90)
    lines = json_lines(r)
    statuses = sorted(o['status'] for o in lines)
    check_equal(statuses, ['busy', 'ok'], f'one granted: {r.stdout}')
    granted = next(o for o in lines if o['status'] == 'ok')
    check_equal(len(granted['output']), 2, 'the plan, then the outcome')
    check_equal(granted['output'][1]['result'], 'resumed', 'outcome')
    check_equal(granted['output'][1]['woken_by_alarm'], True, 'woken by the alarm')


#
# Cases: Wake-on-LAN
#

def capabilities_interfaces(bed):
    '''The document lists each interface with its MAC and Wake-on-LAN as
    the kernel reports it: veth has none, and says so.'''
    private_network()
    veth_pair()
    install_netinfo(bed)
    bed.start(logind={}, hostpmd=True)

    r = bed.run([bed.cli, '--capabilities', '--xml'])
    check_equal(r.returncode, 0, f'exit status ({r.stderr})')
    check('<network_interfaces status="ok">\n'
          '      <interface name="veth-b" mac="02:00:00:00:00:0b">\n'
          '        <wake_on_lan supported="" enabled=""/>\n'
          '      </interface>\n'
          '      <interface name="veth-a" mac="02:00:00:00:00:0a">\n'
          '        <wake_on_lan supported="" enabled=""/>\n'
          '      </interface>\n'
          '    </network_interfaces>' in r.stdout, f'the interfaces: {r.stdout}')
    xml = os.path.join(bed.tmp, 'capabilities.xml')
    with open(xml, 'w', encoding='utf-8') as f:
        f.write(r.stdout)
    v = bed.run(['xmllint', '--noout', '--relaxng', bed.path('data', 'hostpm-capabilities.rng'), xml])
    check_equal(v.returncode, 0, f'valid against the schema: {v.stderr}')
    check('power_management' in r.stdout, 'libvirt\'s block is still there')

    r = bed.run([bed.cli, '--capabilities', '--json'])
    net = json.loads(r.stdout)['network_interfaces']
    check_equal(net, {'status': 'ok', 'interfaces': [
        {'name': 'veth-b', 'mac': '02:00:00:00:00:0b', 'wake_on_lan': {'supported': [], 'enabled': []}},
        {'name': 'veth-a', 'mac': '02:00:00:00:00:0a', 'wake_on_lan': {'supported': [], 'enabled': []}}]},
        'JSON')
    r = bed.run([bed.cli, '--capabilities'])
    check(re.search(r'^veth-a +02:00:00:00:00:0a +none +none$', r.stdout, re.M), f'table: {r.stdout}')


def netinfo_fails(bed):
    '''hostpm-netinfo answering nothing: the document says the interfaces
    are unknown, and why; the rest of it stands.'''
    private_network()
    install_netinfo(bed, exec_start='/bin/true')
    bed.start(logind={}, hostpmd=True)
    r = bed.run([bed.cli, '--capabilities', '--xml'])
    check_equal(r.returncode, 0, f'exit status ({r.stderr})')
    check('<network_interfaces status="failed">\n'
          '      <error>hostpm-netinfo: its answer is not the expected JSON</error>' in r.stdout, r.stdout)
    check('<suspend_mem/>' in r.stdout, 'the rest stands')


def unit_properties(bed, unit, *names):
    r = bed.run(['systemctl', '--user', 'show', unit, '-p', ','.join(names)])
    check_equal(r.returncode, 0, f'systemctl show {unit}')
    return dict(line.split('=', 1) for line in r.stdout.splitlines() if '=' in line)


def journal_messages(bed, text):
    return [e for e in list(bed.journal.entries) if text in e.get('MESSAGE', '')]


def arm_wake_on_lan(bed):
    '''WakeOnLanInterfaces=: the helper's service gets CAP_NET_ADMIN, the
    host's network without IP and a netlink socket, and the helper tries
    each interface before the alarm. veth cannot wake on a magic packet and
    nosuch0 does not exist: both are logged, and the suspend goes on and
    is woken by its alarm.'''
    private_network()
    veth_pair()
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write(FAST_CONFIG + 'WakeOnLanInterfaces=veth-a nosuch0\n')
    bed.start(logind={}, polkit=(), hostpmd=True)
    bed.start_rtc_clock()

    r = bed.run([bed.cli, '--delay=30min', '2min'])
    check_equal(r.returncode, 0, f'scheduled ({r.stderr})')
    shown = unit_properties(bed, 'hostpm-suspend.service', 'CapabilityBoundingSet', 'RestrictAddressFamilies',
                            'PrivateNetwork', 'IPAddressDeny', 'ExecStart')
    bed.run([bed.cli, '--cancel'])
    check_equal(shown['CapabilityBoundingSet'], 'cap_net_admin', 'only CAP_NET_ADMIN')
    check_equal(sorted(shown['RestrictAddressFamilies'].split()), ['AF_NETLINK', 'AF_UNIX'], 'families')
    check_equal(shown['PrivateNetwork'], 'no', 'the host\'s interfaces')
    check_equal(sorted(shown['IPAddressDeny'].split()), ['0.0.0.0/0', '::/0'], 'but no IP traffic')
    check(' --wake-on-lan=veth-a,nosuch0 ' in shown['ExecStart'], f'the helper is told: {shown["ExecStart"]}')

    r = bed.run([bed.cli, '--wait', '--json', '3s'], timeout=90)
    check_equal(r.returncode, 0, f'the suspend went on ({r.stdout} {r.stderr})')
    outcome = json.loads(r.stdout.splitlines()[1])
    check_equal((outcome['result'], outcome['woken_by_alarm']), ('resumed', True), 'woken by the alarm')
    check(journal_messages(bed, 'Wake-on-LAN not armed on veth-a: it cannot wake on a magic packet '
                                '(it supports: nothing); continuing, the RTC alarm wakes the host.'),
          'veth-a: logged why')
    check(journal_messages(bed, 'Wake-on-LAN not armed on nosuch0: there is no such interface'), 'nosuch0: logged')


def no_wake_on_lan_no_network(bed):
    '''Without WakeOnLanInterfaces= the helper's service keeps no
    capability, a private network and AF_UNIX only.'''
    private_network()
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write(FAST_CONFIG)
    bed.start(logind={}, polkit=(), hostpmd=True)
    r = bed.run([bed.cli, '--delay=30min', '2min'])
    check_equal(r.returncode, 0, f'scheduled ({r.stderr})')
    shown = unit_properties(bed, 'hostpm-suspend.service', 'CapabilityBoundingSet', 'RestrictAddressFamilies',
                            'PrivateNetwork', 'ExecStart')
    bed.run([bed.cli, '--cancel'])
    check_equal((shown['CapabilityBoundingSet'], shown['RestrictAddressFamilies'], shown['PrivateNetwork']),
                ('', 'AF_UNIX', 'yes'), 'nothing more')
    check('--wake-on-lan' not in shown['ExecStart'], 'the helper arms nothing')


def wake_packet(bed):
    '''--wake sends the 102-byte magic packet as a UDP broadcast; captured
    where it arrives, on the other end of a veth pair.'''
    private_network()
    link_pair()
    capture = Capture('veth-b')
    try:
        r = bed.run([bed.cli, '--wake', '--interface=veth-a', '--broadcast=10.99.0.255', '52:54:00:12:34:56'])
        check_equal(r.returncode, 0, f'exit status ({r.stderr})')
        check_equal(r.stdout, 'Sent a magic packet for 52:54:00:12:34:56 to 10.99.0.255 port 9 out of veth-a.\n',
                    'says what it sent')
        (dst, port, payload), = capture.wait(1)
        check_equal((dst, port), ('10.99.0.255', 9), 'destination')
        check_equal(len(payload), 102, 'payload size')
        check_equal(payload, magic('52:54:00:12:34:56'), 'payload: 6 x 0xff, 16 x the MAC')

        # the limited broadcast out of the interface, another port, uppercase and dashes
        r = bed.run([bed.cli, '--wake', '--interface=veth-a', '--port=7', '--json', '52-54-00-AB-CD-EF'])
        check_equal(r.returncode, 0, f'exit status ({r.stderr})')
        check_equal(json.loads(r.stdout), {'target': '52-54-00-AB-CD-EF', 'mac': '52:54:00:ab:cd:ef', 'sent': True,
                                           'destination': '255.255.255.255', 'port': 7, 'error': None}, 'JSON')
        dst, port, payload = capture.wait(2)[1]
        check_equal((dst, port, payload), ('255.255.255.255', 7, magic('52:54:00:ab:cd:ef')), 'second packet')
    finally:
        capture.close()


def wake_by_name(bed):
    '''Names from /etc/ethers, host lists included; an unknown name fails
    alone, the others are sent.'''
    private_network()
    link_pair()
    ethers(bed, '52:54:00:aa:bb:01 node01\n52:54:00:aa:bb:02 node02\n')
    capture = Capture('veth-b')
    try:
        r = bed.run([bed.cli, '--wake', '--json', '--interface=veth-a', 'node[01-02]', 'nosuch'])
        check_equal(r.returncode, 1, f'not all sent ({r.stderr})')
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        check_equal([(o['target'], o['mac'], o['sent']) for o in lines],
                    [('node01', '52:54:00:aa:bb:01', True), ('node02', '52:54:00:aa:bb:02', True),
                     ('nosuch', None, False)], 'per target')
        check('not in /etc/ethers' in lines[2]['error'], f'says why: {lines[2]}')
        payloads = sorted(p for _, _, p in capture.wait(2))
        check_equal(payloads, [magic('52:54:00:aa:bb:01'), magic('52:54:00:aa:bb:02')], 'both packets')
    finally:
        capture.close()


def wake_refusals(bed):
    '''Bad input is refused before anything is sent.'''
    private_network()
    link_pair()
    capture = Capture('veth-b')
    try:
        for args, words in ((['--wake'], 'needs a MAC'),
                            (['--wake', '--port=0', '52:54:00:12:34:56'], 'expected a UDP port from 1 to 65535'),
                            (['--wake', '--port=70000', '52:54:00:12:34:56'], 'expected a UDP port'),
                            (['--wake', '--broadcast=10.99.0', '52:54:00:12:34:56'], 'expected an IPv4 address'),
                            (['--wake', '--broadcast=ff02::1', '52:54:00:12:34:56'], 'expected an IPv4 address'),
                            (['--wake', '--interface=a/b', '52:54:00:12:34:56'], 'expected an interface name'),
                            (['--wake', '-H', 'node01', '52:54:00:12:34:56'], '--wake sends from here'),
                            (['--port=9', '--status'], 'go with --wake'),
                            (['--wake', 'node[01-', '52:54:00:12:34:56'], 'malformed host list')):
            r = bed.run([bed.cli, *args])
            check_equal(r.returncode, EXIT_USAGE, f'{args}: exit status')
            check(words in r.stderr, f'{args}: says why: {r.stderr}')
        r = bed.run([bed.cli, '--wake', '--interface=nope0', '52:54:00:12:34:56'])
        check_equal(r.returncode, EXIT_FAILED, 'no such interface')
        check("No interface 'nope0'" in r.stderr, r.stderr)
        r = bed.run([bed.cli, '--wake', '--interface=veth-a', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'])
        check_equal(r.returncode, EXIT_FAILED, 'not a NIC\'s address')
        check_equal(r.stderr.count('a multicast or zero address is no NIC\'s'), 2, r.stderr)
        check_equal(capture.packets, [], 'nothing sent')
    finally:
        capture.close()


CASES = {
    'status-many': status_many,
    'capabilities-json': capabilities_json,
    'partial-failure': partial_failure,
    'schedule-busy': schedule_busy,
    'dry-run-many': dry_run_many,
    'malformed-refused': malformed_refused,
    'duplicate-refused': duplicate_refused,
    'parallel-bound': parallel_bound,
    'slurm-expander': slurm_expander,
    'no-terminal-prompt': no_terminal_prompt,
    'wait-many': wait_many,
    'interrupt-stops-workers': interrupt_stops_workers,
    'capabilities-interfaces': capabilities_interfaces,
    'netinfo-fails': netinfo_fails,
    'arm-wake-on-lan': arm_wake_on_lan,
    'no-wake-on-lan-no-network': no_wake_on_lan_no_network,
    'wake-packet': wake_packet,
    'wake-by-name': wake_by_name,
    'wake-refusals': wake_refusals,
}

if __name__ == '__main__':
    testbed.main(CASES)
