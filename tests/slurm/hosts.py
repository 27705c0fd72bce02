'''The machines of the test cluster: each one a set of persistent network,
UTS and mount namespaces, on a switch that is itself a network namespace.

    switch (netns "hostpm-switch"): bridge br0, one veth end per host
      ├── ctl     10.251.0.1   slurmctld, munged, the power programs
      ├── node1   10.251.0.11  sshd, a test bed (bus, hostpmd, logind and
      ├── node2   10.251.0.12  polkit mocks, fake RTC), slurmd
      └── …

Every address lives on a veth inside these namespaces: nothing is added to
the network namespace the test started in, and nothing leaves the bridge.
Each network namespace is bound to /run/netns/NAME (the test's private
/run); a host's UTS and mount namespaces are held by an anchor process. A
process enters a host with nsenter(1) (not `ip netns exec`, which remounts
/sys and hides /sys/fs/cgroup, where slurmd's cgroup plugin dies). If the
test dies, its mount namespace goes, and with it every binding, namespace
and veth; teardown() also removes them one by one, and says if one stays.
'''

import os
import subprocess

SWITCH = 'hostpm-switch'
BRIDGE = 'br0'
SUBNET = '10.251.0'
PREFIX = 24
BROADCAST = f'{SUBNET}.255'
NETNS_DIR = '/run/netns'  # where ip(8) -n NAME looks


def _run(argv, what):
    r = subprocess.run(argv, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f'{what} failed ({" ".join(argv)}): {r.stderr.strip() or r.stdout.strip()}')
    return r.stdout


