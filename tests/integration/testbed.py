'''The hostpm integration test bed (DESIGN.md, "Testing on machines without
systemd as PID 1").

Every test runs in private mount, PID and cgroup namespaces, with:
  * a real `systemd --user` manager, which runs the bus itself (dbus.socket +
    dbus.service with our bus.conf): only then does it register
    org.freedesktop.systemd1 on it;
  * that bus as both the session and the system bus;
  * python-dbusmock mocks: our logind template (templates/logind.py) and
    dbusmock's stock polkitd;
  * a fake RTC under a fake sysfs root (HOSTPM_SYSFS_ROOT), and the kernel's
    suspend_stats there, which the mock logind counts as a kernel would;
  * a host that can hibernate: a 1 GiB swap in a fake /proc
    (HOSTPM_PROC_ROOT: swaps, meminfo), image_size and a resume device in
    the fake sysfs (make_hibernation());
  * a stand-in for journald (fakejournal.py) that keeps what the manager and
    its units log.

A test script names its cases and hands them to main():

    import testbed

    def all_yes(bed):
        bed.start(logind={})
        result = bed.run([bed.cli, '--capabilities', '--xml'])
        testbed.check_equal(result.returncode, 0, 'exit status')

    if __name__ == '__main__':
        testbed.main({'all-yes': all_yes})

and is run as `/usr/bin/python3 <script> <case>`. main() re-executes the
script under unshare(1) (isolation.py); the re-executed copy is PID 1 of the
new PID namespace, so when it ends or is killed the kernel kills everything
the bed started. The outer copy then proves it: no process of the bed's PID
namespace, cgroup or environment marker may remain.

Exit status: 0 pass, 1 fail, 77 skip (the machine cannot run the bed; with
CI=true a skip is reported as a failure instead).

The bed's files (logs, units, bus.conf, fake sysfs, …) are under
/run/hostpm-testbed, on the namespace's own /run: they vanish with it.

Environment, from meson (tests/integration/meson.build):
  HOSTPM_SUSPEND         the CLI under test (bed.cli)
  HOSTPMD                the daemon, HOSTPMD_UNIT its unit as configured,
  HOSTPM_DBUS_SERVICE    its D-Bus activation file (bed.install_hostpmd())
  HOSTPM_SLEEP           the helper hostpmd's transient service runs
  HOSTPM_BUS_POLICY      the system bus policy, included in the bed's bus.conf
  HOSTPM_SOURCE_ROOT     the source tree (schemas)
For investigating:
  HOSTPM_TESTBED_KEEP=1  keep the bed's files (in a directory under $TMPDIR) and print where
  HOSTPM_TESTBED_DEBUG=1 run the user manager at log level debug
  HOSTPM_TESTBED_SYSTEMD another systemd binary (used to test the skip path)
'''

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

try:  # only the re-executed copy, run by Debian's python3, needs these
    import dbus
    import dbus.mainloop.glib
    from gi.repository import GLib
except ImportError:
    dbus = GLib = None

import fakejournal
import fakekernel
import isolation
from isolation import (DBUS_DAEMON, EXIT_SKIP, PYTHON, STARTUP_TIMEOUT, SYSTEMD,
                       BedError, Skip, check, check_equal, wait_for)

# What test scripts use.
__all__ = ['TestBed', 'Mock', 'main', 'outside_bed', 'GLib', 'PYTHON', 'EXIT_SKIP',
           'STARTUP_TIMEOUT', 'BedError', 'Skip', 'check', 'check_equal', 'wait_for']

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK_IFACE = 'org.freedesktop.DBus.Mock'


#
# The bed
#

class Process:
    def __init__(self, name, popen, log_path):
        self.name = name
        self.popen = popen
        self.log_path = log_path

    def alive(self):
        return self.popen.poll() is None


