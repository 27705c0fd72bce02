'''A real Slurm cluster whose nodes sleep through hostpm, for the slurm
suite (DESIGN.md, "Clusters (Slurm power saving)").

Debian's slurmctld, slurmd and munged run as they would on real machines,
each host in namespaces of its own (hosts.py) on one bridge:

  ctl     slurmctld (as SlurmUser "slurm", which runs hostpm's power
          programs), munged; the programs' configuration in /etc/hostpm
          and their records in /var/lib/hostpm, both bound from the bed
  nodeN   a hostpm test bed (clusternode.py): a systemd --user manager
          running the node's bus, hostpmd D-Bus activated from the
          project's unit, a logind mock that sleeps until the fake RTC's
          alarm or a magic packet on eth0, a polkit mock; sshd (key only)
          through which the power programs reach the node's bus, as
          `hostpm-suspend -H` does; slurmd as a unit of the node's manager,
          with hostpm's rejoin unit and drop-in installed as on a real node

Every host sees the same /etc/passwd (SlurmUser with a shell and a home for
its ssh key), /etc/hosts and /etc/slurm, bound over its own view of /etc.
The files live under /run/hostpm-testbed, on the test's private /run.

Slurm's commands are run inside the controller (cluster.slurm(...)), since
the cluster's addresses exist only inside its namespaces.
'''

import concurrent.futures
import json
import os
import pwd
import shutil
import subprocess
import time

import clusternode
import hosts
import testbed
from testbed import BedError, check, wait_for

SLURM_USER = 'slurm'
MUNGE_USER = 'munge'
CONTROLLER = 'ctl'
# The power programs as slurm.conf names them (slurmctld checks they are
# executable by SlurmUser and writable by nobody else).
PROGRAMS = {'SuspendProgram': 'slurm-suspend', 'ResumeProgram': 'slurm-resume',
            'ResumeFailProgram': 'slurm-resume-fail'}

SLURM_CONF = '''# The slurm suite's cluster (tests/slurm/cluster.py)
ClusterName=hostpm
SlurmctldHost={controller}({controller_address})
SlurmUser={user}
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
ReturnToService=2
StateSaveLocation={state}
SlurmctldPidFile={state}/slurmctld.pid
SlurmdSpoolDir={hosts}/%n/slurmd-spool
SlurmdPidFile={hosts}/%n/slurmd.pid
SlurmctldDebug=debug
SlurmdDebug=debug
DebugFlags=Power
InactiveLimit=0
KillWait=5
MinJobAge=300
# Power saving through hostpm
SuspendProgram={libexec}/slurm-suspend
ResumeProgram={libexec}/slurm-resume
ResumeFailProgram={libexec}/slurm-resume-fail
SuspendTime={suspend_time}
SuspendTimeout={suspend_timeout}
ResumeTimeout={resume_timeout}
SuspendRate=0
ResumeRate=0
SlurmctldParameters=idle_on_node_suspend,power_save_interval=1,power_save_min_interval=0
{nodes}
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
'''


def missing_programs():
    """What this machine lacks to run the cluster."""
    return [p for p in ('/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/scontrol', '/usr/bin/srun',
                        '/usr/sbin/munged', '/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/systemd-stdio-bridge',
                        '/usr/bin/nsenter', '/usr/sbin/ip') if not os.access(p, os.X_OK)]


def installed(variable):
    """Where meson's options install a file (meson passes it), which the
    test then installs there inside a host."""
    path = os.environ.get(variable)
    if not path or not path.startswith('/'):
        raise BedError(f'{variable} is not set to an absolute path: run this through meson test')
    return path


