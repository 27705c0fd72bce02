'''hostpm's mock of polkit's Authority, for the integration test bed.

Load with:
    /usr/bin/python3 -m dbusmock --template tests/integration/templates/polkit.py -p '<json>'

dbusmock's own polkitd template knows only "yes" and "no"; hostpm must also
handle a challenge (authentication required), a polkit that answers with an
error, and one that never answers. Every CheckAuthorization() is recorded by
dbusmock (GetCalls()), with its subject, details and flags.

Parameters (a JSON object; every key is optional, unknown keys are refused):

  Allowed     actions authorized outright
  Challenge   actions that need authentication: without the
              AllowUserInteraction flag (1) the answer is "not authorized,
              challenge"; with it the mock plays the agent whose user typed
              the right password, and the answer is "authorized"
  Error       {"name": "<D-Bus error name>", "message": "..."}: every
              CheckAuthorization() fails with it
  NoReply     true: no CheckAuthorization() is ever answered
  Hold        true: every CheckAuthorization() waits until ReleaseHeld(),
              then gets the answer the rules give at that moment (a user
              taking their time to type a password, made deterministic)
  OwnRequestOnly  actions decided like the example rule of polkit/
              50-hostpm.rules, "members may cancel only their own request":
              authorized exactly when the details' requester_uid is the
              UID of the subject's bus name; Allowed and Challenge do not
              apply to them

Anything else is "not authorized, no challenge".

Mock-only methods (interface org.freedesktop.DBus.Mock):
  SetAllowed(as actions), SetChallenge(as actions), SetHold(b hold),
  ReleaseHeld() -> u (how many were answered), HeldCount() -> u
'''

import dbus
from dbusmock import MOCK_IFACE

BUS_NAME = 'org.freedesktop.PolicyKit1'
MAIN_OBJ = '/org/freedesktop/PolicyKit1/Authority'
MAIN_IFACE = 'org.freedesktop.PolicyKit1.Authority'
SYSTEM_BUS = True

PARAMETERS = {'Allowed', 'Challenge', 'Error', 'NoReply', 'Hold', 'OwnRequestOnly'}
ALLOW_USER_INTERACTION = 1


def load(mock, parameters):
    unknown = set(parameters) - PARAMETERS
    if unknown:
        raise ValueError(f'polkit template: unknown parameters {sorted(unknown)}; '
                         f'expected some of {sorted(PARAMETERS)}')
    mock.allowed = set(parameters.get('Allowed', []))
    mock.challenge = set(parameters.get('Challenge', []))
    mock.error = parameters.get('Error')
    mock.noreply = bool(parameters.get('NoReply', False))
    mock.unanswered = []  # callbacks of calls that never get a reply
    mock.hold = bool(parameters.get('Hold', False))
    mock.held = []  # (decide, ok_cb) of calls waiting for ReleaseHeld()
    mock.own_request_only = set(parameters.get('OwnRequestOnly', []))

    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({
        'BackendName': 'js',
        'BackendVersion': '122',
        'BackendFeatures': dbus.UInt32(1),
    }, signature='sv'))


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})sa{ss}us', out_signature='(bba{ss})',
                     async_callbacks=('ok_cb', 'err_cb'))
def CheckAuthorization(self, subject, action_id, details, flags, _cancellation_id, ok_cb, err_cb):
    if self.noreply:
        self.unanswered.append((ok_cb, err_cb))
        return
    if self.error:
        err_cb(dbus.exceptions.DBusException(self.error.get('message', 'Refused by the mock'),
                                             name=self.error['name']))
        return

    def decide():
        answer = dbus.Dictionary({}, signature='ss')
        if action_id in self.own_request_only:
            name = str(subject[1].get('name', ''))
            uid = self.connection.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                                'org.freedesktop.DBus', 'GetConnectionUnixUser', 's', [name])
            return (str(int(uid)) == str(details.get('requester_uid', '')), False, answer)
        if action_id in self.allowed:
            return (True, False, answer)
        if action_id in self.challenge:
            if int(flags) & ALLOW_USER_INTERACTION:
                return (True, False, answer)  # the agent's user authenticated
            return (False, True, answer)
        return (False, False, answer)

    if self.hold:
        self.held.append((decide, ok_cb))
        return
    ok_cb(decide())


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})ss', out_signature='')
def RegisterAuthenticationAgent(_self, _subject, _locale, _object_path):
    pass


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetAllowed(self, actions):
    self.allowed = {str(a) for a in actions}


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetChallenge(self, actions):
    self.challenge = {str(a) for a in actions}


@dbus.service.method(MOCK_IFACE, in_signature='b', out_signature='')
def SetHold(self, hold):
    self.hold = bool(hold)


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='u')
def ReleaseHeld(self):
    held, self.held = self.held, []
    for decide, ok_cb in held:
        ok_cb(decide())
    return dbus.UInt32(len(held))


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='u')
def HeldCount(self):
    return dbus.UInt32(len(self.held))
