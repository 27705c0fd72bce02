#!/usr/bin/python3
'''The API contract: the interface block of org.hostpm1(5) against what
hostpmd says of itself when introspected.

The man page gives each object as systemd's org.freedesktop.*(5) pages do,
in a fenced block:

    node /org/hostpm1 {
      interface org.hostpm1.Manager {
        methods:
          @org.freedesktop.systemd1.Privileged("true")
          Name(in  s arg,
               out t result);
        signals:
          Name(s arg);
        properties:
          @org.freedesktop.DBus.Property.EmitsChangedSignal("const")
          readonly as Name = ['...', ...];
      };
      interface org.freedesktop.DBus.Peer { ... };
    };

Both sides are parsed into the same model (interfaces, their members in
kind and name order, every argument's direction, type and name, every
annotation) and written out in that form; any difference fails the test,
which prints the unified diff (page → hostpmd). Nothing here names a
member: whatever the page and hostpmd say is compared. Only the standard
org.freedesktop.DBus.* interfaces may be given as "{ ... }", and then only
their presence is compared.

  interface  the page matches the running hostpmd
  drift      changed copies of the page (an argument renamed, a type,
             direction, annotation or access changed, a member dropped or
             added) are each reported, so the comparison cannot pass
             vacuously

and a promise of the page's text that checking it against the code found
broken:

  until-bounds-when-scheduled  ScheduleSuspendUntil()'s time asleep lies
             between the bounds when the suspend is scheduled, not only
             when the call arrived
'''

import difflib
import os
import re
import time
import xml.etree.ElementTree as ET

import testbed
from testbed import check, check_equal

try:  # only the copy that runs inside the bed needs it
    import dbus
except ImportError:
    dbus = None

PAGE = os.path.join('man', 'org.hostpm1.5.scd')
BUS_NAME = 'org.hostpm1'
STANDARD_PREFIX = 'org.freedesktop.DBus.'
ELIDED = '...'
ACCESS = {'read': 'readonly', 'write': 'writeonly', 'readwrite': 'readwrite'}


class PageError(Exception):
    pass


# The model: {path: {interface: Interface}}; an Interface is ELIDED or
# {'annotations': [...], 'members': {(kind, name): (args, access, annotations)}}.

def member_key(kind, name):
    return (('method', 'signal', 'property').index(kind), name)


#
# The man page
#

def page_blocks(text):
    '''The fenced blocks of an scdoc page that describe a node, each with
    the page's line number of its first line.'''
    return [(text.count('\n', 0, m.start(1)) + 1, m.group(1))
            for m in re.finditer(r'^```\n(.*?)^```$', text, re.S | re.M)
            if m.group(1).lstrip().startswith('node ')]


