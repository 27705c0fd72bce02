'''The test bed for hostpm's Cockpit page: the integration bed (private
namespaces, a real systemd --user running the bus, the mock logind, hostpmd
D-Bus activated), plus
  * two users that exist only in the bed's mount namespace (a bind-mounted
    /etc/passwd and /etc/group): hostpm-admin, in group "hostpm", and
    hostpm-guest, in no group of ours;
  * the real polkitd on the bed's bus, with only hostpm's own policy and
    the example rules the project ships (members of "hostpm" may suspend
    and cancel), so an authorization or a refusal is polkit's own;
  * Debian's cockpit-ws serving a local session (cockpit-bridge) of one of
    those users, with the page from the source tree as its package;
  * headless Debian chromium driven by chromedriver through selenium.

Everything is stopped by the case's bed: cockpit-ws in a process group of
its own (the bridge starts an ssh-agent), chromium by chromedriver.
'''

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), 'integration')
sys.path.insert(0, INTEGRATION)

import historybed  # noqa: E402  pylint: disable=wrong-import-position
import testbed  # noqa: E402  pylint: disable=wrong-import-position
from testbed import check  # noqa: E402  pylint: disable=wrong-import-position

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    webdriver = None

COCKPIT_WS = '/usr/lib/cockpit/cockpit-ws'
COCKPIT_BRIDGE = '/usr/bin/cockpit-bridge'
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
POLKITD = '/usr/lib/polkit-1/polkitd'

ADMIN = ('hostpm-admin', 4201)   # in group hostpm: the example rules grant it
GUEST = ('hostpm-guest', 4202)   # in no group of ours
HOSTPM_GID = 4200
WAIT = 90  # a bound on waiting (a loaded 2-core machine starts chromium in 20 s), never an expectation


def requirements():
    '''Skips (a failure with CI=true) when a part is not installed.'''
    missing = [p for p in (COCKPIT_WS, COCKPIT_BRIDGE, CHROMIUM, CHROMEDRIVER, POLKITD) if not os.access(p, os.X_OK)]
    if webdriver is None:
        missing.append('python3-selenium')
    if missing:
        raise testbed.Skip(f'not installed: {", ".join(missing)} (tools/install-deps installs them)')


def _bind(bed, content, target):
    path = os.path.join(bed.root, 'etc-' + os.path.basename(target))
    with open(path, 'w', encoding='utf-8') as f:
        f.write(content)
    os.chmod(path, 0o644)
    subprocess.run(['mount', '--bind', path, target], check=True)


def add_users(bed):
    '''The two users and group "hostpm", in this mount namespace only.'''
    with open('/etc/passwd', encoding='utf-8') as f:
        passwd = f.read()
    with open('/etc/group', encoding='utf-8') as f:
        group = f.read()
    for name, uid in (ADMIN, GUEST):
        home = bed._dir(f'home-{name}', 0o700)  # pylint: disable=protected-access
        os.chown(home, uid, uid)
        passwd += f'{name}:x:{uid}:{uid}:hostpm test user:{home}:/bin/sh\n'
        group += f'{name}:x:{uid}:\n'
    group += f'hostpm:x:{HOSTPM_GID}:{ADMIN[0]}\n'
    _bind(bed, passwd, '/etc/passwd')
    _bind(bed, group, '/etc/group')


def start_polkitd(bed):
    '''The real polkitd, seeing hostpm's policy and shipped rules only.'''
    actions = bed._dir('polkit-actions')  # pylint: disable=protected-access
    rules = bed._dir('polkit-rules')  # pylint: disable=protected-access
    empty = bed._dir('polkit-none')  # pylint: disable=protected-access
    shutil.copy(bed.path('polkit', 'org.hostpm1.policy'), actions)
    shutil.copy(bed.path('polkit', '50-hostpm.rules'), rules)
    for source, target in ((actions, '/usr/share/polkit-1/actions'), (rules, '/etc/polkit-1/rules.d'),
                           (empty, '/usr/share/polkit-1/rules.d')):
        subprocess.run(['mount', '--bind', source, target], check=True)
    process = bed.spawn('polkitd', [POLKITD])
    bed.wait_for_name('org.freedesktop.PolicyKit1', process)
    return process


