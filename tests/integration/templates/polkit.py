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

Anything else is "not authorized, no challenge".

Mock-only methods (interface org.freedesktop.DBus.Mock):
  SetAllowed(as actions), SetChallenge(as actions)
'''

import dbus
from dbusmock import MOCK_IFACE

BUS_NAME = 'org.freedesktop.PolicyKit1'
MAIN_OBJ = '/org/freedesktop/PolicyKit1/Authority'
MAIN_IFACE = 'org.freedesktop.PolicyKit1.Authority'
SYSTEM_BUS = True

PARAMETERS = {'Allowed', 'Challenge', 'Error', 'NoReply'}
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

    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({
        'BackendName': 'js',
        'BackendVersion': '122',
        'BackendFeatures': dbus.UInt32(1),
    }, signature='sv'))


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})sa{ss}us', out_signature='(bba{ss})',
                     async_callbacks=('ok_cb', 'err_cb'))
def CheckAuthorization(self, _subject, action_id, _details, flags, _cancellation_id, ok_cb, err_cb):
    if self.noreply:
        self.unanswered.append((ok_cb, err_cb))
        return
    if self.error:
        err_cb(dbus.exceptions.DBusException(self.error.get('message', 'Refused by the mock'),
                                             name=self.error['name']))
        return
    details = dbus.Dictionary({}, signature='ss')
    if action_id in self.allowed:
        ok_cb((True, False, details))
    elif action_id in self.challenge:
        if int(flags) & ALLOW_USER_INTERACTION:
            ok_cb((True, False, details))  # the agent's user authenticated
        else:
            ok_cb((False, True, details))
    else:
        ok_cb((False, False, details))


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})ss', out_signature='')
def RegisterAuthenticationAgent(_self, _subject, _locale, _object_path):
    pass


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetAllowed(self, actions):
    self.allowed = {str(a) for a in actions}


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetChallenge(self, actions):
    self.challenge = {str(a) for a in actions}
