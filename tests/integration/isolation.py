'''Runs one test case in isolation, and proves nothing of it survives.

The outer copy (what meson starts) checks the machine can run the bed,
makes a cgroup for it, and re-executes the script under unshare(1) in new
mount, PID and cgroup namespaces. The inner copy is PID 1 there: it sets up
the namespace (a private /run holding the bed, a cgroup2 view rooted at the
bed's cgroup), runs the case with a bed, dumps the logs if it failed, tears
the bed down and kills whatever is left. When PID 1 ends the kernel kills
the rest of the namespace; the outer copy then checks that no process of
the bed's PID namespace, cgroup or environment marker remains, and removes
the cgroup.

Exit status: 0 pass, 1 fail, 77 skip (the machine cannot run the bed; with
CI=true a skip is reported as a failure instead).
'''

import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import traceback

PYTHON = '/usr/bin/python3'  # the python3 first on PATH may lack dbus and gi
SYSTEMD = os.environ.get('HOSTPM_TESTBED_SYSTEMD', '/usr/lib/systemd/systemd')
DBUS_DAEMON = '/usr/bin/dbus-daemon'
UNSHARE = ['unshare', '--mount', '--pid', '--fork', '--mount-proc', '--kill-child',
           '--propagation', 'private', '--cgroup']
BED_ROOT = '/run/hostpm-testbed'  # on the namespace's private /run
EXIT_SKIP = 77
STARTUP_TIMEOUT = 60  # seconds; a bound on waits, never an expectation: a bed
# starting beside two copies of the suite and a CPU hog has taken over 30 s
ENTER_FAILED = 125  # the wrapper could not move into the bed cgroup


class Skip(Exception):
    '''The machine cannot run this test.'''


class BedError(Exception):
    '''The bed itself failed (a service did not come up, …).'''


class Interrupted(BaseException):
    '''SIGTERM or SIGINT: meson's timeout, or Ctrl-C.'''


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise AssertionError(f'{what}: expected {expected!r}, got {actual!r}')


def wait_for(predicate, what, timeout=STARTUP_TIMEOUT, interval=0.01):
    '''Polls predicate until it is true; fails after timeout seconds.'''
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BedError(f'timed out after {timeout} s waiting for {what}')
        time.sleep(interval)


def skip(reason):
    if os.environ.get('CI') == 'true':
        print(f'testbed: FAIL: cannot run here: {reason} (CI=true: a skip is a failure)',
              file=sys.stderr)
        return 1
    print(f'testbed: SKIP: {reason}', file=sys.stderr)
    return EXIT_SKIP


#
# The outer copy: checks the machine, runs the namespace, checks nothing is left
#

def _cgroup2_mount():
    '''Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup, or .../unified
    on a hybrid host), or None.'''
    with open('/proc/self/mountinfo', encoding='utf-8') as f:
        for line in f:
            pre, _, post = line.partition(' - ')
            if post.split()[0] == 'cgroup2':
                return pre.split()[4]
    return None