class Mock:
    '''A dbusmock process on the bed's bus.'''

    def __init__(self, bed, process, bus_name, path):
        self.bed = bed
        self.process = process
        self.bus_name = bus_name
        self.path = path

    @property
    def object(self):
        return self.bed.bus.get_object(self.bus_name, self.path, introspect=False)

    def interface(self, name):
        return dbus.Interface(self.object, name)

    @property
    def control(self):
        '''The org.freedesktop.DBus.Mock interface (GetCalls, SetAllowed, …).'''
        return self.interface(MOCK_IFACE)

    def calls(self, method=None):
        '''[(method, args)] in call order.'''
        return [(str(name), list(args)) for _t, name, args in self.control.GetCalls()
                if method is None or name == method]


class TestBed:
    def __init__(self, root, bed_id, journal_dir='/run/systemd/journal'):
        self.root = root
        self.id = bed_id
        d = self._dir
        self.logs_dir = d('logs')
        self.runtime_dir = d('run', 0o700)
        self.config_home = d('config')
        self.unit_dir = d('config/systemd/user')
        self.service_dir = d('dbus-services')  # the bus's <servicedir>, for activation
        self.sysfs_root = d('sysfs')
        self.proc_root = d('proc')
        self.hostpm_config_dir = d('hostpm-config')  # empty: hostpm's defaults
        self.tmp = d('tmp')
        self.bus_address = f'unix:path={self.runtime_dir}/bus'
        self.source_root = os.environ.get('HOSTPM_SOURCE_ROOT') or os.path.dirname(os.path.dirname(HERE))
        self._cli = os.environ.get('HOSTPM_SUSPEND')

        # HOSTPM_TESTBED_ID stays: it marks every process of the bed
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('DBUS_', 'XDG_', 'HOSTPM_TESTBED_INNER'))}
        env.update(HOME=d('home'), XDG_RUNTIME_DIR=self.runtime_dir,
                   XDG_CONFIG_HOME=self.config_home, XDG_DATA_HOME=d('data'),
                   XDG_STATE_HOME=d('state'), XDG_CACHE_HOME=d('cache'),
                   DBUS_SESSION_BUS_ADDRESS=self.bus_address,
                   DBUS_SYSTEM_BUS_ADDRESS=self.bus_address,
                   # hostpm's seams: nothing of the host's RTC, config or state
                   HOSTPM_SYSFS_ROOT=self.sysfs_root,
                   HOSTPM_PROC_ROOT=self.proc_root,
                   HOSTPM_CONFIG_DIR=self.hostpm_config_dir,
                   HOSTPM_STATE_DIR=d('hostpm-state'))
        self.env = env  # seams set here before start_manager() reach its services too

        # journal_dir: another bed in the same namespace (a cluster node)
        # listens where that node's mount namespace puts /run/systemd/journal
        self.journal = fakejournal.FakeJournal(journal_dir, os.path.join(self.logs_dir, 'journal.log'))
        self.processes = []
        self.manager = None
        self.mocks = {}
        self._bus = None
        self._rtc_made = False
        self._rtc_clock = None

    def _dir(self, relative, mode=0o755):
        path = os.path.join(self.root, relative)
        os.makedirs(path, mode=mode, exist_ok=True)
        os.chmod(path, mode)
        return path

    @property
    def cli(self):
        '''The hostpm-suspend under test, as meson passes it.'''
        if not self._cli:
            raise BedError('HOSTPM_SUSPEND is not set: run this through meson test, or set it '
                           'to the built hostpm-suspend')
        if not os.access(self._cli, os.X_OK):
            raise BedError(f'HOSTPM_SUSPEND={self._cli} is not an executable; is it built?')
        return self._cli

    def path(self, *relative):
        return os.path.join(self.source_root, *relative)

    def setenv(self, **variables):
        '''Test seams for everything the bed starts from now on; set them
        before start_manager() so services started by it inherit them.'''
        self.env.update({k: str(v) for k, v in variables.items()})

    # Starting

    def start(self, logind=None, polkit=None, rtc=None, hostpmd=False):
        '''The usual bed: the fake RTC (a dict: make_rtc() arguments; None:
        the default one unless the test made its own), hostpmd activatable
        if asked, the manager and its bus, logind with these parameters
        (None: no logind), polkit allowing these actions (None: no polkit).'''
        if rtc is not None:
            self.make_rtc(**rtc)
        elif not self._rtc_made:
            self.make_rtc()
        if hostpmd:
            self.install_hostpmd()
        self.start_manager()
        if logind is not None:
            self.start_logind(**logind)
        if polkit is not None:
            self.start_polkit(allowed=polkit)
        return self

    def artifact(self, variable):
        '''A file meson passes in the environment (a built program, a
        configured unit); never searched for.'''
        path = os.environ.get(variable)
        if not path:
            raise BedError(f'{variable} is not set: run this through meson test, or set it')
        if not os.path.exists(path):
            raise BedError(f'{variable}={path} does not exist; is it built?')
        return path

    def install_hostpmd(self):
        '''Makes org.hostpm1 D-Bus activatable as in production: the
        project's activation file in the bus's service directory, and the
        unit as meson configured it in the manager's unit path, with all its
        hardening. The bed's drop-in changes only which binary runs (and
        gives it the state directory the helper's transient service gets
        from this manager). The helper it schedules is the build's.'''
        check(self.manager is None, 'install hostpmd before the manager starts')
        if os.environ.get('HOSTPM_SLEEP'):
            self.setenv(HOSTPM_SLEEP_PATH=self.artifact('HOSTPM_SLEEP'))
        shutil.copy(self.artifact('HOSTPM_DBUS_SERVICE'),
                    os.path.join(self.service_dir, 'org.hostpm1.service'))
        shutil.copy(self.artifact('HOSTPMD_UNIT'), os.path.join(self.unit_dir, 'hostpmd.service'))
        os.makedirs(os.path.join(self.unit_dir, 'hostpmd.service.d'), exist_ok=True)
        with open(os.path.join(self.unit_dir, 'hostpmd.service.d', 'testbed.conf'), 'w',
                  encoding='utf-8') as f:
            f.write(_HOSTPMD_DROPIN.format(hostpmd=self.artifact('HOSTPMD')))

    def start_manager(self):
        check(self.manager is None, 'the manager is already running')
        policy = os.environ.get('HOSTPM_BUS_POLICY')
        with open(os.path.join(self.root, 'bus.conf'), 'w', encoding='utf-8') as f:
            f.write(_BUS_CONF.format(bus=f'{self.runtime_dir}/bus', servicedir=self.service_dir,
                                     policy=f'<include>{policy}</include>' if policy else ''))
        os.makedirs(os.path.join(self.unit_dir, 'dbus.service.d'), exist_ok=True)
        with open(os.path.join(self.unit_dir, 'dbus.service.d', 'testbed.conf'), 'w',
                  encoding='utf-8') as f:
            f.write(_DBUS_DROPIN.format(dbus_daemon=DBUS_DAEMON, conf=os.path.join(self.root, 'bus.conf')))
        with open(os.path.join(self.unit_dir, 'testbed.target'), 'w', encoding='utf-8') as f:
            f.write(_TESTBED_TARGET)
        # stand-ins for the services systemd-sleep hibernates in (the mock
        # logind runs them; templates/logind.py, SleepServiceStatusPath)
        for unit in ('systemd-hibernate.service', 'systemd-hybrid-sleep.service',
                     'systemd-suspend-then-hibernate.service'):
            with open(os.path.join(self.unit_dir, unit), 'w', encoding='utf-8') as f:
                f.write(_SLEEP_SERVICE.format(status=self.sleep_service_status_path))

        # No generators: the host's (gpg-agent, xdg-autostart) add time and noise.
        no_generators = self._dir('no-generators')
        env = dict(self.env, SYSTEMD_GENERATOR_PATH=no_generators,
                   SYSTEMD_ENVIRONMENT_GENERATOR_PATH=no_generators)
        # --log-target=console does not help: a user manager reopens
        # /dev/console and drops its log when that is not a tty. It logs to
        # the fake journal instead; its stderr still gets early errors.
        level = 'debug' if os.environ.get('HOSTPM_TESTBED_DEBUG') == '1' else 'info'
        self.manager = self.spawn('manager', [SYSTEMD, '--user', '--unit=testbed.target',
                                               '--log-target=journal', f'--log-level={level}'],
                                   env=env)
        self.wait_for_name('org.freedesktop.systemd1', self.manager)
        return self.manager

    def start_mock(self, name, template, bus_name, path, parameters=None):
        check(self.manager is not None, 'start the manager (and its bus) before mocks')
        argv = [PYTHON, '-m', 'dbusmock', '--template', template]
        if parameters is not None:
            argv += ['-p', json.dumps(parameters)]
        process = self.spawn(name, argv, env=dict(self.env, PYTHONUNBUFFERED='1'))
        self.wait_for_name(bus_name, process)
        self.mocks[name] = Mock(self, process, bus_name, path)
        return self.mocks[name]

    def start_logind(self, **parameters):
        '''Our logind mock; see templates/logind.py for the parameters.'''
        parameters.setdefault('WakealarmPath', self.wakealarm_path)
        parameters.setdefault('SuspendStatsPath', self.suspend_stats_dir)
        parameters.setdefault('SleepServiceStatusPath', self.sleep_service_status_path)
        return self.start_mock('logind', os.path.join(HERE, 'templates', 'logind.py'),
                               'org.freedesktop.login1', '/org/freedesktop/login1', parameters)

    def start_polkit(self, allowed=(), allow_unknown=False):
        '''dbusmock's polkitd: denies all but these actions.'''
        mock = self.start_mock('polkitd', 'polkitd', 'org.freedesktop.PolicyKit1',
                               '/org/freedesktop/PolicyKit1/Authority')
        mock.control.SetAllowed(dbus.Array(allowed, signature='s'))
        mock.control.AllowUnknown(allow_unknown)
        return mock

    def spawn(self, name, argv, env=None):
        '''Starts a background process that teardown() will stop; its
        stdout and stderr go to logs/<name>.log.'''
        log_path = os.path.join(self.logs_dir, f'{name}.log')
        with open(log_path, 'ab') as log:
            popen = subprocess.Popen(argv, env=env or self.env, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT)
        process = Process(name, popen, log_path)
        self.processes.append(process)
        return process

    # The fake RTC

    def start_rtc_clock(self, offset=0):
        '''Keeps the fake RTC's since_epoch ticking with the system clock,
        plus `offset` seconds (an RTC kept in local time is off by the UTC
        offset), as a real RTC's does; make_rtc() writes a fixed value.
        Replaced atomically, so readers never see half a number.'''
        check(self._rtc_clock is None, 'the RTC clock is already running')
        path = os.path.join(self.rtc_dir, 'since_epoch')

        def tick():
            last = None
            while True:
                now = int(time.time()) + offset
                if now != last:
                    try:
                        with open(path + '.new', 'w', encoding='ascii') as f:
                            f.write(f'{now}\n')
                        os.replace(path + '.new', path)
                        last = now
                    except OSError:
                        pass  # no RTC (make_rtc(present=False)) for now
                time.sleep(0.02)

        self._rtc_clock = threading.Thread(target=tick, name='rtc-clock', daemon=True)
        self._rtc_clock.start()

    @property
    def rtc_dir(self):
        return os.path.join(self.sysfs_root, 'class', 'rtc', 'rtc0')

    @property
    def wakealarm_path(self):
        return os.path.join(self.rtc_dir, 'wakealarm')

    @property
    def sleep_service_status_path(self):
        return os.path.join(self.root, 'sleep-service-status')

    @property
    def suspend_stats_dir(self):
        return os.path.join(self.sysfs_root, 'power', 'suspend_stats')

    def make_rtc(self, **kwargs):
        '''The fake RTC (fakekernel.make_rtc()).'''
        fakekernel.make_rtc(self, **kwargs)

    def make_hibernation(self, **kwargs):
        '''What a hibernation needs, as the kernel shows it
        (fakekernel.make_hibernation()).'''
        fakekernel.make_hibernation(self, **kwargs)

    # Using the bus

    @property
    def bus(self):
        if self._bus is None:
            self._bus = dbus.bus.BusConnection(self.bus_address)
        return self._bus

    def name_has_owner(self, name):
        try:
            return bool(self.bus.name_has_owner(name))
        except dbus.exceptions.DBusException:
            self._bus = None  # the bus is not up yet: connect again next time
            return False

    def wait_for_name(self, name, process=None, timeout=STARTUP_TIMEOUT):
        def appeared():
            if process is not None and not process.alive():
                raise BedError(f'{process.name} exited with status {process.popen.returncode} '
                               f'before {name} appeared on the bus')
            return self.name_has_owner(name)
        wait_for(appeared, f'{name} on the bus', timeout)

    def iterate_until(self, predicate, what, timeout=STARTUP_TIMEOUT):
        '''Runs the GLib main loop (so D-Bus signal handlers and async
        replies are dispatched) until predicate is true.'''
        context = GLib.MainContext.default()
        deadline = time.monotonic() + timeout
        wakeup = GLib.timeout_add(20, lambda: GLib.SOURCE_CONTINUE)  # to check the deadline
        try:
            while not predicate():
                if time.monotonic() > deadline:
                    raise BedError(f'timed out after {timeout} s waiting for {what}')
                context.iteration(True)
        finally:
            GLib.source_remove(wakeup)

    # Running programs under test

    def run(self, argv, env=None, timeout=60, input_text=None):
        '''Runs a program with the bed's environment plus env; its command
        line, status and output go to the log dumped on failure. The
        timeout is a bound against hangs, not an expectation.'''
        argv = [str(a) for a in argv]
        started = time.monotonic()
        stdin = {} if input_text is not None else {'stdin': subprocess.DEVNULL}
        try:
            result = subprocess.run(argv, env=dict(self.env, **(env or {})), capture_output=True,
                                    text=True, timeout=timeout, input=input_text, check=False,
                                    **stdin)
        except subprocess.TimeoutExpired as e:
            self._log_command(argv, env, 'killed: still running after the bound',
                              time.monotonic() - started, e.stdout, e.stderr)
            raise BedError(f'{argv[0]} did not finish within {timeout} s') from e
        self._log_command(argv, env, f'exit status {result.returncode}',
                          time.monotonic() - started, result.stdout, result.stderr)
        return result

    def run_as(self, uid, argv, **kwargs):
        '''run() as an unprivileged user (uid and gid `uid`, no
        supplementary groups); the bus's directory is opened to it.'''
        os.chmod(self.runtime_dir, 0o711)  # the socket itself is 0666
        return self.run(['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--',
                         *argv], **kwargs)

    def _log_command(self, argv, env, status, duration, stdout, stderr):
        with open(os.path.join(self.logs_dir, 'commands.log'), 'a', encoding='utf-8') as f:
            f.write(f'$ {" ".join(f"{k}={v}" for k, v in (env or {}).items())} {" ".join(argv)}\n'
                    f'# {status} after {duration:.3f} s\n'
                    f'# stdout:\n{stdout or ""}\n# stderr:\n{stderr or ""}\n\n')

    # The end

    def teardown(self):
        '''Mocks first, then the manager (it stops its own units), by PID;
        whatever is still alive after a bounded wait gets SIGKILL. Returns
        the names of those.'''
        if self._bus is not None:
            self._bus.close()
            self._bus = None
        others = [p for p in reversed(self.processes) if p is not self.manager]
        killed = self._stop(others, timeout=5)
        if self.manager is not None:
            killed += self._stop([self.manager], timeout=10)
        self.journal.close()
        return killed

    @staticmethod
    def _stop(processes, timeout):
        for p in processes:
            if p.alive():
                p.popen.terminate()
        deadline = time.monotonic() + timeout
        killed = []
        for p in processes:
            try:
                p.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait()
                killed.append(p.name)
        return killed

    def dump_logs(self, lines=400):
        out = sys.stderr
        for name in sorted(os.listdir(self.logs_dir)):
            with open(os.path.join(self.logs_dir, name), encoding='utf-8', errors='replace') as f:
                content = f.readlines()
            print(f'\n----- testbed log: {name} ({len(content)} lines) -----', file=out)
            if len(content) > lines:
                print(f'[… {len(content) - lines} earlier lines left out]', file=out)
            out.write(''.join(content[-lines:]))
        print('----- end of testbed logs -----', file=out)


