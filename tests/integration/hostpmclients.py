'''hostpm's clients in the test bed: the CLI and D-Bus callers
(busclient.py processes), as root or another user, each logged in the
bed's clients.log.

Clients run as an unprivileged user (uid 65534) unless told otherwise, so
the journal names a uid other than the test's and polkit is really asked;
setpriv switches the user (no Python runs between fork and exec). The
scripts import these from hostpmtest.
'''

import json
import os
import re
import select
import subprocess
import time

import testbed
from testbed import BedError, check, check_equal

HERE = os.path.dirname(os.path.abspath(__file__))
BUSCLIENT = os.path.join(HERE, 'busclient.py')

HOSTPM_BUS = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'

NOBODY = 65534
USEC = 1_000_000

# hostpm-suspend's documented exit statuses
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CAPS_UNKNOWN, EXIT_NOT_AUTHORIZED = 0, 1, 2, 3, 4
EXIT_BUSY, EXIT_REFUSED, EXIT_NOTHING_PENDING, EXIT_TOO_LATE, EXIT_SLEEP_FAILED = 5, 6, 7, 8, 9


def log(bed, text):
    '''A line in the bed's clients.log (dumped when the case fails).'''
    with open(os.path.join(bed.logs_dir, 'clients.log'), 'a', encoding='utf-8') as f:
        f.write(f'{time.strftime("%H:%M:%S")} {text}\n')



def call_spec(method, signature='', args=(), **extra):
    '''One call for Client: extra may name destination, path, interface,
    and interactive (allow interactive authorization).'''
    return dict(extra, method=method, signature=signature, args=list(args))


def _schedule(target='mem', duration=600 * USEC, delay=0, flags=0):
    return call_spec('ScheduleSuspend', 'sttt', [target, duration, delay, flags])


def _until(wake, target='mem', delay=0, flags=0):
    return call_spec('ScheduleSuspendUntil', 'sttt', [target, wake, delay, flags])


def as_user(uid, argv):
    '''argv run as uid (and gid uid, no supplementary groups).'''
    if uid == 0:
        return list(argv)
    return ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--', *argv]


class Client:
    '''A D-Bus client (busclient.py) running in the background as `uid`;
    result() waits for its answers.'''

    def __init__(self, bed, calls, uid=NOBODY, ping=False, connections=False, timeout=60):
        self.bed = bed
        spec = {'calls': calls, 'ping': ping, 'connections': connections, 'timeout': timeout}
        argv = as_user(uid, [testbed.PYTHON, BUSCLIENT, json.dumps(spec)])
        self.popen = subprocess.Popen(  # pylint: disable=consider-using-with
            argv, env=bed.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.pid = self.popen.pid  # setpriv execs: the same process
        log(bed, f'client {self.pid} (uid {uid}): {json.dumps(calls)}')

    def wait_ready(self, timeout=testbed.STARTUP_TIMEOUT):
        readable, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline() if readable else ''
        if json.loads(line or '{}').get('ready') is not True:
            raise BedError(f'client {self.pid} did not get ready: {line!r}')

    def result(self, timeout=60):
        try:
            out, err = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            self.popen.kill()
            raise BedError(f'client {self.pid} still waiting for hostpmd after {timeout} s') from e
        log(self.bed, f'client {self.pid} exited {self.popen.returncode}: {out.strip()} {err.strip()}')
        lines = [line for line in out.splitlines() if line.startswith('{"pid"')]
        if self.popen.returncode != 0 or not lines:
            raise BedError(f'client {self.pid} failed (status {self.popen.returncode}): {err.strip()}')
        return json.loads(lines[-1])


def call_as(bed, calls, uid=NOBODY):
    '''Calls in one go as `uid`; returns (pid, results).'''
    r = Client(bed, calls, uid).result()
    return r['pid'], r['results']


def client(bed, method, signature, args, user=NOBODY, interactive=False):
    '''One call as `user`: {"sender": its unique name, "reply": [...]} or
    {"sender", "error", "message"}.'''
    r = Client(bed, [call_spec(method, signature, args, interactive=interactive)], user).result()
    return dict(r['results'][0], sender=r['senders'][0])


def root_call(bed, method, signature='', args=(), interface=HOSTPM_IFACE, timeout=30):
    '''A call from the test itself (uid 0: polkit is not asked).'''
    return bed.bus.call_blocking(HOSTPM_BUS, HOSTPM_PATH, interface, method, signature, list(args),
                                 timeout=timeout)


def run_cli(bed, args, uid=NOBODY, timeout=60, env=None):
    '''The CLI as `uid`; returns (pid, CompletedProcess).'''
    argv = as_user(uid, [bed.cli, *args])
    started = time.monotonic()
    with subprocess.Popen(argv, env=dict(bed.env, **(env or {})), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            p.kill()
            raise BedError(f'{argv} did not finish within {timeout} s') from e
    log(bed, f'$ {" ".join(argv)}\n# pid {p.pid}, exit status {p.returncode} after '
             f'{time.monotonic() - started:.3f} s\n# stdout:\n{out}# stderr:\n{err}')
    return p.pid, subprocess.CompletedProcess(argv, p.returncode, out, err)


def run_as(bed, argv, uid=NOBODY, timeout=60):
    '''Any program as `uid`, logged; returns the CompletedProcess.'''
    argv = as_user(uid, argv)
    r = subprocess.run(argv, env=bed.env, capture_output=True, text=True, timeout=timeout, check=False)
    log(bed, f'$ {" ".join(argv)}\n# exit status {r.returncode}\n# stdout:\n{r.stdout}# stderr:\n{r.stderr}')
    return r


class Result:  # what cli() ran: returncode, stdout, stderr, pid
    def __init__(self, run, pid):
        self.returncode = run.returncode
        self.stdout = run.stdout
        self.stderr = run.stderr
        self.pid = pid

    def json(self):
        return json.loads(self.stdout)


def cli(bed, *args, user=None, interactive=False, status=EXIT_OK, env=None):
    '''hostpm-suspend ARGS (as root, or as `user`), checking its exit
    status. Without `interactive` it never asks for a password, so it does
    not set the allow-interactive-authorization flag. The result knows the
    CLI's pid, which hostpmd logs as the requester's.'''
    pid, r = run_cli(bed, ([] if interactive else ['--no-ask-password']) + list(args),
                     uid=0 if user is None else user, env=env)
    check_equal(r.returncode, status, f'exit status of hostpm-suspend {" ".join(args)} '
                f'(stdout {r.stdout!r}, stderr {r.stderr!r})')
    return Result(r, pid)


def schedule(bed, *args, **kwargs):
    '''hostpm-suspend --json ARGS that succeeds: the plan it printed, with
    the CLI's pid.'''
    r = cli(bed, '--json', *args, **kwargs)
    plan = r.json()
    check(re.fullmatch('[0-9a-f]{32}', plan['id']), f'a request id: {plan}')
    plan['pid'] = r.pid
    return plan


def schedule_as_nobody(bed, duration=600 * USEC, delay=0):
    '''ScheduleSuspend from an unprivileged client polkit allows; returns
    (client pid, request id).'''
    pid, (result,) = call_as(bed, [_schedule(duration=duration, delay=delay)])
    check('reply' in result, f'scheduling failed: {result}')
    return pid, result['reply'][0]