def _machine_problem():
    '''Why this machine cannot run the bed, or None.'''
    if os.geteuid() != 0:
        return 'needs root: the bed creates mount, PID and cgroup namespaces'
    if not shutil.which('unshare'):
        return 'unshare(1) is missing (util-linux)'
    for path in (SYSTEMD, DBUS_DAEMON, PYTHON):
        if not os.access(path, os.X_OK):
            return f'{path} is missing'
    r = subprocess.run([PYTHON, '-c', 'import dbus, dbusmock; from gi.repository import GLib'],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        return f'{PYTHON} lacks dbus, gi or dbusmock: {r.stderr.strip().splitlines()[-1]}'
    if _cgroup2_mount() is None:
        return 'no cgroup2 hierarchy to give the user manager'
    r = subprocess.run(UNSHARE + ['true'], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        return f'unshare failed: {r.stderr.strip()}'
    return None


class _BedCgroup:
    '''A child of our own cgroup2 cgroup. The namespace starts in it and gets
    it as the root of its cgroup namespace, so the user manager builds its
    slices in here and not at the top of the host's hierarchy.'''

    def __init__(self, bed_id):
        with open('/proc/self/cgroup', encoding='utf-8') as f:
            own = next(line.strip()[3:] for line in f if line.startswith('0::'))
        self.path = os.path.join(_cgroup2_mount(), own.lstrip('/'), f'hostpm-testbed.{bed_id}')
        os.mkdir(self.path)

    def entering(self, argv):
        '''argv, run inside this cgroup: a shell moves itself in, then execs
        argv (no Python between fork and exec, and a failure names itself
        on stderr and exits ENTER_FAILED).'''
        return ['/bin/sh', '-c', f'echo 0 >"$0" || exit {ENTER_FAILED}; exec "$@"',
                os.path.join(self.path, 'cgroup.procs'), *argv]

    def populated(self):
        with open(os.path.join(self.path, 'cgroup.events'), encoding='ascii') as f:
            return 'populated 1' in f.read()

    def pids(self):
        pids = []
        for dirpath, _dirs, _files in os.walk(self.path):
            with open(os.path.join(dirpath, 'cgroup.procs'), encoding='ascii') as f:
                pids += [int(p) for p in f.read().split()]
        return pids

    def remove(self):
        for dirpath, _dirs, _files in os.walk(self.path, topdown=False):
            os.rmdir(dirpath)


def _describe(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            cmdline = f.read().replace(b'\0', b' ').decode(errors='replace').strip()
        return f'{pid} {cmdline}'
    except OSError:
        return str(pid)


class PidNamespace:
    '''A PID namespace held open by a file descriptor. The kernel reuses a
    dead namespace's inode number for the next new one, so a namespace is
    only known by its number while something holds it: then no other
    namespace can have that number.'''

    def __init__(self, fd):
        self.fd = fd
        st = os.fstat(fd)
        self.key = (st.st_dev, st.st_ino)

    @classmethod
    def of(cls, pid):
        '''The namespace of a live process, or None if it is gone.'''
        try:
            return cls(os.open(f'/proc/{pid}/ns/pid', os.O_RDONLY | os.O_CLOEXEC))
        except OSError:
            return None

    def holds(self, pid):
        try:
            st = os.stat(f'/proc/{pid}/ns/pid')
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.key

    def pids(self):
        return [int(e) for e in os.listdir('/proc') if e.isdigit() and self.holds(e)]

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _has_marker(pid, marker):
    try:
        with open(f'/proc/{pid}/environ', 'rb') as f:
            return marker in f.read().split(b'\0')
    except OSError:
        return False


def _processes_of(bed_id, pidns, cgroup, among=None):
    '''Every live process (of `among`, default all) in the bed's PID
    namespace (held open), cgroup, or carrying its environment marker.'''
    marker = f'HOSTPM_TESTBED_ID={bed_id}'.encode()
    in_cgroup = set(cgroup.pids())
    candidates = among if among is not None else [int(e) for e in os.listdir('/proc') if e.isdigit()]
    return sorted(p for p in candidates
                  if p in in_cgroup or (pidns and pidns.holds(p)) or _has_marker(p, marker))


def _kill_exactly(pid, still_ours):
    '''SIGKILL to pid if it is still the process found (its number may
    have gone to another process since): checked through a pidfd, which
    keeps naming the process it was opened for.'''
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return  # gone
    try:
        if still_ours(pid):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass
    finally:
        os.close(pidfd)


def _inner_pid(unshare_pid):
    try:
        with open(f'/proc/{unshare_pid}/task/{unshare_pid}/children', encoding='ascii') as f:
            return int(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def run_outer(script, case):
    problem = _machine_problem()
    if problem:
        return skip(problem)

    started = time.monotonic()
    bed_id = f'{os.getpid()}-{secrets.token_hex(3)}'
    try:
        cgroup = _BedCgroup(bed_id)
    except OSError as e:
        return skip(f'cannot create a cgroup for the bed: {e}')
    # The bed's files live on the namespace's own /run and die with it,
    # unless asked to keep them (then they are bind-mounted from here).
    keep = tempfile.mkdtemp(prefix=f'hostpm-testbed.{case}.') \
        if os.environ.get('HOSTPM_TESTBED_KEEP') == '1' else ''
    print(f'testbed: {case}: bed {bed_id}, cgroup {cgroup.path}', file=sys.stderr)

    # The inner copy reports over this socket, with its PID namespace as
    # a file descriptor: holding that keeps the namespace's number ours.
    report_sock, inner_sock = socket.socketpair()
    env = dict(os.environ, HOSTPM_TESTBED_INNER='1', HOSTPM_TESTBED_ID=bed_id,
               HOSTPM_TESTBED_KEEP_DIR=keep, HOSTPM_TESTBED_REPORT_FD=str(inner_sock.fileno()))
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        cgroup.entering(UNSHARE + [PYTHON, script, case]), env=env, pass_fds=(inner_sock.fileno(),))
    inner_sock.close()

    # unshare blocks SIGTERM/SIGINT and waits; pass them to the namespace's
    # PID 1 so it can tear down and dump logs. A second one kills it all.
    signals = []

    def forward(signum, _frame):
        signals.append(signum)
        inner = _inner_pid(proc.pid)
        if len(signals) == 1 and inner:
            os.kill(inner, signal.SIGTERM)
        else:
            proc.kill()

    old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        rc = proc.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    report, pidns = _receive_report(report_sock)

    # The namespace is gone once its PID 1 is; the kernel may still be
    # reaping its last processes, so give the cgroup a moment to empty.
    problems = []

    def cgroup_empties(what):
        try:
            wait_for(lambda: not cgroup.populated(), what, timeout=10)
        except BedError as e:
            problems.append(str(e))

    cgroup_empties('the bed cgroup to empty')
    leftovers = _processes_of(bed_id, pidns, cgroup)
    if leftovers:
        problems.append('the bed left processes behind: ' +
                        '; '.join(_describe(p) for p in leftovers))
        for pid in leftovers:
            _kill_exactly(pid, lambda p: _processes_of(bed_id, pidns, cgroup, [p]))
        cgroup_empties('the killed leftovers to go')
    if pidns:
        pidns.close()
    try:
        cgroup.remove()
    except OSError as e:
        problems.append(f'cannot remove the bed cgroup {cgroup.path}: {e}')
    if keep:
        print(f'testbed: kept the bed\'s files in {keep}', file=sys.stderr)

    if rc == ENTER_FAILED and not report:
        problems.append(f'could not move into the bed cgroup {cgroup.path} (the shell\'s reason is above)')
    elif not report:
        problems.append(f'the namespace never came up: {_never_came_up(rc)}')
    for problem in problems:
        print(f'testbed: FAIL: {problem}', file=sys.stderr)
    if rc < 0:
        print(f'testbed: killed by signal {-rc}', file=sys.stderr)
    if problems or rc < 0:
        rc = 1
    verdict = {0: 'PASS', EXIT_SKIP: 'SKIP'}.get(rc, 'FAIL')
    print(f'testbed: {case}: {verdict} in {time.monotonic() - started:.2f} s', file=sys.stderr)
    return rc


def _receive_report(sock):
    '''The inner copy's report and its PID namespace (None, None if it
    sent none).'''
    with sock:
        data, fds, _flags, _address = socket.recv_fds(sock, 65536, 1)
    pidns = PidNamespace(fds[0]) if fds else None
    return (json.loads(data) if data else None), pidns


def _never_came_up(rc):
    '''Why, as far as unshare's exit status tells.'''
    if rc < 0:
        return f'unshare was killed by {signal.Signals(-rc).name}'
    # unshare re-raises its child's fatal signal, except SIGKILL, which it
    # cannot: then it says "sigprocmask unblock failed" and exits 1
    return (f'unshare exit status {rc} (its message is above; "sigprocmask unblock failed" '
            f'means the namespace\'s PID 1 was killed by SIGKILL before it reported)')


#
# The inner copy: PID 1 of the namespace
#

def _mount(*args):
    r = subprocess.run(['mount', *args], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise Skip(f'mount {" ".join(args)} failed: {r.stderr.strip()}')


def _setup_namespace(keep_dir):
    """A private /run: it holds the bed (outside /tmp, which hostpmd's
    PrivateTmp= would hide), /run/systemd/system (systemd --user refuses to
    start without it), the fake journal's sockets, and it hides the host's
    system bus socket, so that a program ignoring DBUS_SYSTEM_BUS_ADDRESS
    fails instead of reaching the host's real services."""
    _mount('-t', 'tmpfs', '-o', 'mode=0755', 'hostpm-testbed', '/run')
    os.makedirs('/run/systemd/system')
    _make_inaccessible_nodes('/run/systemd/inaccessible')
    os.mkdir(BED_ROOT)
    if keep_dir:
        _mount('--bind', keep_dir, BED_ROOT)
    # Our cgroup namespace's own view: its root is the bed cgroup.
    _mount('-t', 'cgroup2', 'cgroup2', '/sys/fs/cgroup')


def _make_inaccessible_nodes(directory):
    '''What PID 1 makes at boot and a user manager's ProtectHome= (and
    InaccessiblePaths=) mount over what they hide: one node of each type,
    mode 0000. Without them those settings fail with 226/NAMESPACE.'''
    os.makedirs(directory)
    os.mkdir(os.path.join(directory, 'dir'), 0)
    for name, kind in (('reg', stat.S_IFREG), ('fifo', stat.S_IFIFO), ('sock', stat.S_IFSOCK),
                       ('chr', stat.S_IFCHR), ('blk', stat.S_IFBLK)):
        os.mknod(os.path.join(directory, name), kind, os.makedev(0, 0))
        os.chmod(os.path.join(directory, name), 0)
    os.chmod(os.path.join(directory, 'dir'), 0)


def _kill_namespace():
    '''As PID 1, kills whatever teardown missed; returns their descriptions.'''
    if os.getpid() != 1:
        return []
    _reap()  # orphans that already died are zombies of ours, not survivors
    killed = []
    for entry in os.listdir('/proc'):
        if entry.isdigit() and int(entry) != 1:
            killed.append(_describe(entry))
            try:
                os.kill(int(entry), signal.SIGKILL)
            except ProcessLookupError:
                pass
    _reap(block=True)
    return killed


def _reap(block=False):
    '''As PID 1, collects dead children, including orphans reparented to us.'''
    while True:
        try:
            if os.waitpid(-1, 0 if block else os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def run_inner(case_fn, make_bed):
    report_fd = int(os.environ.pop('HOSTPM_TESTBED_REPORT_FD'))
    with socket.socket(fileno=report_fd) as sock:
        pidns = os.open('/proc/self/ns/pid', os.O_RDONLY | os.O_CLOEXEC)
        socket.send_fds(sock, [json.dumps({'pidns': os.readlink('/proc/self/ns/pid')}).encode()],
                        [pidns])
        os.close(pidns)
    keep_dir = os.environ.pop('HOSTPM_TESTBED_KEEP_DIR', '')
    bed_id = os.environ['HOSTPM_TESTBED_ID']

    interrupted = []

    def on_signal(signum, _frame):
        interrupted.append(signum)
        if len(interrupted) == 1:  # later ones must not break the teardown
            raise Interrupted(f'interrupted by {signal.Signals(signum).name}')

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    bed = None
    rc = 1
    try:
        _setup_namespace(keep_dir)
        bed = make_bed(BED_ROOT, bed_id)
        case_fn(bed)
        rc = 0
    except Skip as e:
        rc = skip(str(e))
    except (Exception, Interrupted):  # pylint: disable=broad-except
        traceback.print_exc()
    finally:
        if bed is not None:
            # Logs first: after meson's SIGTERM we have half a second.
            if rc not in (0, EXIT_SKIP):
                bed.dump_logs()
            try:
                killed = bed.teardown()
                if killed:
                    print(f'testbed: teardown had to SIGKILL: {", ".join(killed)}', file=sys.stderr)
            except (Exception, Interrupted):  # pylint: disable=broad-except
                traceback.print_exc()
                rc = 1
        # Anything else still alive was started by the test or the program
        # under test and outlived it: that is something left behind.
        stray = _kill_namespace()
        if stray:
            print(f'testbed: FAIL: processes outlived the test: {"; ".join(stray)}',
                  file=sys.stderr)
            if rc == 0:
                rc = 1
    return rc
