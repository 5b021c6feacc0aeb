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

# Set by the dnis route: the caller (ANI) and their record with this client.
CALLER_NUMBER = "CALLER_NUMBER"  # E.164, '' when withheld or not a number
CALLER_ANONYMOUS = "CALLER_ANONYMOUS"  # 1 when the caller withheld their number
CALLER_KNOWN = "CALLER_KNOWN"  # 1 when this client had calls from this number before
CALLER_NAME = "CALLER_NAME"
CALLER_NOTES = "CALLER_NOTES"
CALLER_LAST_CALL = "CALLER_LAST_CALL"  # ISO time of the previous call
CALLER_CALLS = "CALLER_CALLS"  # calls from this number to this client, this one included
IVR_MENU_ENTRY = "IVR_MENU_ENTRY"  # the client's entry menu; '' = none (greeting only)

# Set by the ivr route when the caller leaves the menus (ivr.steps.Exit).
IVR_ACTION = "IVR_ACTION"  # queue | voicemail | oncall | transfer | checkin | hangup | fallback
IVR_TARGET = "IVR_TARGET"  # queue name, mailbox, number or dialplan target
IVR_CLOSED = "IVR_CLOSED"  # 1 when a time condition found the client closed on the way
# The client's on-call schedule an `oncall` exit reaches (the menu node's, or the overflowing queue's).
IVR_ONCALL_SCHEDULE = "IVR_ONCALL_SCHEDULE"

# Set by the checkin route once a client is identified by code and PIN.
CHECKIN_CLIENT = "CHECKIN_CLIENT"

# Set by the Originate of a dispatch step's call (ami/originate.py): the attempt in the message's history
# the `dispatch` route reads to the contact.
DISPATCH_ATTEMPT = "DISPATCH_ATTEMPT"

# Set by the overflow route around Queue() (agi/routes/overflow.py): how long the caller waits this
# time and where they (re-)enter; after Queue(), IVR_ACTION/IVR_TARGET say where the call goes next.
QUEUE_TIMEOUT = "QUEUE_TIMEOUT"  # Queue()'s timeout: the max wait left, or the time to the callback offer; '' none
QUEUE_POSITION = "QUEUE_POSITION"  # the place a caller back from the callback offer re-enters at; '' the end
OVERFLOW_QUEUE = "OVERFLOW_QUEUE"  # the queue the caller overflowed from
OVERFLOW_REASON = "OVERFLOW_REASON"  # its QUEUESTATUS; '' when the caller only goes back into the queue

# Kept on the channel by the overflow route between its calls; the dialplan need not read them.
QUEUE_JOINED = "QUEUE_JOINED"  # epoch seconds when the caller joined the current queue: their place
QUEUE_HOPS = "QUEUE_HOPS"  # the queues the call was placed in, comma-separated: overflow loops are bounded
CALLBACK_OFFERED = "CALLBACK_OFFERED"  # 1 once the caller heard the callback offer in this queue
KEPT_BY_AGI = (QUEUE_JOINED, QUEUE_HOPS, CALLBACK_OFFERED)
# Set by the ivr route when it placed the caller in the queue it leaves the menus for (the variables
# above, as `overflow,join` would): the dialplan skips that FastAGI session once, then clears it.
QUEUE_READY = "QUEUE_READY"

# Set by the back end on the agent's channel it originates for a callback (ami/callbacks.py), with
# CLIENT_CODE, DID and RECORDING_FILE.
CALLBACK_OF = "CALLBACK_OF"  # the call the caller asked from
CALLBACK_REQUEST = "CALLBACK_REQUEST"
CALLBACK_ATTEMPT = "CALLBACK_ATTEMPT"
CALLBACK_DIAL = "CALLBACK_DIAL"  # the Dial() string that reaches the caller
CALLBACK_RING_S = "CALLBACK_RING_S"
SET_BY_ORIGINATE = (DISPATCH_ATTEMPT, CALLBACK_OF, CALLBACK_REQUEST, CALLBACK_ATTEMPT, CALLBACK_DIAL, CALLBACK_RING_S,
                    CLIENT_CODE, DID, RECORDING_FILE)

