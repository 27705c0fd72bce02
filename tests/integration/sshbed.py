'''The bed as a set of SSH hosts (tests/integration/test-hosts.py,
bench/fanout.py): a network namespace of the bed's own, an sshd in it with a
key-only config, and an ssh_config naming node01 … node32, each at its own
127.0.0.x, all reaching that sshd, whose sessions reach the bed's bus.
'''

import ctypes
import os
import socket
import subprocess
import textwrap

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