class BlockParser:
    '''A small recursive-descent parser over one node block. Type
    signatures may hold parentheses and braces (a(sv), a{sv}), never
    whitespace or commas.'''

    TOKEN = re.compile(r'''\s*(?:
        (?P<annotation>@[A-Za-z0-9_.]+\("[^"]*"\))
      | (?P<section>(?:methods|signals|properties):)
      | (?P<punct>[{};=])
      | (?P<word>[^\s{};=(]+)
      | (?P<args>\()
    )''', re.X)

    def __init__(self, text, first_line=1):
        self.text = text
        self.first_line = first_line
        self.pos = 0

    def error(self, what):
        at = len(self.text) - len(self.text[self.pos:].lstrip())
        line = self.first_line + self.text.count('\n', 0, at)
        context = self.text[at:at + 40].split('\n')[0]
        raise PageError(f'line {line}: expected {what} at {context!r}')

    def peek(self):
        m = self.TOKEN.match(self.text, self.pos)
        if not m or m.end() == self.pos:
            return None, None, self.pos
        kind = m.lastgroup
        return kind, m.group(kind), m.end()

    def take(self, kind=None, value=None):
        k, v, end = self.peek()
        if k is None or (kind and k != kind) or (value is not None and v != value):
            self.error(value or kind or 'a token')
        self.pos = end
        return v

    def at(self, kind, value=None):
        k, v, _ = self.peek()
        return k == kind and (value is None or v == value)

    def member_name(self):
        k, v, end = self.peek()
        if k != 'word' or not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', v):
            self.error('a member name, "methods:", "signals:", "properties:" or "};"')
        self.pos = end
        return v

    def signature(self):
        m = re.compile(r'\s*([^\s;=]+)').match(self.text, self.pos)
        if not m:
            self.error('a type signature')
        self.pos = m.end()
        return m.group(1)

    def annotations(self):
        found = []
        while self.at('annotation'):
            m = re.fullmatch(r'@([^(]+)\("([^"]*)"\)', self.take('annotation'))
            found.append((m.group(1), m.group(2)))
        return found

    def arg_list(self):
        '''From just after "(" to its matching ")": the argument strings.'''
        depth, start = 1, self.pos
        while depth:
            if self.pos >= len(self.text):
                self.error('")"')
            c = self.text[self.pos]
            depth += {'(': 1, ')': -1}.get(c, 0)
            self.pos += 1
        inner = self.text[start:self.pos - 1]
        return [a.split() for a in inner.split(',')] if inner.strip() else []

    def node(self):
        self.take('word', 'node')
        path = self.take('word')
        self.take('punct', '{')
        interfaces = {}
        while not self.at('punct', '}'):
            annotations = self.annotations()
            self.take('word', 'interface')
            name = self.take('word')
            if name in interfaces:
                self.error(f'interface {name} only once')
            interfaces[name] = self.interface(name, annotations)
        self.take('punct', '}')
        self.take('punct', ';')
        if self.text[self.pos:].strip():
            self.error('the end of the block')
        return path, interfaces

    def interface(self, name, annotations):
        self.take('punct', '{')
        if self.at('word', ELIDED):
            self.take('word', ELIDED)
            self.take('punct', '}')
            self.take('punct', ';')
            if not name.startswith(STANDARD_PREFIX):
                raise PageError(f'interface {name} is given as {{ ... }}; only the standard '
                                f'{STANDARD_PREFIX}* interfaces may be')
            return ELIDED
        members, section = {}, None
        while not self.at('punct', '}'):
            if self.at('section'):
                section = self.take('section')[:-1]
                continue
            member_annotations = self.annotations()
            if section in ('methods', 'signals'):
                kind = section[:-1]
                member = self.member_name()
                self.take('args')
                args = []
                for a in self.arg_list():
                    if kind == 'method' and (len(a) != 3 or a[0] not in ('in', 'out')):
                        self.error(f'"in|out TYPE NAME" in the arguments of {member}()')
                    if kind == 'signal' and len(a) != 2:
                        self.error(f'"TYPE NAME" in the arguments of {member}')
                    args.append(tuple(a) if kind == 'method' else ('out', *a))
                access = None
            elif section == 'properties':
                kind = 'property'
                access = self.take('word')
                if access not in ACCESS.values():
                    self.error('readonly, readwrite or writeonly')
                args = [('', self.signature(), '')]
                member = self.member_name()
                if self.at('punct', '='):  # an example value: documentation only
                    self.pos = self.text.index(';', self.pos)
            else:
                self.error('"methods:", "signals:" or "properties:"')
            self.take('punct', ';')
            if (kind, member) in members:
                self.error(f'{kind} {member} only once')
            members[(kind, member)] = (args, access, member_annotations)
        self.take('punct', '}')
        self.take('punct', ';')
        return {'annotations': annotations, 'members': members}


def parse_page(text):
    nodes = {}
    blocks = page_blocks(text)
    if not blocks:
        raise PageError('no interface block ("node /... { ... };" in a ``` block) in the page')
    for first_line, block in blocks:
        path, interfaces = BlockParser(block, first_line).node()
        if path in nodes:
            raise PageError(f'node {path} is described twice')
        nodes[path] = interfaces
    return nodes


#
# Introspection
#

def parse_introspection(xml, elided):
    '''The model of one node's introspection XML; the interfaces the page
    elides are elided here too (their presence still counts).'''
    root = ET.fromstring(xml)
    interfaces = {}
    for iface in root.findall('interface'):
        name = iface.get('name')
        if name in elided:
            interfaces[name] = ELIDED
            continue
        members = {}
        for element in iface:
            kind = element.tag
            if kind not in ('method', 'signal', 'property'):
                continue
            if kind == 'property':
                args = [('', element.get('type'), '')]
                access = ACCESS.get(element.get('access'), element.get('access'))
            else:
                default = 'in' if kind == 'method' else 'out'
                args = [(a.get('direction', default), a.get('type'), a.get('name', ''))
                        for a in element.findall('arg')]
                access = None
            members[(kind, element.get('name'))] = (args, access, annotations_of(element))
        interfaces[name] = {'annotations': annotations_of(iface), 'members': members}
    children = [n.get('name') for n in root.findall('node')]
    return interfaces, children


def annotations_of(element):
    return [(a.get('name'), a.get('value')) for a in element.findall('annotation')]


#
# Both, written the same way
#

