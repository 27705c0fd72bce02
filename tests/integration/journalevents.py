'''hostpm's journal events as the code sends them, read from their one
table in src/shared/journal-event.c (event_kinds[]): the tests, the demo,
the VM checks and the man page check take the MESSAGE_IDs from there, so
there is nothing to keep in step.

    message_id('refused')  -> 'cbb6...'
    kinds()                -> {'REFUSED': Kind(...), ...}
'''

import collections
import functools
import os
import re
import syslog

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(SOURCE_ROOT, 'src', 'shared', 'journal-event.c')

# name: SCHEDULED, ...; result: HOSTPM_RESULT; priority: a number;
# fields: the extra journal fields (HOSTPM_ERROR, ...), in the order sent
Kind = collections.namedtuple('Kind', 'name result message_id priority fields message')


class TableError(Exception):
    '''The table does not read as this module expects.'''


def _string(text, what):
    m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', text.strip())
    if not m:
        raise TableError(f'{TABLE}: {what} is not one string literal: {text!r}')
    return m.group(1)


@functools.lru_cache(maxsize=None)
def kinds(path=TABLE):
    '''{name: Kind} of every row of event_kinds[].'''
    with open(path, encoding='utf-8') as f:
        text = f.read()
    # EVENT_FIELD_ERROR = 1 << 0,  /* HOSTPM_ERROR */ (a flag may name several fields, ", ")
    field_names = {flag: names.split(', ') for flag, names in re.findall(
        r'^\s*(EVENT_FIELD_\w+)\s*= [^,]+,\s*/\* (HOSTPM_\w+(?:, HOSTPM_\w+)*) \*/', text, re.M)}
    order = list(field_names)
    rows = re.findall(r'^\s*\[JOURNAL_EVENT_(\w+)\] = \{\n(.*?)^\s*\},$', text, re.M | re.S)
    if not rows or not field_names:
        raise TableError(f'{path}: no event_kinds[] rows or EVENT_FIELD_* names found')
    table = {}
    for name, body in rows:
        # adjacent string literals on two lines are one, as in C
        body = re.sub(r'"\n\s*"', '', body)
        attrs = dict(re.findall(r'^\s*\.(\w+) = (.*),$', body, re.M))
        missing = {'result', 'message_id', 'priority', 'fields', 'message'} - set(attrs)
        if missing:
            raise TableError(f'{path}: row {name} lacks {sorted(missing)}')
        flags = [] if attrs['fields'] == '0' else [f.strip() for f in attrs['fields'].split('|')]
        unknown = [f for f in flags if f not in field_names]
        if unknown:
            raise TableError(f'{path}: row {name} names unknown fields {unknown}')
        message_id = _string(attrs['message_id'], f'{name} message_id')
        if not re.fullmatch('[0-9a-f]{32}', message_id):
            raise TableError(f'{path}: row {name}: {message_id!r} is not 32 lowercase hex digits')
        table[name] = Kind(name=name, result=_string(attrs['result'], f'{name} result'), message_id=message_id,
                           priority=getattr(syslog, attrs['priority']),
                           fields=[n for f in sorted(flags, key=order.index) for n in field_names[f]],
                           message=_string(attrs['message'], f'{name} message'))
    ids = [k.message_id for k in table.values()]
    if len(set(ids)) != len(ids):
        raise TableError(f'{path}: two kinds share a MESSAGE_ID: {ids}')
    return table


def message_id(kind):
    '''MESSAGE_ID of an event kind: SCHEDULED, refused, ... (either case).'''
    table = kinds()
    if kind.upper() not in table:
        raise KeyError(f'no journal event kind {kind!r} in {TABLE}; it has {sorted(table)}')
    return table[kind.upper()].message_id


def message_ids():
    '''{MESSAGE_ID: kind name in lowercase} of every kind.'''
    return {k.message_id: k.name.lower() for k in kinds().values()}
