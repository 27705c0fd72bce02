#!/usr/bin/python3
'''Fan-out: `hostpm-suspend -H node[1-N] --status` to 1, 8 and 32 nodes, as
the ratio to one node (aim: 32 nodes within 2x of one).

The nodes are the slurm suite's (tests/slurm/cluster.py): each in network,
UTS and mount namespaces of its own on one bridge, with its own sshd, bus
(a systemd --user manager), D-Bus activated hostpmd, logind mock, polkitd
and slurmd. The CLI runs on the controller as SlurmUser, with SlurmUser's
ssh config, as slurm-suspend runs it. Every ssh handshake has both ends on
this machine's CPUs: a worst case no cluster has, where each node does its
half. So the CPU time is split: the controller's (the CLI, its workers,
ssh) and the nodes' (sshd, the bridge, hostpmd, read from each node's
cgroup).

Beside hostpm, the floor any SSH fan-out has here: one `ssh NODE true` per
node, all at once. Then the same with --parallel=8 instead of the default,
and with SlurmUser's ssh config keeping connections open (ControlMaster,
ControlPersist, as hostpm-slurm(8) suggests), which is what repeated calls
to the same nodes (slurm-suspend's two) then find.

Run: bench/slurm-suspend fanout (as root).
'''

import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, 'tests', 'integration'))
sys.path.insert(0, os.path.join(SOURCE, 'tests', 'slurm'))

import testbed  # noqa: E402  pylint: disable=wrong-import-position
import cluster  # noqa: E402  pylint: disable=wrong-import-position
import isolation  # noqa: E402  pylint: disable=wrong-import-position

RUNS = int(os.environ.get('HOSTPM_BENCH_RUNS', '5'))
SIZES = tuple(int(n) for n in os.environ.get('HOSTPM_BENCH_FANOUT_SIZES', '1 8 32').split())
VERB = os.environ.get('HOSTPM_BENCH_FANOUT_VERB', '--status')


# What hostpm-slurm(8) suggests for SlurmUser's ssh config: a connection
# to each node outlives the call that opened it by a minute, and one to a
# node that went to sleep is given up after 10 s instead of holding the
# next call.
SSH_CONTROL = '''
Host *
  ControlMaster auto
  ControlPath ~/.ssh/cm-%C
  ControlPersist 60
  ServerAliveInterval 5
  ServerAliveCountMax 2
'''


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def nodes_cpu(c):
    '''CPU seconds spent so far in all the nodes' cgroups.'''
    total = 0
    for name in c.nodes:
        with open(f'/sys/fs/cgroup/{name}/cpu.stat', encoding='ascii') as f:
            for line in f:
                key, value = line.split()
                if key == 'usage_usec':
                    total += int(value) / 1e6
    return total


def as_slurm_user(c, argv):
    slurm = cluster.pwd.getpwnam(cluster.SLURM_USER)
    return c.controller.nsenter(['setpriv', f'--reuid={slurm.pw_uid}', f'--regid={slurm.pw_gid}',
                                 '--init-groups', '--', *argv])


def commands(c, extra):
    '''(name, nodes, argv)'''
    cli = cluster.installed('HOSTPM_SLURM_CLI')
    out = []
    for n in SIZES:
        hosts = 'node1' if n == 1 else f'node[1-{n}]'
        out.append((f'{n} node{"s" if n > 1 else ""}', n,
                    as_slurm_user(c, [cli, '-H', hosts, *extra, VERB, '--json'])))
    n = max(SIZES)
    nodes = ' '.join(f'node{i}' for i in range(1, n + 1))
    out.append((f'{n} x `ssh NODE true`, all at once', n,
                as_slurm_user(c, ['sh', '-c', f'for n in {nodes}; do ssh -xT $n true & done; wait'])))
    return out


def measure(c, cmds, runs):
    '''Per command: the median wall time, the mean CPU time on the
    controller and in the nodes. Interleaved, so drift in the machine's
    load hits all alike.'''
    samples = {name: [] for name, _, _ in cmds}
    cpu = {name: [0.0, 0.0] for name, _, _ in cmds}
    for _ in range(runs):
        for name, _, argv in cmds:
            ctl, nodes = children_cpu(), nodes_cpu(c)
            start = time.perf_counter()
            r = c.bed.run(argv, timeout=300)
            elapsed = time.perf_counter() - start
            testbed.check(r.returncode == 0, f'{name} failed ({r.returncode}): {r.stdout}{r.stderr}')
            samples[name].append(elapsed)
            cpu[name][0] += children_cpu() - ctl
            cpu[name][1] += nodes_cpu(c) - nodes
    return [(name, n, samples[name], cpu[name][0] / runs, cpu[name][1] / runs) for name, n, _ in cmds]


def report(title, rows):
    print(f'\n{title} (load average {os.getloadavg()[0]:.1f})', flush=True)
    one = statistics.median(rows[0][2])
    for name, n, samples, ctl, nodes in rows:
        wall = statistics.median(samples)
        print(f'  {name:<32} {wall * 1000:7.0f} ms (min {min(samples) * 1000:5.0f})  {wall / one:5.2f}x of one node'
              f'   CPU per node: controller {ctl * 1000 / n:5.1f} ms, node {nodes * 1000 / n:5.1f} ms',
              flush=True)


def fanout(c):
    n = max(SIZES)
    # power saving on, no node idle that long; no polkitd (--status asks none)
    c.start(nodes=n, suspend_time=3600, node_options={f'node{i}': {'polkit': None} for i in range(1, n + 1)},
            booting=4)
    print(f'fan-out benchmark: hostpm-suspend -H node[1-N] {VERB}; {n} nodes, each with its own sshd, bus '
          f'and hostpmd; {RUNS} runs each, medians; {os.cpu_count()} CPUs; load average '
          f'{os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (shared machine)',
          flush=True)
    cmds = commands(c, [])
    for _name, _n, argv in cmds[:len(SIZES)]:  # warm up: every hostpmd activated, the page cache
        c.bed.run(argv, timeout=300)
    report('new SSH connections, default --parallel', measure(c, cmds, RUNS))
    report('new SSH connections, --parallel=8', measure(c, commands(c, ['--parallel=8']), RUNS))
    ssh_config = os.path.join(c.bed.root, 'slurm-home', '.ssh', 'config')
    with open(ssh_config, 'a', encoding='ascii') as f:
        f.write(SSH_CONTROL)
    for _name, _n, argv in cmds[:len(SIZES)]:  # the connections, opened
        c.bed.run(argv, timeout=300)
    try:
        report('SSH connections kept open (ControlMaster, ControlPersist)', measure(c, cmds, RUNS))
    finally:
        for i in range(1, n + 1):
            c.bed.run(as_slurm_user(c, ['ssh', '-O', 'exit', f'node{i}']))


def main():
    if os.environ.get('HOSTPM_TESTBED_INNER') == '1':
        sys.exit(isolation.run_inner(fanout, cluster.make))
    missing = cluster.missing_programs()
    if missing:
        sys.exit(isolation.skip(f'{", ".join(missing)} missing (tools/install-deps installs them)'))
    sys.exit(isolation.run_outer(os.path.abspath(sys.argv[0]), 'fanout'))


if __name__ == '__main__':
    main()
