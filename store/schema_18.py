"""Migrations 18 onwards: agents' logins and states, SMS delivery reports, queues' service-level targets,
named on-call schedules, the statistics' rollups. store/schema.py puts them after migrations 8-17
(store/schema_service.py).

Never edit a migration that has shipped; add a new one at the end of this list.
"""

from .schema_stats import STATS_REPEATS, STATS_ROLLUPS

LATER: list[str] = [
    # 18: agents log in and out: queue_members says which queues an agent may answer and with which penalty
    # (its skill); agent_logins who is logged in and paused with which reason, what the back end re-adds
    # after Asterisk restarts. Pause reasons are data (a digit for the phone's *43N, a label per
    # language). agent_states: each agent's state timeline as AMI tells it, one row per state, the
    # current one open (ended_at NULL); it outlives the agent (occupancy history).
    """
    CREATE TABLE pause_reasons (
        code TEXT PRIMARY KEY CHECK (code GLOB '[a-z]*' AND code NOT GLOB '*[^a-z0-9_]*' AND length(code) <= 32),
        digit TEXT UNIQUE CHECK (digit IS NULL OR (length(digit) = 1 AND digit GLOB '[0-9]')),
        label_fr TEXT NOT NULL CHECK (length(trim(label_fr)) > 0),
        label_en TEXT NOT NULL CHECK (length(trim(label_en)) > 0)
    );
    INSERT INTO pause_reasons (code, digit, label_fr, label_en) VALUES
        ('break', '1', 'Pause', 'Break'),
        ('lunch', '2', 'Repas', 'Lunch'),
        ('training', '3', 'Formation', 'Training'),
        ('backoffice', '4', 'Travail administratif', 'Back-office work'),
        ('meeting', '5', 'Réunion', 'Meeting');
    CREATE TABLE agent_logins (
        agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
        logged_in_at TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        pause_reason TEXT REFERENCES pause_reasons(code),
        paused_at TEXT,
        CHECK (paused = 1 OR pause_reason IS NULL)
    );
    CREATE TABLE agent_states (
        id INTEGER PRIMARY KEY,
        agent_id TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('logged_out', 'ready', 'ringing', 'on_call', 'wrap_up', 'not_ready')),
        reason TEXT,
        linkedid TEXT,
        queue TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE INDEX agent_states_agent ON agent_states(agent_id, started_at);
    CREATE INDEX agent_states_started ON agent_states(started_at);
    CREATE UNIQUE INDEX agent_states_open ON agent_states(agent_id) WHERE ended_at IS NULL;
    """,
    # 19: SMS delivery reports (Kannel's DLRs): an SMS attempt's delivery state — accepted by the SMS
    # centre, delivered to the phone, not delivered, rejected — and when it was reported; each report is
    # also appended to the history as an entry of its own.
    """
    ALTER TABLE message_history ADD COLUMN delivery TEXT
        CHECK (delivery IS NULL OR delivery IN ('accepted', 'delivered', 'undelivered', 'rejected'));
    ALTER TABLE message_history ADD COLUMN delivery_at TEXT;
    """,
    # 20: each queue's service-level target, the share of calls to answer within its threshold (the
    # wallboard marks a queue whose day is under it); 80 % within 20 s is the usual goal.
    """
    ALTER TABLE queues ADD COLUMN service_level_pct INTEGER NOT NULL DEFAULT 80
        CHECK (service_level_pct BETWEEN 1 AND 100);
    """,
    # 21: named on-call schedules per client: each has its own rotation, members, overrides and feed. The
    # one rotation a client had becomes its schedule `default`, which every client has (made with the
    # client by a trigger); a table rebuild as in 6 (the keys change). Menus keep the schedules each
    # version names (a live one cannot lose its schedule); a queue's overflow to the on-call target may
    # name one ('default' when it names none).
    """
    CREATE TABLE oncall_schedules (
        client_code TEXT NOT NULL REFERENCES clients(code) ON DELETE CASCADE,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 32 AND name GLOB '[a-z0-9]*'
                                  AND name NOT GLOB '*[^a-z0-9-]*'),
        label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 128),
        created_at TEXT NOT NULL,
        PRIMARY KEY (client_code, name)
    );
    INSERT INTO oncall_schedules (client_code, name, label, created_at)
        SELECT code, 'default', '', created_at FROM clients;
    CREATE TRIGGER clients_oncall_default AFTER INSERT ON clients BEGIN
        INSERT INTO oncall_schedules (client_code, name, label, created_at)
            VALUES (NEW.code, 'default', '', NEW.created_at);
    END;
    ALTER TABLE oncall_members RENAME TO oncall_members_old;
    ALTER TABLE oncall_rotations RENAME TO oncall_rotations_old;
    ALTER TABLE oncall_overrides RENAME TO oncall_overrides_old;
    ALTER TABLE oncall_feeds RENAME TO oncall_feeds_old;
    CREATE TABLE oncall_rotations (
        client_code TEXT NOT NULL,
        schedule TEXT NOT NULL,
        period TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
        handover TEXT NOT NULL CHECK (handover GLOB '[0-2][0-9]:[0-5][0-9]'),
        starts_on TEXT NOT NULL CHECK (date(starts_on) = starts_on),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (client_code, schedule),
        FOREIGN KEY (client_code, schedule) REFERENCES oncall_schedules(client_code, name) ON DELETE CASCADE
    );
    CREATE TABLE oncall_members (
        client_code TEXT NOT NULL,
        schedule TEXT NOT NULL,
        position INTEGER NOT NULL CHECK (position >= 0),
        contact_id INTEGER NOT NULL,
        PRIMARY KEY (client_code, schedule, position),
        FOREIGN KEY (client_code, schedule) REFERENCES oncall_rotations(client_code, schedule) ON DELETE CASCADE,
        FOREIGN KEY (contact_id, client_code) REFERENCES contacts(id, client_code)
    );
    CREATE TABLE oncall_overrides (
        id INTEGER PRIMARY KEY,
        client_code TEXT NOT NULL,
        schedule TEXT NOT NULL,
        contact_id INTEGER NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL CHECK (ends_at > starts_at),
        reason TEXT NOT NULL DEFAULT 'swap' CHECK (reason IN ('swap', 'holiday', 'other')),
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        FOREIGN KEY (client_code, schedule) REFERENCES oncall_schedules(client_code, name) ON DELETE CASCADE,
        FOREIGN KEY (contact_id, client_code) REFERENCES contacts(id, client_code)
    );
    CREATE TABLE oncall_feeds (
        client_code TEXT NOT NULL,
        schedule TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (client_code, schedule),
        FOREIGN KEY (client_code, schedule) REFERENCES oncall_schedules(client_code, name) ON DELETE CASCADE
    );
    INSERT INTO oncall_rotations (client_code, schedule, period, handover, starts_on, updated_at)
        SELECT client_code, 'default', period, handover, starts_on, updated_at FROM oncall_rotations_old;
    INSERT INTO oncall_members (client_code, schedule, position, contact_id)
        SELECT client_code, 'default', position, contact_id FROM oncall_members_old;
    INSERT INTO oncall_overrides (id, client_code, schedule, contact_id, starts_at, ends_at, reason, note, created_at)
        SELECT id, client_code, 'default', contact_id, starts_at, ends_at, reason, note, created_at
        FROM oncall_overrides_old;
    INSERT INTO oncall_feeds (client_code, schedule, token_hash, created_at)
        SELECT client_code, 'default', token_hash, created_at FROM oncall_feeds_old;
    DROP TABLE oncall_members_old;
    DROP TABLE oncall_rotations_old;
    DROP TABLE oncall_overrides_old;
    DROP TABLE oncall_feeds_old;
    CREATE INDEX oncall_members_contact ON oncall_members(contact_id);
    CREATE INDEX oncall_overrides_schedule ON oncall_overrides(client_code, schedule, ends_at);
    CREATE INDEX oncall_overrides_contact ON oncall_overrides(contact_id);
    ALTER TABLE menus ADD COLUMN oncall_schedules TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(oncall_schedules) AND json_type(oncall_schedules) = 'array');
    ALTER TABLE queues ADD COLUMN overflow_schedule TEXT NOT NULL DEFAULT 'default'
        CHECK (length(overflow_schedule) BETWEEN 1 AND 32 AND overflow_schedule NOT GLOB '*[^a-z0-9-]*');
    """,
    # 22: the statistics' rollups per client, queue and UTC slot, kept by triggers on calls and ivr_steps,
    # and the indexes that read the rest of a period from calls (why, and the SQL: store/schema_stats.py).
    STATS_ROLLUPS,
    # 23: each call's earlier calls by the same caller to the same client, for the top callers
    # (store/schema_stats.py).
    STATS_REPEATS,
]