class Host:
    '''One machine: hostname, address, MAC on its eth0, its namespaces, and
    the files bind-mounted over its view of the file system (target →
    source), applied when the mount namespace is made.'''

    def __init__(self, name, number, ns_root):
        self.name = name
        self.number = number
        self.address = f'{SUBNET}.{number}'
        self.mac = f'02:68:70:6d:00:{number:02x}'  # locally administered
        self.ns_dir = os.path.join(ns_root, name)
        self.netns = os.path.join(NETNS_DIR, name)
        self.binds = {}
        self.overlays = []
        self.tmpfs = []
        self.made = False
        self.anchor = None  # the process that holds the UTS and mount namespaces

    def nsenter(self, argv):
        '''argv, run inside this host.'''
        return ['nsenter', f'--target={self.anchor.pid}', '--net', '--uts', '--mount', '--',
                *[str(a) for a in argv]]

    def bind(self, target, source):
        '''source bound over target in this host's view. A target that does
        not exist must be inside an overlay(): it is made there, never on
        the machine's own file system.'''
        assert not self.made, 'bindings are applied when the namespaces are made'
        if not os.path.exists(target) and not any(target.startswith(o + '/') for o in self.overlays):
            raise RuntimeError(f'{target} does not exist: overlay() its parent to make it in {self.name} only')
        self.binds[target] = source

    def overlay(self, directory):
        '''A writable layer over directory in this host's view, so that
        files and directories can be made there without touching the
        machine's own.'''
        assert not self.made
        if not any(directory == o or directory.startswith(o + '/') for o in self.overlays):
            self.overlays.append(directory)

    def private(self, directory):
        '''An empty tmpfs over directory in this host's view (its /tmp:
        what units leave there goes with the host).'''
        assert not self.made
        self.tmpfs.append(directory)

    def install(self, target, source):
        '''source at target in this host's view, as if installed there:
        the nearest directory above it that exists is overlaid.'''
        existing = os.path.dirname(target)
        while not os.path.isdir(existing):
            existing = os.path.dirname(existing)
        self.overlay(existing)
        self.bind(target, source)

    def make(self):
        """The network namespace (bound to /run/netns/NAME, for ip -n), and
        UTS and mount namespaces held by an anchor process: a mount
        namespace bound to a file trips the kernel's loop check now and
        then (its ids need not grow with creation order on newer kernels)."""
        os.makedirs(self.ns_dir, exist_ok=True)
        open(self.netns, 'w', encoding='ascii').close()
        _run(['unshare', f'--net={self.netns}', 'ip', 'link', 'set', 'lo', 'up'],
             f'making the network namespace of {self.name}')
        script = ['set -e', f'hostname {self.name}']
        script += [f"mount -t tmpfs -o mode=1777 tmpfs '{d}'" for d in self.tmpfs]
        for i, directory in enumerate(self.overlays):
            upper, work = (os.path.join(self.ns_dir, f'overlay{i}-{x}') for x in ('upper', 'work'))
            os.makedirs(upper)
            os.makedirs(work)
            script.append(f"mount -t overlay overlay -o 'lowerdir={directory},upperdir={upper},"
                          f"workdir={work}' '{directory}'")
        for target, source in self.binds.items():
            kind = 'mkdir' if os.path.isdir(source) else 'touch'
            script.append(f"[ -e '{target}' ] || {{ mkdir -p '{os.path.dirname(target)}' && {kind} '{target}'; }}")
            script.append(f"mount --bind '{source}' '{target}'")
        script += ['echo ready', 'exec sleep infinity']
        log_path = os.path.join(self.ns_dir, 'anchor.log')
        with open(log_path, 'w', encoding='utf-8') as log:
            # pylint: disable=consider-using-with  (teardown ends it)
            self.anchor = subprocess.Popen(['nsenter', f'--net={self.netns}', 'unshare', '--uts', '--mount',
                                            '--propagation', 'private', '/bin/sh', '-c', '\n'.join(script)],
                                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
        line = self.anchor.stdout.readline()
        if line != b'ready\n':
            self.anchor.wait()
            with open(log_path, encoding='utf-8') as f:
                raise RuntimeError(f'making the namespaces of {self.name} failed: {f.read().strip()}')
        self.made = True

    def destroy(self):
        """Ends the anchor and unbinds the network namespace; the kernel
        frees the namespaces (and the veth) once no process is left in them."""
        problems = []
        if self.anchor is not None:
            self.anchor.kill()
            self.anchor.wait()
            self.anchor.stdout.close()
            self.anchor = None
        if os.path.exists(self.netns):
            r = subprocess.run(['umount', self.netns], capture_output=True, text=True, check=False)
            if r.returncode != 0 and 'not mounted' not in r.stderr:
                problems.append(f'umount {self.netns}: {r.stderr.strip()}')
            try:
                os.unlink(self.netns)
            except OSError as e:
                problems.append(f'rm {self.netns}: {e}')
        self.made = False
        return problems


class Network:
    '''The switch and the veths from it to every host.'''

    def __init__(self, ns_root):
        self.ns_root = ns_root
        self.switch = os.path.join(NETNS_DIR, SWITCH)
        self.hosts = []

    def setup(self):
        os.makedirs(NETNS_DIR, exist_ok=True)
        os.makedirs(self.ns_root, exist_ok=True)
        open(self.switch, 'w', encoding='ascii').close()
        _run(['unshare', f'--net={self.switch}', 'true'], 'making the switch')
        _run(['ip', '-n', SWITCH, 'link', 'add', BRIDGE, 'type', 'bridge'], 'adding the bridge')
        _run(['ip', '-n', SWITCH, 'link', 'set', BRIDGE, 'up'], 'bringing up the bridge')

    def host(self, name, number):
        host = Host(name, number, self.ns_root)
        self.hosts.append(host)
        return host

    def connect(self, host):
        '''A veth from the bridge to the host's eth0, with its MAC and address.'''
        port = f'p-{host.name}'[:15]
        _run(['ip', '-n', SWITCH, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0',
              'netns', host.name], f'adding the veth of {host.name}')
        _run(['ip', '-n', SWITCH, 'link', 'set', port, 'master', BRIDGE, 'up'], f'plugging {port}')
        _run(['ip', '-n', host.name, 'link', 'set', 'eth0', 'address', host.mac, 'up'],
             f'bringing up eth0 of {host.name}')
        _run(['ip', '-n', host.name, 'addr', 'add', f'{host.address}/{PREFIX}', 'brd', BROADCAST,
              'dev', 'eth0'], f'addressing {host.name}')

    def teardown(self):
        problems = []
        for host in self.hosts:
            problems += host.destroy()
        if os.path.exists(self.switch):
            r = subprocess.run(['umount', self.switch], capture_output=True, text=True, check=False)
            if r.returncode != 0:
                problems.append(f'umount {self.switch}: {r.stderr.strip()}')
            os.unlink(self.switch)
        left = [n for n in os.listdir(NETNS_DIR)] if os.path.isdir(NETNS_DIR) else []
        if left:
            problems.append(f'network namespaces left in {NETNS_DIR}: {", ".join(left)}')
        return problems
