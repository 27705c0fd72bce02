#!/usr/bin/python3
'''hostpm as Slurm's power saving, against a real Slurm (cluster.py).'''

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import testbed  # noqa: E402  pylint: disable=wrong-import-position
from testbed import check, check_equal  # noqa: E402  pylint: disable=wrong-import-position
import cluster  # noqa: E402  pylint: disable=wrong-import-position
import isolation  # noqa: E402  pylint: disable=wrong-import-position


def cluster_up(c):
    t = time.monotonic()
    c.start(suspend_time='INFINITE')
    print(f'up in {time.monotonic() - t:.2f} s', c.node_states(), flush=True)


CASES = {
    'cluster-up': cluster_up,
}


def main():
    import argparse  # pylint: disable=import-outside-toplevel
    parser = argparse.ArgumentParser()
    parser.add_argument('case', nargs='?')
    parser.add_argument('--check-registered', nargs='*')
    args = parser.parse_args()
    if args.check_registered is not None:
        listed, registered = set(CASES), set(args.check_registered)
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
