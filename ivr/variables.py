"""Channel variables shared by etc/asterisk/extensions.conf and the AGI routes: named here only.

tests/dialplan checks that the dialplan reads and sets exactly these names.
"""

# Set by the FastAGI server on any route: 'error' (handler fault) or 'notfound' (no such route).
ROUTE_STATUS = "PERMANENCE_ROUTE_STATUS"

# Set by the dnis route.
DNIS_STATUS = "DNIS_STATUS"  # found | unknown | invalid
CLIENT_CODE = "CLIENT_CODE"
DID = "DID"  # the dialled number in E.164, when it parses
RECORDING_FILE = "RECORDING_FILE"  # relative to the recordings directory, without extension

DNIS_FOUND = "found"
DNIS_UNKNOWN = "unknown"
DNIS_INVALID = "invalid"

SET_BY_AGI = (ROUTE_STATUS, DNIS_STATUS, CLIENT_CODE, DID, RECORDING_FILE)

# UserEvent the dialplan sends once the DNIS is known, for the AMI listener.
CALL_EVENT = "PermanenceCall"
