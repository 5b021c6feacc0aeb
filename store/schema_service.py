"""Migrations 8 to 17: the contact centre and the answering service (queues, directory, desk,
messages, scripts, reports, callbacks, who may read what). store/schema.py puts them after the spine's.

Never edit a migration that has shipped; add a new one.
"""

SERVICE: list[str] = [
    # 8: queues as data (store/queues.py holds the same bounds): how app_queue distributes, overflow and
    # callback settings; penalty_rules widen the skills rung over time, a JSON array of
    # {"after_s", "max_penalty"}. A queue name with no row takes the defaults.
    """
    CREATE TABLE queues (
        name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64 AND name GLOB '[a-z0-9]*'
                                     AND name NOT GLOB '*[^a-z0-9-]*'),
        client_code TEXT REFERENCES clients(code),
        label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 128),
        strategy TEXT NOT NULL DEFAULT 'rrmemory'
            CHECK (strategy IN ('ringall', 'leastrecent', 'fewestcalls', 'rrmemory', 'linear', 'wrandom')),
        ring_timeout_s INTEGER NOT NULL DEFAULT 15 CHECK (ring_timeout_s BETWEEN 1 AND 600),
        retry_s INTEGER NOT NULL DEFAULT 2 CHECK (retry_s BETWEEN 1 AND 600),
        wrapup_s INTEGER NOT NULL DEFAULT 5 CHECK (wrapup_s BETWEEN 0 AND 3600),
        max_callers INTEGER NOT NULL DEFAULT 0 CHECK (max_callers BETWEEN 0 AND 10000),
        max_wait_s INTEGER NOT NULL DEFAULT 0 CHECK (max_wait_s BETWEEN 0 AND 86400),
        announce_position INTEGER NOT NULL DEFAULT 0 CHECK (announce_position IN (0, 1)),
        announce_holdtime INTEGER NOT NULL DEFAULT 0 CHECK (announce_holdtime IN (0, 1)),
        announce_frequency_s INTEGER NOT NULL DEFAULT 0 CHECK (announce_frequency_s BETWEEN 0 AND 3600),
        music_class TEXT NOT NULL DEFAULT 'default'
            CHECK (length(music_class) BETWEEN 1 AND 64 AND music_class NOT GLOB '*[^A-Za-z0-9_-]*'),
        service_level_s INTEGER NOT NULL DEFAULT 20 CHECK (service_level_s BETWEEN 1 AND 3600),
        penalty_rules TEXT NOT NULL DEFAULT '[]'
            CHECK (json_valid(penalty_rules) AND json_type(penalty_rules) = 'array'),
        overflow_action TEXT NOT NULL DEFAULT 'voicemail'
            CHECK (overflow_action IN ('queue', 'voicemail', 'oncall', 'callback', 'hangup')),
        overflow_target TEXT NOT NULL DEFAULT ''
            CHECK (overflow_target != name AND (overflow_action = 'queue') = (overflow_target != '')),
        callback_offer INTEGER NOT NULL DEFAULT 0 CHECK (callback_offer IN (0, 1)),
        callback_after_s INTEGER NOT NULL DEFAULT 30 CHECK (callback_after_s BETWEEN 1 AND 3600),
        callback_key TEXT NOT NULL DEFAULT '1' CHECK (length(callback_key) = 1 AND callback_key GLOB '[0-9*#]'),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX queues_client ON queues(client_code);
    """,
    # 9: a client's directory (contacts; numbers E.164), its InfoPages (ordered sections in French and
    # English), its on-call rotation (members in order), the overrides (swaps, holidays) and the secret
    # of its calendar feed (a hash). A contact belongs to one client: the composite keys make a rotation
    # or an override that names another client's contact impossible.
    """
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        client_code TEXT NOT NULL REFERENCES clients(code),
        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
        role TEXT NOT NULL DEFAULT '',
        mobile TEXT CHECK (mobile IS NULL OR mobile GLOB '+[1-9][0-9]*'),
        office TEXT CHECK (office IS NULL OR office GLOB '+[1-9][0-9]*'),
        email TEXT,
        sms INTEGER NOT NULL DEFAULT 0 CHECK (sms IN (0, 1)),
        language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
        created_at TEXT NOT NULL,
        CHECK (sms = 0 OR mobile IS NOT NULL),
        UNIQUE (id, client_code)
    );
    CREATE INDEX contacts_client ON contacts(client_code, name);
    CREATE TABLE infopages (
        client_code TEXT NOT NULL REFERENCES clients(code),
        position INTEGER NOT NULL CHECK (position >= 0),
        kind TEXT NOT NULL
            CHECK (kind IN ('addresses', 'phones', 'hours', 'products', 'instructions', 'other')),
        title_fr TEXT NOT NULL DEFAULT '',
        title_en TEXT NOT NULL DEFAULT '',
        body_fr TEXT NOT NULL DEFAULT '',
        body_en TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (client_code, position)
    );
    CREATE TABLE oncall_rotations (
        client_code TEXT PRIMARY KEY REFERENCES clients(code),
        period TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
        handover TEXT NOT NULL CHECK (handover GLOB '[0-2][0-9]:[0-5][0-9]'),
        starts_on TEXT NOT NULL CHECK (date(starts_on) = starts_on),
        updated_at TEXT NOT NULL
    );
    CREATE TABLE oncall_members (
        client_code TEXT NOT NULL REFERENCES oncall_rotations(client_code) ON DELETE CASCADE,
        position INTEGER NOT NULL CHECK (position >= 0),
        contact_id INTEGER NOT NULL,
        PRIMARY KEY (client_code, position),
        FOREIGN KEY (contact_id, client_code) REFERENCES contacts(id, client_code)
    );
    CREATE INDEX oncall_members_contact ON oncall_members(contact_id);
    CREATE TABLE oncall_overrides (
        id INTEGER PRIMARY KEY,
        client_code TEXT NOT NULL REFERENCES clients(code),
        contact_id INTEGER NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL CHECK (ends_at > starts_at),
        reason TEXT NOT NULL DEFAULT 'swap' CHECK (reason IN ('swap', 'holiday', 'other')),
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        FOREIGN KEY (contact_id, client_code) REFERENCES contacts(id, client_code)
    );
    CREATE INDEX oncall_overrides_client ON oncall_overrides(client_code, ends_at);
    CREATE INDEX oncall_overrides_contact ON oncall_overrides(contact_id);
    CREATE TABLE oncall_feeds (
        client_code TEXT PRIMARY KEY REFERENCES clients(code),
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    """,
    # 10: the agent's desk. Agents log into the portal (a user bound to an agent id; a supervisor or admin
    # may be bound to one too: the softphone that rings when they listen to a call); a table rebuild as in
    # 6. Each call that reached an agent (the screen pop: who may read it and wrap it up), and the agent's
    # wrap-up of a call: a disposition code and notes, kept apart from `calls` since the agent writes them
    # while the call runs.
    """
    CREATE TABLE users_new (
        login TEXT PRIMARY KEY CHECK (length(login) BETWEEN 1 AND 64),
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'client', 'agent')),
        client_code TEXT REFERENCES clients(code),
        created_at TEXT NOT NULL,
        agent_id TEXT CHECK (agent_id IS NULL OR (agent_id GLOB '[1-9][0-9][0-9]*' AND length(agent_id) <= 6
                                                  AND agent_id NOT GLOB '*[^0-9]*')),
        CHECK ((role = 'client') = (client_code IS NOT NULL)),
        CHECK (role <> 'agent' OR agent_id IS NOT NULL),
        CHECK (role <> 'client' OR agent_id IS NULL)
    );
    INSERT INTO users_new (login, password_hash, role, client_code, created_at)
        SELECT login, password_hash, role, client_code, created_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    CREATE UNIQUE INDEX users_agent ON users(agent_id) WHERE role = 'agent';
    CREATE TABLE screen_pops (
        linkedid TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (linkedid, agent_id)
    );
    CREATE INDEX screen_pops_agent ON screen_pops(agent_id, at);
    CREATE TABLE call_wrapups (
        linkedid TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        code TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        login TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 11: messages taken for a client (on a call or not) and their dispatch. Each message keeps the
    # client's protocol as it was when it was taken (steps: JSON) and where its dispatch stands (the step
    # running and its deadline), so a restart resumes there. message_history is append-only: every
    # attempt (sent or failed, with its code or link and its deadline) and every outcome (confirmed,
    # wrong code, late, no reply, no answer, the dispatcher alerted, then acknowledging it).
    """
    CREATE TABLE dispatch_protocols (
        client_code TEXT PRIMARY KEY REFERENCES clients(code),
        steps TEXT NOT NULL CHECK (json_valid(steps)),
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        client_code TEXT NOT NULL REFERENCES clients(code),
        linkedid TEXT,
        fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),
        text TEXT NOT NULL CHECK (length(trim(text)) > 0),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'dispatching', 'delivered', 'failed')),
        steps TEXT NOT NULL CHECK (json_valid(steps)),
        step INTEGER,
        deadline TEXT,
        confirmed_at TEXT,
        confirmed_by TEXT,
        acknowledged_at TEXT,
        acknowledged_by TEXT
    );
    CREATE INDEX messages_client ON messages(client_code, id DESC);
    CREATE INDEX messages_call ON messages(linkedid) WHERE linkedid IS NOT NULL;
    CREATE INDEX messages_open ON messages(deadline) WHERE status IN ('pending', 'dispatching');
    CREATE TABLE message_history (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id),
        step INTEGER,
        channel TEXT NOT NULL CHECK (channel IN ('sms', 'phone', 'email', 'alert')),
        recipient TEXT,
        contact_id INTEGER,
        at TEXT NOT NULL,
        result TEXT NOT NULL,
        confirmed_by TEXT,
        code TEXT,
        deadline TEXT,
        token_hash TEXT UNIQUE,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX message_history_message ON message_history(message_id, id);
    CREATE INDEX message_history_sent ON message_history(channel, recipient, id) WHERE result = 'sent';
    """,
    # 12: each client's script, the questions an agent asks on its calls (JSON, checked by callscript
    # before it is kept); one per client, replaced whole.
    """
    CREATE TABLE call_scripts (
        client_code TEXT PRIMARY KEY REFERENCES clients(code),
        questions TEXT NOT NULL CHECK (json_valid(questions)),
        updated_at TEXT NOT NULL
    );
    """,
    # 13: the history filtered by disposition (a rare one — failed, in progress, messages — read through
    # the start-time index meant walking thousands of rows per page), every client's or one client's,
    # newest first as the keyset pages read it.
    """
    CREATE INDEX calls_disposition_started ON calls(disposition, started_at DESC, linkedid DESC);
    CREATE INDEX calls_client_disposition_started ON calls(client_code, disposition, started_at DESC, linkedid DESC);
    """,
    # 14: each client's daily report: when (a local time of day, the client's zone) and to whom (contacts
    # by role, explicit addresses); where it stands (the last run's due time and the last message it
    # held: every later message goes in the next report, so none is missed or sent twice); and every
    # report made, with its CSV, kept for the portal, and whether its email went.
    """
    CREATE TABLE report_settings (
        client_code TEXT PRIMARY KEY REFERENCES clients(code),
        at TEXT NOT NULL CHECK (at GLOB '[0-2][0-9]:[0-5][0-9]'),
        roles TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(roles) AND json_type(roles) = 'array'),
        emails TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(emails) AND json_type(emails) = 'array'),
        last_due_at TEXT NOT NULL,
        last_message_id INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE daily_reports (
        id INTEGER PRIMARY KEY,
        client_code TEXT NOT NULL REFERENCES clients(code),
        due_at TEXT NOT NULL,
        made_at TEXT NOT NULL,
        since_due_at TEXT NOT NULL,
        first_message_id INTEGER NOT NULL,
        last_message_id INTEGER NOT NULL,
        messages INTEGER NOT NULL CHECK (messages >= 0),
        csv TEXT NOT NULL,
        recipients TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(recipients)),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'failed', 'no_recipients', 'no_smtp')),
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at TEXT,
        detail TEXT NOT NULL DEFAULT '',
        UNIQUE (client_code, due_at)
    );
    CREATE INDEX daily_reports_client ON daily_reports(client_code, id DESC);
    CREATE INDEX daily_reports_unsent ON daily_reports(status) WHERE status = 'pending';
    """,
    # 15: a caller's calls to a client found by number (the screen pop's earlier calls, the script's
    # pre-fill from the caller's last message) without reading every call of the client.
    """
    CREATE INDEX calls_client_caller ON calls(client_code, caller_number, started_at DESC);
    """,
    # 16: callbacks: a caller who pressed the queue's callback key left the queue keeping their place
    # (queued_at: when they joined it); the back end calls the queue's agent, then the caller. Each
    # attempt (the conversation's own linkedid, the agent, what came of it) and the retries left.
    """
    CREATE TABLE callback_requests (
        id INTEGER PRIMARY KEY,
        linkedid TEXT NOT NULL,
        client_code TEXT REFERENCES clients(code),
        queue TEXT NOT NULL,
        number TEXT NOT NULL CHECK (number GLOB '+[1-9][0-9]*'),
        language TEXT NOT NULL DEFAULT 'fr',
        queued_at TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'dialling', 'connected', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX callback_requests_due ON callback_requests(status, queued_at);
    CREATE INDEX callback_requests_call ON callback_requests(linkedid);
    CREATE TABLE callback_attempts (
        id INTEGER PRIMARY KEY,
        request_id INTEGER NOT NULL REFERENCES callback_requests(id) ON DELETE CASCADE,
        linkedid TEXT NOT NULL UNIQUE,
        agent TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT CHECK (outcome IS NULL OR outcome IN ('connected', 'no_answer', 'busy', 'failed',
                                                             'agent_no_answer', 'lost'))
    );
    CREATE INDEX callback_attempts_request ON callback_attempts(request_id, id);
    """,
    # 17: a generation counter for who may read what, moved (from any process: the CLI too) whenever a
    # bearer token, a user, a recording, the client or start of a call, or a client's history window
    # changes or goes; the web app keeps tokens' users and recordings' rows in memory while it stands
    # (store.access_cache). A new token or recording moves nothing: what is not cached is read.
    """
    CREATE TABLE access_generation (n INTEGER NOT NULL);
    INSERT INTO access_generation (n) VALUES (0);
    CREATE TRIGGER tokens_access_u AFTER UPDATE ON tokens BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER tokens_access_d AFTER DELETE ON tokens BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER users_access_u AFTER UPDATE ON users BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER users_access_d AFTER DELETE ON users BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER recordings_access_u AFTER UPDATE ON recordings BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER recordings_access_d AFTER DELETE ON recordings BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER calls_access_u AFTER UPDATE OF linkedid, client_code, started_at ON calls
        WHEN OLD.linkedid IS NOT NEW.linkedid OR OLD.client_code IS NOT NEW.client_code
            OR OLD.started_at IS NOT NEW.started_at
        BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER calls_access_d AFTER DELETE ON calls BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER clients_access_u AFTER UPDATE OF history_days ON clients
        WHEN OLD.history_days IS NOT NEW.history_days BEGIN UPDATE access_generation SET n = n + 1; END;
    CREATE TRIGGER clients_access_d AFTER DELETE ON clients BEGIN UPDATE access_generation SET n = n + 1; END;
    """,
]