def render(nodes):
    '''One line per node, interface, member and annotation; a member's
    annotations follow it, so a member and its annotations change together
    in a diff.'''
    lines = []
    for path in sorted(nodes):
        lines.append(f'node {path}')
        for name in sorted(nodes[path]):
            iface = nodes[path][name]
            if iface == ELIDED:
                lines.append(f'  interface {name} {{ ... }}')
                continue
            lines.append(f'  interface {name}')
            lines += [f'      @{a}("{v}")' for a, v in sorted(iface['annotations'])]
            for kind, member in sorted(iface['members'], key=lambda k: member_key(*k)):
                args, access, annotations = iface['members'][(kind, member)]
                if kind == 'property':
                    lines.append(f'    property {access} {args[0][1]} {member}')
                else:
                    shown = ', '.join(' '.join(a) if kind == 'method' else f'{a[1]} {a[2]}' for a in args)
                    lines.append(f'    {kind} {member}({shown})')
                lines += [f'        @{a}("{v}")' for a, v in sorted(annotations)]
    return lines


def diff(page, live):
    return list(difflib.unified_diff(render(page), render(live), 'org.hostpm1(5)', 'hostpmd', lineterm=''))


def introspect_live(bed, page):
    live = {}
    for path, interfaces in page.items():
        obj = bed.bus.get_object(BUS_NAME, path, introspect=False)
        xml = dbus.Interface(obj, 'org.freedesktop.DBus.Introspectable').Introspect()
        elided = {name for name, iface in interfaces.items() if iface == ELIDED}
        live[path], children = parse_introspection(str(xml), elided)
        check(not children, f'hostpmd has objects under {path} the page does not describe: {children}')
    return live


def read_page():
    with open(os.path.join(os.environ.get('HOSTPM_SOURCE_ROOT', '.'), PAGE), encoding='utf-8') as f:
        return f.read()


def page_model(text):
    try:
        return parse_page(text)
    except PageError as e:
        raise testbed.BedError(f'{PAGE}: {e}') from e


def interface(bed):
    page = page_model(read_page())
    bed.start(hostpmd=True)
    live = introspect_live(bed, page)
    differences = diff(page, live)
    count = sum(len(i['members']) for n in page.values() for i in n.values() if i != ELIDED)
    if differences:
        print('\n'.join(differences))
    check(not differences, f'{PAGE} and hostpmd disagree; the diff above goes from the page to hostpmd')
    print(f'{PAGE}: {count} members in {sum(len(n) for n in page.values())} interfaces, as hostpmd has them')


# Changes to the page's text, each found by its shape (not by a member's
# name, so that the page can grow): each returns the changed text and a
# piece of a diff line that must show the change, or None where the
# changed page must be refused outright.

ARG = re.compile(r'\b(in|out)(\s+)(\S+)(\s+)(\w+)(?=[,)])')


def _sub(pattern, text, replace):
    m = re.search(pattern, text)
    check(m is not None, f'no {pattern!r} in the page; update this case')
    return text[:m.start()] + replace(m) + text[m.end():], m


def _argument_renamed(text):
    changed, m = _sub(ARG, text, lambda m: m.group(0) + '_renamed')
    return changed, f'{m.group(1)} {m.group(3)} {m.group(5)}_renamed'


def _argument_type(text):
    other = lambda t: 'u' if t != 'u' else 's'
    changed, m = _sub(ARG, text, lambda m: m.expand(r'\1\2') + other(m.group(3)) + m.expand(r'\4\5'))
    return changed, f'{m.group(1)} {other(m.group(3))} {m.group(5)}'


def _argument_direction(text):
    flip = {'in': 'out', 'out': 'in'}
    changed, m = _sub(ARG, text, lambda m: flip[m.group(1)] + m.group(0)[len(m.group(1)):])
    return changed, f'{flip[m.group(1)]} {m.group(3)} {m.group(5)}'


def _argument_dropped(text):
    changed, m = _sub(r'\s*' + ARG.pattern + r',', text, lambda m: '')
    return changed, f'{m.group(1)} {m.group(3)} {m.group(5)}'


def _signal_argument_type(text):
    signals = text.index('signals:')
    changed, m = _sub(r'\(\s*([^\s,)]+)(\s+)(\w+)', text[signals:],
                      lambda m: '(' + ('u' if m.group(1) != 'u' else 's') + m.group(2) + m.group(3))
    return text[:signals] + changed, f'{"u" if m.group(1) != "u" else "s"} {m.group(3)}'


def _annotation_changed(text):
    changed, m = _sub(r'@([\w.]+)\("([^"]*)"\)', text, lambda m: f'@{m.group(1)}("{m.group(2)}-changed")')
    return changed, f'("{m.group(2)}-changed")'


def _annotation_added(text):
    changed, _ = _sub(r'methods:\n', text, lambda m: m.group(0) + '@org.freedesktop.DBus.Deprecated("true")\n')
    return changed, '@org.freedesktop.DBus.Deprecated("true")'


