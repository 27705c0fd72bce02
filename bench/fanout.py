#!/usr/bin/python3
'''Fan-out: `hostpm-suspend -H node[01-N] --status` to 1, 8 and 32 nodes,
as the ratio to one node (aim: 32 nodes within 2x of one).

The nodes are the test bed's (tests/integration/sshbed.py): host aliases
that all reach the bed's one hostpmd. Two transports:

  * simulated nodes: `ssh` is a stand-in that waits SETUP_SECONDS (what a
    connection to a real node spends on the network and on the far side's
    handshake, all waiting) and then runs systemd-stdio-bridge here. This is
    what the CLI adds: forks, the bound, collecting the rows.
  * real ssh to the bed's sshd: both ends of every handshake on this
    machine's CPUs, a worst case no cluster has (its nodes do their half).

Run through bench/run, or as bench/run does with `fanout` as the case.
'''

import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tests', 'integration'))

import testbed  # noqa: E402
from sshbed import Ssh, private_network  # noqa: E402

RUNS = int(os.environ.get('HOSTPM_BENCH_RUNS', '30'))
SETUP_SECONDS = 0.1
SIZES = (1, 8, 32)


def simulated_transport(bed):
    '''A directory with the stand-in `ssh`, for PATH.'''
    bin_dir = os.path.join(bed.root, 'simulated-bin')
    os.makedirs(bin_dir, exist_ok=True)
    with open(os.path.join(bin_dir, 'ssh'), 'w', encoding='ascii') as f:
        f.write(textwrap.dedent(f'''\
            #!/bin/sh
            # a simulated node: the set-up time spent waiting, then the bridge
            sleep {SETUP_SECONDS}
            exec systemd-stdio-bridge
            '''))
    os.chmod(os.path.join(bin_dir, 'ssh'), 0o755)
    return {'PATH': f'{bin_dir}:{os.environ.get("PATH", "/usr/bin:/bin")}'}


def timed(bed, argv, env):
    start = time.perf_counter()
    r = subprocess.run(argv, env=dict(bed.env, **env), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise testbed.BedError(f'{" ".join(argv)} failed ({r.returncode}): {r.stdout}{r.stderr}')
    return elapsed


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def commands(cli):
    '''(name, nodes, argv): hostpm's fan-out to 1, 8 and 32 nodes, and what
    a script would do instead for 32: one hostpm-suspend per node, all at
    once (xargs -P).'''
    out = []
    for n in SIZES:
        out.append((f'{n} node{"s" if n > 1 else ""}', n,
                    [cli, '-H', 'node01' if n == 1 else f'node[01-{n:02d}]', '--status', '--json']))
    nodes = ' '.join(f'node{i:02d}' for i in range(1, 33))
    out.append(('32 nodes, xargs -P32 instead', 32,
                ['sh', '-c', f'echo {nodes} | xargs -n1 -P32 {cli} --status --json -H']))
    return out


def measure(bed, env, runs):
    '''Per command: the median wall time and the mean CPU time of the CLI
    and everything it started (workers, ssh), in seconds. Interleaved, so
    drift in the machine's load hits all alike.'''
    cmds = commands(bed.cli)
    samples = {name: [] for name, _, _ in cmds}
    cpu = {name: 0.0 for name, _, _ in cmds}
    for _ in range(runs):
        for name, _, argv in cmds:
            before = children_cpu()
            samples[name].append(timed(bed, argv, env))
            cpu[name] += children_cpu() - before
    return [(name, n, statistics.median(samples[name]), cpu[name] / runs) for name, n, _ in cmds]


def report(title, rows):
    print(f'\n{title}')
    one = rows[0][2]
    for name, n, wall, cpu in rows:
        print(f'  {name:<30} {wall * 1000:8.1f} ms  {wall / one:5.2f}x of one node'
              f'   (client CPU {cpu * 1000 / n:5.1f} ms per node)')


def fanout(bed):
    private_network()
    bed.start(logind={}, polkit=(), hostpmd=True)
    ssh = Ssh(bed)
    ssh.start()
    print(f'fan-out benchmark: hostpm-suspend -H node[01-N] --status; {RUNS} runs each, medians; '
          f'{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}')

    simulated = simulated_transport(bed)
    timed(bed, [bed.cli, '-H', 'node[01-02]', '--status'], simulated)  # warm up: activation, page cache
    report(f'simulated nodes ({SETUP_SECONDS * 1000:.0f} ms connection set-up each, default --parallel)',
           measure(bed, simulated, RUNS))
    report('real ssh to the bed\'s sshd (both ends of each handshake on this machine)',
           measure(bed, ssh.env, max(3, RUNS // 5)))


if __name__ == '__main__':
    testbed.main({'fanout': fanout})
