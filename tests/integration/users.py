'''Users for the test bed's clients beyond nobody.

dbus-daemon refuses a connection from a UID that has no passwd entry (it
looks up the groups of every UID it lets in), and the host's passwd has
few users. Inside the bed's own mount namespace (isolation.py: private
propagation), copies of /etc/passwd and /etc/group with the users a test
needs are bind-mounted over the real ones; the host never sees them.
Call it before the clients connect; the bus reads passwd at each
connection.
'''

import os
import subprocess

from isolation import BedError


def add_users(bed, uids):
    '''Makes each UID a user (hostpm-test-<uid>, in a group of its own, no
    home, no shell) for everything in the bed from now on.'''
    for path, line in (('/etc/passwd', '{name}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n'),
                       ('/etc/group', '{name}:x:{uid}:\n')):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        if text and not text.endswith('\n'):
            text += '\n'
        text += ''.join(line.format(name=f'hostpm-test-{uid}', uid=uid) for uid in uids)
        copy = os.path.join(bed.root, 'etc-' + os.path.basename(path))
        with open(copy, 'w', encoding='utf-8') as f:
            f.write(text)
        os.chmod(copy, 0o644)
        r = subprocess.run(['mount', '--bind', copy, path], capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise BedError(f'mount --bind {copy} {path} failed: {r.stderr.strip()}')