def _access_changed(text):
    changed, m = _sub(r'readonly(\s+\S+\s+)(\w+)', text, lambda m: 'readwrite' + m.group(1) + m.group(2))
    return changed, f'readwrite {m.group(1).strip()} {m.group(2)}'


def _property_dropped(text):
    changed, m = _sub(r'(\n\s*@[^\n]*)*\n\s*readonly\s+(\S+)\s+(\w+)[^;]*;', text, lambda m: '')
    return changed, f'property readonly {m.group(2)} {m.group(3)}'


def _member_added(text):
    changed, _ = _sub(r'methods:\n', text, lambda m: m.group(0) + 'Frobnicate(in s how);\n')
    return changed, 'method Frobnicate(in s how)'


def _own_interface_elided(text):
    changed, _ = _sub(r'interface ((?!org\.freedesktop\.DBus\.)[\w.]+) \{', text,
                      lambda m: m.group(0) + ' ... }; interface org.example.Rest {')
    return changed, None


def _garbage(text):
    changed, _ = _sub(r'signals:', text, lambda m: 'signal:')
    return changed, None


DRIFTS = {
    'argument renamed': _argument_renamed,
    'argument type': _argument_type,
    'argument direction': _argument_direction,
    'argument dropped': _argument_dropped,
    'signal argument type': _signal_argument_type,
    'annotation changed': _annotation_changed,
    'annotation added': _annotation_added,
    'access changed': _access_changed,
    'property dropped': _property_dropped,
    'member added': _member_added,
    'own interface elided': _own_interface_elided,
    'unknown section': _garbage,
}


def drift(bed):
    text = read_page()
    page = page_model(text)
    bed.start(hostpmd=True)
    live = introspect_live(bed, page)
    check(not diff(page, live), 'the page itself differs from hostpmd; see case "interface"')
    for what, change in DRIFTS.items():
        changed, expected = change(text)
        try:
            differences = diff(parse_page(changed), live)
        except PageError as e:
            check(expected is None, f'{what}: the changed page was refused: {e}')
            print(f'{what}: refused: {e}')
            continue
        check(expected is not None, f'{what}: the changed page was accepted:\n' + '\n'.join(differences))
        changes = [line for line in differences if line[:1] in '+-' and line[:3] not in ('+++', '---')]
        check(any(expected in line for line in changes),
              f'{what}: the diff does not show {expected!r}:\n' + '\n'.join(differences))
        print(f'{what}: reported: ' + '; '.join(changes))


def until_bounds_when_scheduled(bed):
    '''org.hostpm1(5): "The time from the suspend, delay_usec after the
    call, to wake_usec must lie between MinimumDurationUSec and
    MaximumDurationUSec". Between the call and the scheduling hostpmd waits
    for logind (and polkit, up to minutes when a password is typed); the
    suspend moves later, the wake time does not. A sleep shorter than the
    minimum is what the minimum exists to prevent: an alarm that passes
    before the host is asleep never wakes it. Here logind takes 3 s, and a
    wake time 1 s beyond the minimum when the call leaves is 2 s short of it
    when the suspend would be scheduled.'''
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write('[Suspend]\nDelay=1s\nMinimumDuration=10s\n')
    # logind's slowness, not its silence: hostpmd waits longer than 3 s for it
    bed.setenv(HOSTPM_LOGIND_TIMEOUT_USEC=30 * 1000000)
    bed.start(logind={'CanDelayMs': 3000}, hostpmd=True)
    obj = bed.bus.get_object(BUS_NAME, '/org/hostpm1', introspect=False)
    manager = dbus.Interface(obj, 'org.hostpm1.Manager')
    manager.GetCapabilities(timeout=30)  # hostpmd up, so the clock below starts with the call
    wake_usec = int((time.time() + 1 + 10 + 1) * 1000000)
    try:
        reply = manager.ScheduleSuspendUntil('mem', dbus.UInt64(wake_usec), dbus.UInt64(0), dbus.UInt64(0),
                                             timeout=30)
        check(False, f'scheduled a sleep shorter than MinimumDuration=10s: {[str(a) for a in reply]}')
    except dbus.exceptions.DBusException as e:
        check_equal(e.get_dbus_name(), 'org.hostpm1.Error.DurationOutOfRange', 'the error')
        print(f'refused: {e.get_dbus_message()}')
    state = dbus.Interface(obj, 'org.freedesktop.DBus.Properties').Get('org.hostpm1.Manager', 'PendingState')
    check_equal(str(state), '', 'PendingState after the refusal')


if __name__ == '__main__':
    testbed.main({'interface': interface, 'drift': drift,
                  'until-bounds-when-scheduled': until_bounds_when_scheduled})
