'''The bed's own network (tests/integration/test-hosts.py, bench/fanout.py):
a network namespace of the bed's own; the bed as a set of SSH hosts (an sshd
in it with a key-only config, and an ssh_config naming node01 … node32, each
at its own 127.0.0.x, all reaching that sshd, whose sessions reach the bed's
bus); veth pairs, a packet capture on an interface, /etc/ethers, and
hostpm-netinfo in the bed's manager.
'''

import ctypes
import os
import shutil
import socket
import subprocess
import textwrap
import threading

import testbed
from testbed import wait_for

CLONE_NEWNET = 0x40000000
NODES = 32


def private_network():
    '''This process (and all it starts from now on) in a new network
    namespace whose only interface is its loopback.'''
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise testbed.Skip(f'unshare(CLONE_NEWNET): {os.strerror(ctypes.get_errno())}')
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)


class Ssh:
    '''sshd in the bed's network namespace, and the client side for the CLI.'''

    def __init__(self, bed):
        self.bed = bed
        self.dir = os.path.join(bed.root, 'ssh')
        os.makedirs(self.dir, mode=0o700)
        self.calls_log = os.path.join(self.dir, 'calls.log')
        self.bin = os.path.join(self.dir, 'bin')
        os.mkdir(self.bin)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, extra_hosts=''):
        for key in ('host_key', 'client_key'):
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', key, '-f', self.path(key)],
                           check=True)
        with open(self.path('client_key.pub'), encoding='ascii') as f:
            client_pub = f.read()
        with open(self.path('authorized_keys'), 'w', encoding='ascii') as f:
            f.write(client_pub)
        with open(self.path('host_key.pub'), encoding='ascii') as f:
            host_pub = f.read().split()
        with open(self.path('known_hosts'), 'w', encoding='ascii') as f:
            f.write(f'testbed-sshd {host_pub[0]} {host_pub[1]}\n')
        os.makedirs(self.path('home'))
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)  # privilege separation, on the bed's /run
        # systemd-stdio-bridge ignores DBUS_SYSTEM_BUS_ADDRESS: the system
        # bus's usual place, on the bed's own /run, is the bed's bus
        os.makedirs('/run/dbus', exist_ok=True)
        os.symlink(self.bed.bus_address.removeprefix('unix:path='), '/run/dbus/system_bus_socket')

        with open(self.path('sshd_config'), 'w', encoding='ascii') as f:
            f.write(textwrap.dedent(f'''\
                ListenAddress 0.0.0.0:22
                HostKey {self.path('host_key')}
                PidFile none
                AuthorizedKeysFile {self.path('authorized_keys')}
                AuthenticationMethods publickey
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                PermitRootLogin prohibit-password
                StrictModes no
                # a home of the bed's: no shell start-up file of the machine's
                # root runs in the sessions
                SetEnv HOME={self.path('home')}
                MaxStartups 100
                MaxSessions 100
                LogLevel VERBOSE
                '''))
        aliases = ''.join(f'Host node{i:02d}\n  HostName 127.0.0.{i + 1}\n' for i in range(1, NODES + 1))
        with open(self.path('ssh_config'), 'w', encoding='ascii') as f:
            f.write(aliases + textwrap.dedent(f'''\
                # nothing listens here: unreachable
                Host node99
                  HostName 127.0.0.99
                  Port 2222
                {extra_hosts}
                Host *
                  User root
                  IdentityFile {self.path('client_key')}
                  IdentitiesOnly yes
                  UserKnownHostsFile {self.path('known_hosts')}
                  GlobalKnownHostsFile /dev/null
                  HostKeyAlias testbed-sshd
                  StrictHostKeyChecking yes
                  ConnectTimeout 10
                  LogLevel ERROR
                '''))
        with open(os.path.join(self.bin, 'ssh'), 'w', encoding='ascii') as f:
            f.write(textwrap.dedent(f'''\
                #!/bin/sh
                # the bed's ssh: its config only, and a record of each call
                echo "start $$ $*" >> {self.calls_log}
                # in the background (sh gives that /dev/null unless told)
                exec 3<&0
                /usr/bin/ssh -F {self.path('ssh_config')} "$@" <&3 3<&- &
                ssh=$!
                # sd-bus ends its ssh with SIGTERM: pass it on
                trap 'kill $ssh; wait $ssh; echo "end $$" >> {self.calls_log}; exit 143' TERM
                wait $ssh
                rc=$?
                echo "end $$" >> {self.calls_log}
                exit $rc
                '''))
        os.chmod(os.path.join(self.bin, 'ssh'), 0o755)
        open(self.calls_log, 'w', encoding='ascii').close()

        self.bed.spawn('sshd', ['/usr/sbin/sshd', '-D', '-e', '-f', self.path('sshd_config')])
        wait_for(self._listening, 'sshd to listen')

    @staticmethod
    def _listening():
        with socket.socket() as s:
            return s.connect_ex(('127.0.0.1', 22)) == 0

    @property
    def env(self):
        return {'PATH': f'{self.bin}:{os.environ.get("PATH", "/usr/bin:/bin")}'}

    def calls(self):
        with open(self.calls_log, encoding='ascii') as f:
            return f.read().splitlines()