def start(bed, logind=None, config=historybed.FAST_CONFIG):
    '''The whole bed, up to a bus every user of ours may use.'''
    requirements()
    add_users(bed)
    historybed.start(bed, logind=logind, config=config)
    os.chmod(bed.runtime_dir, 0o711)  # for polkitd and the users; the bus socket itself is 0666
    start_polkitd(bed)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Session:
    '''cockpit-ws serving a local session of one user, and a browser tab
    on the page. Use as a context manager.'''

    def __init__(self, bed, user, artifacts):
        self.bed = bed
        self.name, self.uid = user
        self.artifacts = artifacts
        self.ws = None
        self.driver = None
        self.port = None
        self.shots = []

    def __enter__(self):
        started = time.monotonic()
        self._start_ws()
        ws = time.monotonic()
        self._start_browser()
        print(f'cockpitbed: cockpit-ws listening after {ws - started:.1f} s, the browser up after '
              f'{time.monotonic() - ws:.1f} s more', file=sys.stderr)
        return self

    def __exit__(self, *_exc):
        self.close()

    def _start_ws(self):
        data = self.bed._dir(f'cockpit-data-{self.name}')  # pylint: disable=protected-access
        # the page under test, straight from the source tree
        os.makedirs(os.path.join(data, 'cockpit'), exist_ok=True)
        os.symlink(self.bed.path('cockpit', 'hostpm'), os.path.join(data, 'cockpit', 'hostpm'))
        runtime = self.bed._dir(f'run-{self.name}', 0o700)  # pylint: disable=protected-access
        os.chown(runtime, self.uid, self.uid)
        home = os.path.join(self.bed.root, f'home-{self.name}')
        env = dict(self.bed.env, HOME=home, USER=self.name, LOGNAME=self.name, XDG_RUNTIME_DIR=runtime,
                   XDG_DATA_HOME=os.path.join(home, '.local', 'share'), XDG_DATA_DIRS=f'{data}:/usr/share',
                   XDG_CONFIG_HOME=os.path.join(home, '.config'))
        self.port = _free_port()
        log = open(os.path.join(self.bed.logs_dir, f'cockpit-ws-{self.name}.log'), 'ab')  # pylint: disable=consider-using-with
        # its own process group: the bridge starts an ssh-agent that the
        # group's kill takes along
        self.ws = subprocess.Popen(
            ['setpriv', f'--reuid={self.uid}', f'--regid={self.uid}', '--init-groups', '--',
             COCKPIT_WS, '--no-tls', '--address=127.0.0.1', f'--port={self.port}',
             f'--local-session={COCKPIT_BRIDGE}'],
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

        def listening():
            if self.ws.poll() is not None:
                raise testbed.BedError(f'cockpit-ws exited with status {self.ws.returncode}')
            with socket.socket() as s:
                return s.connect_ex(('127.0.0.1', self.port)) == 0
        testbed.wait_for(listening, 'cockpit-ws to listen', timeout=WAIT, interval=0.05)

    def _start_browser(self):
        profile = self.bed._dir(f'chromium-{self.name}')  # pylint: disable=protected-access
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                    '--window-size=1280,2000', f'--user-data-dir={profile}', '--no-first-run',
                    '--disable-extensions', '--disable-background-networking', '--disable-sync',
                    '--disable-component-update', '--lang=en-US'):
            options.add_argument(arg)
        options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        service = Service(CHROMEDRIVER, log_path=os.path.join(self.bed.logs_dir, f'chromedriver-{self.name}.log'))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(WAIT)

    def open(self):
        '''The page, once it has read everything from hostpmd.'''
        started = time.monotonic()
        self.driver.get(f'http://127.0.0.1:{self.port}/cockpit/@localhost/hostpm/index.html')
        self.wait(lambda: self.find('page').get_attribute('aria-busy') == 'false', 'the page to load')
        print(f'cockpitbed: the page loaded in {time.monotonic() - started:.1f} s', file=sys.stderr)

    # Looking at the page

    def find(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id):
        return self.find(element_id).text

    def visible(self, element_id):
        return self.find(element_id).is_displayed()

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, predicate, what, timeout=WAIT):
        def attempt():
            try:
                return predicate()
            except WebDriverException:
                return None  # the element is being redrawn: look again
        return testbed.wait_for(attempt, what, timeout=timeout, interval=0.1)

    def console(self):
        '''Every browser console entry so far (the log is drained by reading).'''
        entries = self.driver.get_log('browser')
        with open(os.path.join(self.bed.logs_dir, f'console-{self.name}.log'), 'a', encoding='utf-8') as f:
            for e in entries:
                f.write(json.dumps(e) + '\n')
        return entries

    def check_no_console_errors(self):
        errors = [e for e in self.console() if e.get('level') == 'SEVERE']
        check(not errors, f'console errors on the page: {errors}')

    def screenshot(self, name):
        '''A picture of the page as it is, kept for people to look at.'''
        os.makedirs(self.artifacts, exist_ok=True)
        path = os.path.join(self.artifacts, f'{name}.png')
        height = self.js('return document.documentElement.scrollHeight')
        self.driver.set_window_size(1280, max(800, int(height) + 40))
        check(self.driver.save_screenshot(path), f'screenshot {path}')
        self.shots.append(path)
        print(f'screenshot: {path}', file=sys.stderr)
        return path

    # The end

    def close(self):
        started = time.monotonic()
        self._close()
        print(f'cockpitbed: browser and cockpit-ws stopped in {time.monotonic() - started:.1f} s', file=sys.stderr)

    def _close(self):
        if self.driver is not None:
            try:
                self.console()
                self.driver.quit()
            except WebDriverException as e:
                print(f'cockpitbed: quitting the browser: {e}', file=sys.stderr)
            self.driver = None
        if self.ws is not None:
            try:
                os.killpg(self.ws.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.ws.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.ws.pid, signal.SIGKILL)
                self.ws.wait()
            # what the group left (the bridge, its ssh-agent) goes with it
            deadline = time.monotonic() + 10
            while _group_alive(self.ws.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _group_alive(self.ws.pid):
                os.killpg(self.ws.pid, signal.SIGKILL)
            self.ws = None


def _group_alive(pgid):
    # the test is PID 1 of its namespace: the group's orphans are its
    # children, and stay zombies (still in the group) until reaped here
    try:
        while os.waitpid(-pgid, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def artifacts_dir(case):
    '''Where this case's screenshots go: meson's log area of the build.'''
    root = os.environ.get('HOSTPM_COCKPIT_ARTIFACTS')
    if not root:
        raise testbed.BedError('HOSTPM_COCKPIT_ARTIFACTS is not set: run this through meson test')
    path = os.path.join(root, case)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path
