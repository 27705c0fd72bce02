'''One compute node of the test cluster (cluster.py): a hostpm test bed
(testbed.py) whose every process runs inside the node's namespaces, plus
sshd and slurmd.

  bus       the bed's, also at /run/dbus/system_bus_socket in the node's
            view, where systemd-stdio-bridge (run by sshd for `ssh node
            systemd-stdio-bridge`, sd-bus's remote transport) looks for it
  hostpmd   D-Bus activated from the project's unit, as in every bed
  logind    the bed's mock; its simulated sleep ends at the fake RTC's alarm
            or when a magic packet for eth0's MAC reaches eth0; afterwards it
            starts suspend.target, as systemd does after a resume
  polkit    the real polkitd, reading hostpm's action file and the example
            rule data/slurm/60-hostpm-slurm.rules (bound over
            /usr/share/polkit-1/actions and /etc/polkit-1/rules.d in the
            node's view)
  slurmd    Debian's slurmd.service, run by the node's manager, with
            hostpm's drop-in; hostpm's rejoin unit is wanted by
            suspend.target, as `systemctl enable` makes it on a real node
  journal   the node's own fake journal, at /run/systemd/journal in its view
  netinfo   hostpm-netinfo.socket in the node's manager, at /run/hostpm in
            its view: the node's interfaces in its capabilities

Each node's manager runs in a cgroup of its own below the test's.
'''

import os
import shutil

import sshbed
import testbed
from testbed import wait_for

SLURMD_UNIT = '/lib/systemd/system/slurmd.service'
POLKITD = '/usr/lib/polkit-1/polkitd'
NODE_HOSTPM_CONF = '[Suspend]\nWakeOnLanInterfaces=eth0\n'
SUSPEND_TARGET = '''[Unit]
Description=Suspend (the test bed's: its logind mock starts it after a simulated sleep)
StopWhenUnneeded=yes
'''


class NodeBed(testbed.TestBed):
    '''A test bed whose processes run inside a cluster node.'''

    def __init__(self, node, bed_id):
        self.node = node
        journal = os.path.join(node.dir, 'journal')
        os.makedirs(journal, exist_ok=True)
        super().__init__(os.path.join(node.dir, 'bed'), bed_id, journal_dir=journal)

    def spawn(self, name, argv, env=None):
        cgroup = f'/sys/fs/cgroup/{self.node.name}/cgroup.procs'
        wrapped = ['/bin/sh', '-c', f'echo 0 >{cgroup} && exec "$@"', 'sh', *argv]
        return super().spawn(name, self.node.host.nsenter(wrapped), env)

    def run(self, argv, env=None, timeout=60, input_text=None):
        return super().run(self.node.host.nsenter(argv), env=env, timeout=timeout,
                           input_text=input_text)