def install_netinfo(bed, exec_start=None):
    '''hostpm-netinfo.socket and its service as meson configured them, in
    the bed's manager, running the build's program (or exec_start). The
    manager cannot switch users: DynamicUser= is reset; it runs as root
    with the unit's one capability.'''
    build_units = os.path.dirname(bed.artifact('HOSTPMD_UNIT'))
    shutil.copy(os.path.join(build_units, 'hostpm-netinfo@.service'), bed.unit_dir)
    shutil.copy(bed.path('units', 'hostpm-netinfo.socket'), bed.unit_dir)
    program = exec_start or bed.artifact('HOSTPM_NETINFO')
    dropin = os.path.join(bed.unit_dir, 'hostpm-netinfo@.service.d')
    os.makedirs(dropin, exist_ok=True)
    with open(os.path.join(dropin, 'testbed.conf'), 'w', encoding='utf-8') as f:
        f.write(f'[Service]\nExecStart=\nExecStart={program}\nBindReadOnlyPaths={program.split()[0]}\n'
                'DynamicUser=no\n')


def veth_pair():
    '''Two interfaces whose driver has no Wake-on-LAN, with known MACs.'''
    subprocess.run(['ip', 'link', 'add', 'veth-a', 'address', '02:00:00:00:00:0a', 'type', 'veth',
                    'peer', 'name', 'veth-b', 'address', '02:00:00:00:00:0b'], check=True)


class Capture:
    '''Every UDP/IPv4 packet that arrives on an interface, read with a
    packet socket bound to it: what went over that link, not what the
    local stack delivered.'''

    def __init__(self, ifname):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.sock.bind((ifname, 0x0800))
        self.sock.settimeout(0.1)
        self.packets = []  # (destination address, destination port, payload)
        self.stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop:
            try:
                ip = self.sock.recv(65536)
            except socket.timeout:
                continue
            header = (ip[0] & 0x0f) * 4
            if ip[9] != 17:  # UDP
                continue
            udp = ip[header:]
            self.packets.append((socket.inet_ntoa(ip[16:20]), int.from_bytes(udp[2:4], 'big'), udp[8:]))

    def wait(self, count):
        wait_for(lambda: len(self.packets) >= count, f'{count} packets on the wire')
        return self.packets

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def magic(mac):
    return b'\xff' * 6 + bytes.fromhex(mac.replace(':', '')) * 16


def link_pair():
    '''veth-a (10.99.0.1) and veth-b (10.99.0.2), up, on one /24.'''
    veth_pair()
    for name, address in (('veth-a', '10.99.0.1/24'), ('veth-b', '10.99.0.2/24')):
        subprocess.run(['ip', 'addr', 'add', address, 'dev', name], check=True)
        subprocess.run(['ip', 'link', 'set', name, 'up'], check=True)


def ethers(bed, content):
    '''/etc/ethers, in the bed's mount namespace only: /etc as an overlay
    whose upper layer is the bed's.'''
    upper, work = os.path.join(bed.root, 'etc-upper'), os.path.join(bed.root, 'etc-work')
    os.makedirs(upper)
    os.makedirs(work)
    with open(os.path.join(upper, 'ethers'), 'w', encoding='ascii') as f:
        f.write(content)
    subprocess.run(['mount', '-t', 'overlay', 'overlay', '-o', f'lowerdir=/etc,upperdir={upper},workdir={work}',
                    '/etc'], check=True)