_BUS_CONF = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- The test bed's bus, both session and system bus. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <!-- dbus-daemon insists on one; the manager's socket (address=systemd:) is used instead -->
  <listen>unix:path={bus}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{servicedir}</servicedir>
  <policy context="default">
    <!-- any user may connect: tests may run clients as non-root users -->
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <!-- the project's system bus policy, as installed, when meson passes it -->
  {policy}
</busconfig>
'''

_HOSTPMD_DROPIN = '''# The test bed's override of hostpmd.service: which binary runs, and
# where it reads the outcome record. Every hardening setting of the unit
# stays in force.
[Service]
ExecStart=
ExecStart={hostpmd}
# visible even when the build tree is under /tmp (PrivateTmp=yes stays)
BindReadOnlyPaths={hostpmd}
# The helper's transient service records its outcome in its StateDirectory=
# hostpm; a user manager puts that under $XDG_CONFIG_HOME, not /var/lib,
# so hostpmd gets the same one here.
StateDirectory=hostpm
'''

_DBUS_DROPIN = '''# The test bed's bus: our bus.conf, no syslog.
[Service]
ExecStart=
ExecStart={dbus_daemon} --config-file={conf} --address=systemd: --nofork --nopidfile --systemd-activation --nosyslog
'''

_TESTBED_TARGET = '''[Unit]
Description=hostpm test bed
Wants=dbus.socket dbus.service
'''

# what the mock logind runs as systemd-sleep would: its exit status is the
# number in {status} (0 unless the mock is told the image cannot be written)
_SLEEP_SERVICE = '''[Unit]
Description=test bed stand-in for systemd-sleep
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'exit "$(cat {status} 2>/dev/null || echo 0)"'
'''


#
# Entry point
#

def outside_bed(fn):
    '''Marks a case that runs in the caller's namespaces, without a bed of
    its own (self-tests that start and kill beds of their own).'''
    fn.outside_bed = True
    return fn


def main(cases):
    parser = argparse.ArgumentParser(description='Runs one case of this test in the test bed.')
    parser.add_argument('case', nargs='?', help='the case to run')
    parser.add_argument('--list', action='store_true', help='list the cases (meson registers one test each)')
    args = parser.parse_args()
    if args.list or not args.case:
        print('\n'.join(c for c in cases if not c.startswith('_')))  # _cases are helpers
        sys.exit(0 if args.list else 2)
    if args.case not in cases:
        print(f'unknown case {args.case!r}; expected one of: {", ".join(cases)}', file=sys.stderr)
        sys.exit(2)

    case_fn = cases[args.case]
    if getattr(case_fn, 'outside_bed', False):
        try:
            case_fn()
            sys.exit(0)
        except Skip as e:
            sys.exit(isolation.skip(str(e)))
    if os.environ.get('HOSTPM_TESTBED_INNER') == '1':
        sys.exit(isolation.run_inner(case_fn, _make_bed))
    sys.exit(isolation.run_outer(os.path.abspath(sys.argv[0]), args.case))


def _make_bed(root, bed_id):
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    return TestBed(root, bed_id)