# Set by the oncall route (agi/routes/oncall.py) when the caller reaches an `oncall` exit: whoever is on
# call for the client now, and how the dialplan reaches them.
ONCALL_STATUS = "ONCALL_STATUS"  # dial | nobody | no_number | no_outbound
ONCALL_CONTACT = "ONCALL_CONTACT"  # the contact's id in the client's directory
ONCALL_NAME = "ONCALL_NAME"  # their name, as the call's timeline shows it
ONCALL_NUMBER = "ONCALL_NUMBER"  # the number dialled (E.164): their mobile, else their office
ONCALL_DIAL = "ONCALL_DIAL"  # the Dial() string: that number through the carrier endpoint
ONCALL_RING_S = "ONCALL_RING_S"  # how long it rings before the caller leaves a message
ONCALL_CALLER_ID = "ONCALL_CALLER_ID"  # the number the contact sees: the client's DID or the caller's
ONCALL_DIALLING = "dial"

# Exposed on the channel for agents and the screen pop; the dialplan itself need not read them.
FOR_AGENTS = (CALLER_NUMBER, CALLER_ANONYMOUS, CALLER_KNOWN, CALLER_NAME, CALLER_NOTES, CALLER_LAST_CALL, CALLER_CALLS)

SET_BY_AGI = (
    ROUTE_STATUS, DNIS_STATUS, CLIENT_CODE, DID, RECORDING_FILE, CALLER_NUMBER, CALLER_ANONYMOUS, CALLER_KNOWN,
    CALLER_NAME, CALLER_NOTES, CALLER_LAST_CALL, CALLER_CALLS, IVR_MENU_ENTRY, CHECKIN_CLIENT, IVR_ACTION,
    IVR_TARGET, IVR_CLOSED, IVR_ONCALL_SCHEDULE, QUEUE_TIMEOUT, QUEUE_POSITION, QUEUE_READY, OVERFLOW_QUEUE,
    OVERFLOW_REASON,
    ONCALL_STATUS, ONCALL_CONTACT, ONCALL_NAME, ONCALL_NUMBER, ONCALL_DIAL, ONCALL_RING_S, ONCALL_CALLER_ID,
)

# UserEvent the dialplan sends when the caller leaves the IVR (Action, Target), for the AMI listener.
IVR_EVENT = "PermanenceIvr"

# UserEvent the dialplan sends once the DNIS is known, for the AMI listener.
CALL_EVENT = "PermanenceCall"

# UserEvent the dialplan sends when a caller overflows from a queue (Queue, Reason, Action, Target).
OVERFLOW_EVENT = "PermanenceOverflow"

# UserEvent the dialplan sends on a callback's conversation (Of, Request, Attempt, Status: the agent
# answered, then the caller's DIALSTATUS).
CALLBACK_EVENT = "PermanenceCallback"

# UserEvent the dialplan sends on the on-call hand-off (Status: dialling, with Contact, Name and Number;
# then answered, sent from the contact's channel, or the DIALSTATUS of a call nobody took; or the route's
# ONCALL_STATUS when nobody could be dialled).
ONCALL_EVENT = "PermanenceOncall"

# Also in every Exit's variables (ivr.engine), beside IVR_ACTION and IVR_TARGET and the values
# collected by collect nodes; the dialplan need not read them.
IVR_MENU = "IVR_MENU"  # the menu and node the call left the menus from
IVR_NODE = "IVR_NODE"
IVR_QUEUE_OPTION_PREFIX = "IVR_QUEUE_"  # + a queue node's option name upper-cased, e.g. IVR_QUEUE_TIMEOUT

# An agent's feature code (extensions.conf, permanence-internal: *41 … *44, agi/routes/agent.py): the
# extension such a call dials starts with this. It is no conversation: the call history leaves it out.
FEATURE_CODE_PREFIX = "*"