class Cluster:
    '''What isolation.run_inner() gives a slurm case: start() it, then use
    slurm(), node_states(), the nodes and the controller's journal.'''

    def __init__(self, root, bed_id):
        # The controller's bed: the fake journal at /run/systemd/journal
        # (where the power programs log), the logs, run().
        self.bed = testbed.TestBed(root, bed_id)
        # as journald's: the power programs log as SlurmUser
        for socket_name in ('socket', 'stdout'):
            os.chmod(os.path.join('/run/systemd/journal', socket_name), 0o666)
        os.chmod(root, 0o755)  # SlurmUser and munge reach their files (HOSTPM_TESTBED_KEEP: 0700)
        self.root = root
        self.bed_id = bed_id
        self.dir = self.bed._dir('cluster')
        self.network = hosts.Network(os.path.join(root, 'ns'))
        self.controller = None
        self.nodes = {}
        self.slurmctld = None
        self.state_dir = None  # the controller's records, from the test's view
        self.libexec = None
        self._last_states = {}
        self.started = None

    # Setting up

    def start(self, nodes=3, suspend_time=0, suspend_timeout=15, resume_timeout=60,
              hostpm_slurm_conf='', node_options=None, booting=None):
        '''The whole cluster, up: every node registered with slurmctld.
        node_options: {name: keyword arguments of clusternode.Node.start()};
        booting: how many nodes boot at once (default: all; a large cluster
        on this machine's two CPUs boots in batches, or its mocks miss
        their start-up bound).'''
        self.started = time.monotonic()
        names = [f'node{i}' for i in range(1, nodes + 1)]
        # systemd's FreezeUnit() (the logind mock freezes slurmd while a node
        # sleeps) needs the freezer it finds at <cgroup root>/init.scope
        os.makedirs('/sys/fs/cgroup/init.scope', exist_ok=True)
        self._install_programs()
        self.network.setup()
        self.controller = self.network.host(CONTROLLER, 1)
        for i, name in enumerate(names):
            self.nodes[name] = clusternode.Node(self, self.network.host(name, 11 + i))
        self._write_shared_files(suspend_time, suspend_timeout, resume_timeout)
        self._prepare_controller(hostpm_slurm_conf)
        for host in [self.controller] + [n.host for n in self.nodes.values()]:
            host.make()
            self.network.connect(host)
        self._start_munge()
        self._start_slurmctld()
        # The nodes boot side by side, as machines do; each bed has its own
        # bus connection, so their blocking waits do not meet.
        with concurrent.futures.ThreadPoolExecutor(max_workers=booting or len(self.nodes)) as pool:
            starts = [pool.submit(node.start, **(node_options or {}).get(name, {}))
                      for name, node in self.nodes.items()]
            for f in starts:
                f.result()
        self.wait_for_nodes(lambda s: 'IDLE' in s or 'POWERED_DOWN' in s or 'POWERING_DOWN' in s,
                            'every node registered with slurmctld', names)
        return self

    def path(self, *relative):
        return os.path.join(self.dir, *relative)

    def _install_programs(self):
        """hostpm-slurm as `meson install` lays it out (the program and its
        names as symlinks, root's, mode 0755: slurmctld refuses programs
        others may write), installed on the controller by _prepare_controller()."""
        self.libexec = self.bed._dir('cluster/ctl-libexec-hostpm')
        target = os.path.join(self.libexec, 'hostpm-slurm')
        shutil.copy(self.bed.artifact('HOSTPM_SLURM'), target)
        os.chmod(target, 0o755)
        for name in PROGRAMS.values():
            os.symlink('hostpm-slurm', os.path.join(self.libexec, name))

    def _write_shared_files(self, suspend_time, suspend_timeout, resume_timeout):
        slurm = pwd.getpwnam(SLURM_USER)
        home = self.bed._dir('slurm-home', 0o755)
        # SlurmUser with a shell (sshd runs the bus bridge through it) and a
        # home for its ssh key; the rest of /etc/passwd as it is.
        with open('/etc/passwd', encoding='utf-8') as f:
            lines = [line for line in f if not line.startswith(f'{SLURM_USER}:')]
        lines.append(f'{SLURM_USER}:x:{slurm.pw_uid}:{slurm.pw_gid}:Slurm:{home}:/bin/sh\n')
        self._write('etc-passwd', ''.join(lines))
        # not locked: sshd without PAM refuses a locked account
        with open('/etc/shadow', encoding='utf-8') as f:
            lines = [line for line in f if not line.startswith(f'{SLURM_USER}:')]
        lines.append(f'{SLURM_USER}:*:20000:0:99999:7:::\n')
        self._write('etc-shadow', ''.join(lines), 0o640)
        all_hosts = [self.controller] + [n.host for n in self.nodes.values()]
        self._write('etc-hosts', '127.0.0.1 localhost\n' +
                    ''.join(f'{h.address} {h.name}\n' for h in all_hosts))

        etc_slurm = self.bed._dir('cluster/etc-slurm')
        nodes = '\n'.join(f'NodeName={n.name} NodeAddr={n.host.address} '
                          f'CPUs={os.cpu_count()} State=UNKNOWN'
                          for n in self.nodes.values())
        state = self.bed._dir('cluster/slurmctld-state')
        os.chown(state, slurm.pw_uid, slurm.pw_gid)
        with open(os.path.join(etc_slurm, 'slurm.conf'), 'w', encoding='utf-8') as f:
            f.write(SLURM_CONF.format(controller=CONTROLLER, controller_address=self.controller.address,
                                      user=SLURM_USER, state=state, logs=self.bed.logs_dir,
                                      hosts=self.path('hosts'), nodes=nodes,
                                      libexec=installed('HOSTPM_SLURM_LIBEXECDIR'),
                                      suspend_time=suspend_time, suspend_timeout=suspend_timeout,
                                      resume_timeout=resume_timeout))
        # slurmd 22.05 always loads a cgroup plugin; "autodetect" and
        # cgroup/v2 stop at a machine that also mounts v1 hierarchies
        # ("Hybrid mode is not supported"). proctrack/linuxproc and
        # task/none use no cgroup, so v1 gets an empty directory of its own.
        cgroup_v1 = self.bed._dir('cluster/cgroup-v1')
        with open(os.path.join(etc_slurm, 'cgroup.conf'), 'w', encoding='utf-8') as f:
            f.write(f'CgroupPlugin=cgroup/v1\nCgroupMountpoint={cgroup_v1}\nCgroupAutomount=no\n')
        os.chmod(self.bed.logs_dir, 0o777)  # slurmctld logs as SlurmUser

        for host in all_hosts:
            host.bind('/etc/passwd', self.path('etc-passwd'))
            host.bind('/etc/shadow', self.path('etc-shadow'))
            host.bind('/etc/hosts', self.path('etc-hosts'))
            host.bind('/etc/slurm', etc_slurm)
        self._make_ssh_keys(home, slurm)

    def _make_ssh_keys(self, home, slurm):
        '''SlurmUser's key, authorized on every node; one host key for all
        nodes, known to SlurmUser under every node name.'''
        ssh_dir = self.bed._dir('slurm-home/.ssh', 0o700)
        key = os.path.join(ssh_dir, 'id_ed25519')
        host_key = self.path('ssh_host_ed25519_key')
        for path in (key, host_key):
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'hostpm-slurm-test',
                            '-f', path], check=True, capture_output=True)
        shutil.copy(key + '.pub', self.path('authorized_keys'))
        with open(host_key + '.pub', encoding='ascii') as f:
            host_public = ' '.join(f.read().split()[:2])
        names = ','.join(f'{n.name},{n.host.address}' for n in self.nodes.values())
        with open(os.path.join(ssh_dir, 'known_hosts'), 'w', encoding='ascii') as f:
            f.write(f'{names} {host_public}\n')
        # What a site puts in SlurmUser's ssh config (hostpm-slurm(8)).
        with open(os.path.join(ssh_dir, 'config'), 'w', encoding='ascii') as f:
            f.write('Host *\n  BatchMode yes\n  ConnectTimeout 10\n  StrictHostKeyChecking yes\n')
        for dirpath, _dirs, files in os.walk(home):
            os.chown(dirpath, slurm.pw_uid, slurm.pw_gid)
            for name in files:
                os.chown(os.path.join(dirpath, name), slurm.pw_uid, slurm.pw_gid)
        os.chmod(self.path('etc-passwd'), 0o644)
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)

    def _prepare_controller(self, hostpm_slurm_conf):
        """hostpm-slurm installed on the controller where meson's options
        put it: the programs, the hostpm-suspend they run, the configuration
        file, the records' directory (SlurmUser's, as tmpfiles.d makes it)."""
        slurm = pwd.getpwnam(SLURM_USER)
        config = self.path('hostpm-slurm.conf')
        with open(config, 'w', encoding='utf-8') as f:
            f.write(hostpm_slurm_conf)
        self.state_dir = self.bed._dir('cluster/ctl-hostpm-slurm-records', 0o750)
        os.chown(self.state_dir, slurm.pw_uid, slurm.pw_gid)
        ctl = self.controller
        ctl.install(installed('HOSTPM_SLURM_LIBEXECDIR'), self.libexec)
        ctl.install(installed('HOSTPM_SLURM_CLI'), self.bed.artifact('HOSTPM_SUSPEND'))
        ctl.install(installed('HOSTPM_SLURM_CONFIG'), config)
        ctl.install(installed('HOSTPM_SLURM_STATE_DIR'), self.state_dir)

    def _write(self, name, content, mode=0o644):
        with open(self.path(name), 'w', encoding='utf-8') as f:
            f.write(content)
        os.chmod(self.path(name), mode)

    def _start_munge(self):
        '''One munged for the cluster: its socket in /run/munge, which every
        host sees (the hosts share the test's /run). Every host's daemons
        would share its key anyway.'''
        munge = pwd.getpwnam(MUNGE_USER)
        key_dir = self.bed._dir('cluster/munge', 0o700)
        with open(os.path.join(key_dir, 'munge.key'), 'wb') as f:
            f.write(os.urandom(1024))
        os.chmod(os.path.join(key_dir, 'munge.key'), 0o400)
        os.makedirs('/run/munge', mode=0o755, exist_ok=True)
        for path in (key_dir, os.path.join(key_dir, 'munge.key'), '/run/munge'):
            os.chown(path, munge.pw_uid, munge.pw_gid)
        self.bed.spawn('munged', self.controller.nsenter([
            'setpriv', f'--reuid={munge.pw_uid}', f'--regid={munge.pw_gid}', '--clear-groups', '--',
            'munged', '--foreground', '--force', f'--key-file={key_dir}/munge.key',
            '--socket=/run/munge/munge.socket.2', f'--pid-file={key_dir}/munged.pid',
            f'--seed-file={key_dir}/munged.seed', f'--log-file={self.bed.logs_dir}/munged-file.log']))
        wait_for(lambda: os.path.exists('/run/munge/munge.socket.2'), 'munged\'s socket')

    def _start_slurmctld(self):
        self.slurmctld = self.bed.spawn('slurmctld', self.controller.nsenter(['slurmctld', '-D', '-i']))

        def up():
            if not self.slurmctld.alive():
                raise BedError(f'slurmctld exited with status {self.slurmctld.popen.returncode}')
            return self.slurm('scontrol', 'ping', check_status=False).returncode == 0
        wait_for(up, 'slurmctld to answer', timeout=30, interval=0.1)

    # Using it

    def slurm(self, *argv, check_status=True, timeout=30):
        '''A Slurm command run on the controller, as root.'''
        r = self.bed.run(self.controller.nsenter(argv), timeout=timeout)
        if check_status:
            check(r.returncode == 0, f'{" ".join(argv)} failed with status {r.returncode}: {r.stderr}')
        return r

    def node_info(self):
        """{node: {field: value}} from `scontrol show nodes -o` (polled:
        not in commands.log; states.log has every change)."""
        r = subprocess.run(self.controller.nsenter(['scontrol', 'show', 'nodes', '-o']), capture_output=True,
                           text=True, timeout=30, check=False)
        check(r.returncode == 0, f'scontrol show nodes failed with status {r.returncode}: {r.stderr}')
        nodes = {}
        for line in r.stdout.splitlines():
            fields = {}
            key = None
            for word in line.split(' '):
                k, sep, v = word.partition('=')
                if sep and k.isalnum():
                    key = k
                    fields[key] = v
                elif key is not None:  # a value with spaces (Reason=...)
                    fields[key] += ' ' + word
            if 'NodeName' in fields:
                nodes[fields['NodeName']] = fields
        return nodes

    def node_states(self):
        """{node: set of state words}, e.g. {'IDLE', 'POWERED_DOWN'}."""
        states = {name: set(n['State'].split('+')) for name, n in self.node_info().items()}
        for name, words in states.items():
            if self._last_states.get(name) != words:
                self._last_states[name] = words
                with open(os.path.join(self.bed.logs_dir, 'states.log'), 'a', encoding='utf-8') as f:
                    f.write(f'{time.time():.3f} {name} {"+".join(sorted(words))}\n')
        return states

    def wait_for_nodes(self, predicate, what, names, timeout=60, history=None):
        '''Until predicate(state words) holds for every node of names; each
        state seen is appended to history[node] if given.'''
        def reached():
            states = self.node_states()
            if history is not None:
                for name, words in states.items():
                    if not history.setdefault(name, []) or history[name][-1] != words:
                        history[name].append(words)
            return all(predicate(states[n]) for n in names)
        return wait_for(reached, what, timeout=timeout, interval=0.2)

    def records(self, name):
        '''The controller's hostpm record of a node, or None.'''
        try:
            with open(os.path.join(self.state_dir, f'{name}.json'), encoding='utf-8') as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    # The end

    def teardown(self):
        killed = []
        # slurmctld first: no power program may start on a cluster going away
        if self.slurmctld is not None and self.slurmctld.alive():
            killed += self.bed._stop([self.slurmctld], timeout=10)
        for node in self.nodes.values():
            killed += node.teardown()
        killed += self.bed.teardown()
        problems = self.network.teardown()
        for p in problems:
            print(f'cluster: teardown: {p}')
        if problems:
            raise BedError('the cluster left namespaces behind: ' + '; '.join(problems))
        return killed

    def dump_logs(self):
        self.bed.dump_logs()
        for name, node in self.nodes.items():
            print(f'\n===== {name} =====', flush=True)
            node.bed.dump_logs()


def make(root, bed_id):
    import dbus.mainloop.glib  # pylint: disable=import-outside-toplevel
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    return Cluster(root, bed_id)