class Node:
    def __init__(self, cluster, host):
        # pylint: disable=import-outside-toplevel
        from cluster import installed
        self.cluster = cluster
        self.host = host
        self.name = host.name
        self.dir = os.path.join(cluster.dir, 'hosts', host.name)
        os.makedirs(os.path.join(self.dir, 'slurmd-spool'), exist_ok=True)
        self.bed = NodeBed(self, cluster.bed_id)
        os.makedirs(f'/sys/fs/cgroup/{self.name}', exist_ok=True)
        # the node's view: its bus where systemd-stdio-bridge looks, its journal
        dbus_dir = os.path.join(self.dir, 'run-dbus')
        os.makedirs(dbus_dir, exist_ok=True)
        os.symlink(f'{self.bed.runtime_dir}/bus', os.path.join(dbus_dir, 'system_bus_socket'))
        os.makedirs('/run/dbus', exist_ok=True)
        host.bind('/run/dbus', dbus_dir)
        host.bind('/run/systemd/journal', os.path.join(self.dir, 'journal'))
        # each node's own hostpm-netinfo.socket (/run/hostpm/netinfo): the
        # hosts share the test's /run, and a node must not read another's
        # interfaces
        os.makedirs(os.path.join(self.dir, 'run-hostpm'), exist_ok=True)
        os.makedirs('/run/hostpm', exist_ok=True)
        host.bind('/run/hostpm', os.path.join(self.dir, 'run-hostpm'))
        host.install(os.path.join(installed('HOSTPM_SLURM_LIBEXECDIR'), 'slurmd-rejoin'),
                     self.bed.artifact('HOSTPM_SLURMD_REJOIN'))
        # the real polkitd's view: hostpm's actions, and the example rule
        # that grants SlurmUser the suspend, as an admin installs them
        actions = os.path.join(self.dir, 'polkit-actions')
        rules = os.path.join(self.dir, 'polkit-rules')
        for d in (actions, rules):
            os.makedirs(d, exist_ok=True)
        shutil.copy(self.bed.path('polkit', 'org.hostpm1.policy'), actions)
        self.polkit_rules = rules
        host.bind('/usr/share/polkit-1/actions', actions)
        host.bind('/etc/polkit-1/rules.d', rules)
        # A /tmp of its own, so that what the node's units leave there (the
        # PrivateTmp= directories of a unit killed at teardown) goes with
        # it; not when the build tree is in /tmp, which it would hide.
        if not any(os.environ.get(v, '').startswith('/tmp/') for v in ('HOSTPMD', 'HOSTPM_SLEEP', 'HOSTPM_NETINFO')):
            host.private('/tmp')
        self.sshd = None

    @property
    def logind(self):
        return self.bed.mocks['logind']

    def start(self, logind=None, polkit='polkitd', hostpm_conf=None, rtc=None):
        '''logind: extra parameters of the logind mock; polkit: 'polkitd'
        (the real one, with hostpm's example rule for SlurmUser),
        'polkitd-without-rule', or the actions the polkit mock allows;
        hostpm_conf: the node's hostpm.conf; rtc: arguments of the bed's
        make_rtc().'''
        bed = self.bed
        with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
            # hostpm-sleep arms eth0 for magic-packet wake (a veth cannot:
            # that is logged, and the RTC alarm still guarantees the wake)
            f.write(hostpm_conf if hostpm_conf is not None else NODE_HOSTPM_CONF)
        bed.make_rtc(**(rtc or {}))
        bed.start_rtc_clock()
        bed.install_hostpmd()
        sshbed.install_netinfo(bed)  # the interfaces in the capabilities
        self._install_slurm_units()
        bed.start_manager()
        os.chmod(bed.runtime_dir, 0o711)  # SlurmUser reaches the bus through ssh
        # asleep, slurmd is silent, as on a real node
        parameters = {'MagicPacketInterface': 'eth0', 'ResumeUnit': 'suspend.target',
                      'FreezeUnits': ['slurmd.service'], 'SleepMaxSec': 24 * 3600}
        parameters.update(logind or {})
        bed.start_logind(**parameters)
        if polkit in ('polkitd', 'polkitd-without-rule'):
            if polkit == 'polkitd':
                shutil.copy(self.bed.artifact('HOSTPM_SLURM_POLKIT_RULES'), self.polkit_rules)
            self._start_polkitd()
        elif polkit is not None:
            bed.start_polkit(allowed=list(polkit))
        self._start_sshd()
        r = bed.run(['systemctl', 'start', 'slurmd.service'])
        testbed.check(r.returncode == 0, f'starting slurmd on {self.name}: {r.stderr}')

    def _install_slurm_units(self):
        '''slurmd's unit from Debian, hostpm's drop-in for it and the rejoin
        unit from the build, enabled as `systemctl enable` would.'''
        units = self.bed.unit_dir
        shutil.copy(SLURMD_UNIT, os.path.join(units, 'slurmd.service'))
        dropin_dir = os.path.join(units, 'slurmd.service.d')
        os.makedirs(dropin_dir, exist_ok=True)
        shutil.copy(self.bed.artifact('HOSTPM_SLURMD_DROPIN'), os.path.join(dropin_dir, 'hostpm-slurm.conf'))
        rejoin = os.path.basename(self.bed.artifact('HOSTPM_SLURM_REJOIN_UNIT'))
        shutil.copy(self.bed.artifact('HOSTPM_SLURM_REJOIN_UNIT'), os.path.join(units, rejoin))
        # the script it runs, where the unit expects it
        with open(os.path.join(units, 'suspend.target'), 'w', encoding='utf-8') as f:
            f.write(SUSPEND_TARGET)
        wants = os.path.join(units, 'suspend.target.wants')
        os.makedirs(wants, exist_ok=True)
        os.symlink(os.path.join(units, rejoin), os.path.join(wants, rejoin))

    def _start_polkitd(self):
        process = self.bed.spawn('polkitd', [POLKITD, '--no-debug'])
        self.bed.wait_for_name('org.freedesktop.PolicyKit1', process)

    def _start_sshd(self):
        config = os.path.join(self.dir, 'sshd_config')
        with open(config, 'w', encoding='ascii') as f:
            f.write(f'''# a node's sshd: key only, SlurmUser only
ListenAddress {self.host.address}
HostKey {self.cluster.path('ssh_host_ed25519_key')}
PidFile none
UsePAM no
PermitRootLogin no
AllowUsers slurm
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile {self.cluster.path('authorized_keys')}
StrictModes no
LogLevel VERBOSE
''')
        self.sshd = self.bed.spawn('sshd', ['/usr/sbin/sshd', '-D', '-e', '-f', config])

        def listening():
            if not self.sshd.alive():
                raise testbed.BedError(f'sshd of {self.name} exited with status {self.sshd.popen.returncode}')
            r = self.bed.run(['ss', '-Hltn', f'src {self.host.address}:22'])
            return r.stdout.strip() != ''
        wait_for(listening, f'sshd of {self.name} to listen', interval=0.05)

    def sleeps(self):
        '''The logind mock's simulated sleeps: [(verb, start, end, by_alarm)].'''
        return [tuple(s) for s in self.logind.control.GetSleeps()]

    def sleep_calls(self):
        return [tuple(c) for c in self.logind.control.GetSleepCalls()]

    def magic_packets(self):
        '''[(time, asleep, woke)] for every magic packet to this node's MAC.'''
        return [tuple(p) for p in self.logind.control.GetMagicPackets()]

    def hostpm(self, name):
        '''A property of the node's hostpmd.'''
        obj = self.bed.bus.get_object('org.hostpm1', '/org/hostpm1')
        return obj.Get('org.hostpm1.Manager', name, dbus_interface='org.freedesktop.DBus.Properties')

    def wakealarm(self):
        with open(self.bed.wakealarm_path, encoding='ascii') as f:
            return f.read().strip()

    def teardown(self):
        '''A node still asleep is woken first: hostpm-sleep rightly ignores
        SIGTERM until it has seen the resume, and the manager would wait
        for it.'''
        if 'logind' in self.bed.mocks and self.bed.mocks['logind'].process.alive():
            try:
                self.logind.control.WakeUp()
                testbed.wait_for(lambda: not self._helper_running(), f'hostpm-sleep on {self.name} to end',
                                 timeout=10)
            except Exception as e:  # pylint: disable=broad-except
                print(f'{self.name}: could not wake before teardown: {e}', flush=True)
        return self.bed.teardown()

    def _helper_running(self):
        r = self.bed.run(['systemctl', 'is-active', '--quiet', 'hostpm-suspend.service'])
        return r.returncode == 0
