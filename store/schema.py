"""Schema as forward migrations: the store is at version len(MIGRATIONS) once opened.

Never edit a migration that has shipped; add a new one at the end of store/schema_18.py
(migrations 1-7, the spine, are here; 8-17 in store/schema_service.py; 18 onwards in store/schema_18.py).
"""

from .schema_18 import LATER
from .schema_service import SERVICE

SPINE: list[str] = [
    # 1: the spine
    """
    CREATE TABLE clients (
        code TEXT PRIMARY KEY
            CHECK (code GLOB '[0-9][0-9][0-9][0-9]' OR code GLOB '[0-9][0-9][0-9][0-9][0-9]'),
        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
        language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
        timezone TEXT NOT NULL DEFAULT 'America/Toronto',
        created_at TEXT NOT NULL
    );
    CREATE TABLE dids (
        did TEXT PRIMARY KEY CHECK (did GLOB '+[1-9][0-9]*'),
        client_code TEXT NOT NULL REFERENCES clients(code),
        label TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX dids_client ON dids(client_code);
    CREATE TABLE calls (
        linkedid TEXT PRIMARY KEY,
        client_code TEXT REFERENCES clients(code),
        did TEXT,
        dialled TEXT,
        caller_number TEXT,
        caller_name TEXT,
        started_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        duration_s REAL,
        disposition TEXT NOT NULL
            CHECK (disposition IN ('answered', 'abandoned_ivr', 'abandoned_queue', 'voicemail',
                                   'closed_hours', 'unknown_did', 'failed', 'in_progress')),
        hangup_cause INTEGER,
        recovered INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX calls_client_started ON calls(client_code, started_at DESC, linkedid DESC);
    CREATE INDEX calls_started ON calls(started_at DESC, linkedid DESC);
    CREATE TABLE recordings (
        id INTEGER PRIMARY KEY,
        linkedid TEXT NOT NULL REFERENCES calls(linkedid),
        client_code TEXT NOT NULL REFERENCES clients(code),
        path TEXT NOT NULL UNIQUE,
        size_bytes INTEGER NOT NULL,
        duration_s REAL NOT NULL,
        format TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX recordings_call ON recordings(linkedid);
    CREATE TABLE users (
        login TEXT PRIMARY KEY CHECK (length(login) BETWEEN 1 AND 64),
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'client')),
        client_code TEXT REFERENCES clients(code),
        created_at TEXT NOT NULL,
        CHECK ((role = 'client') = (client_code IS NOT NULL))
    );
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX tokens_login ON tokens(login);
    """,
    # 2: IVR menus as versioned data, callers, the check-in line, the IVR path of each call
    """
    CREATE TABLE menus (
        name TEXT NOT NULL CHECK (name GLOB '[a-z0-9]*' AND name NOT GLOB '*[^a-z0-9-]*'),
        version INTEGER NOT NULL CHECK (version >= 1),
        client_code TEXT NOT NULL REFERENCES clients(code),
        source TEXT NOT NULL,
        body TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE active_menus (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        activated_at TEXT NOT NULL,
        FOREIGN KEY (name, version) REFERENCES menus(name, version)
    );
    ALTER TABLE clients ADD COLUMN entry_menu TEXT;
    ALTER TABLE clients ADD COLUMN checkin_pin_hash TEXT;
    ALTER TABLE clients ADD COLUMN checkin_failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE clients ADD COLUMN checkin_locked_until TEXT;
    CREATE TABLE checkin_attempts (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        linkedid TEXT,
        caller TEXT,
        client_code TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'bad_pin', 'unknown_client', 'locked', 'no_input'))
    );
    CREATE INDEX checkin_attempts_client ON checkin_attempts(client_code, at);
    CREATE TABLE callers (
        client_code TEXT NOT NULL REFERENCES clients(code),
        number TEXT NOT NULL,
        name TEXT,
        notes TEXT NOT NULL DEFAULT '',
        first_call_at TEXT NOT NULL,
        last_call_at TEXT NOT NULL,
        last_linkedid TEXT,
        calls_count INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (client_code, number)
    );
    CREATE TABLE ivr_steps (
        linkedid TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        menu TEXT NOT NULL,
        node TEXT NOT NULL,
        kind TEXT NOT NULL,
        digit TEXT,
        outcome TEXT NOT NULL,
        PRIMARY KEY (linkedid, seq)
    );
    """,
    # 3: a generation counter that moves whenever the data calls are routed by changes (clients,
    # DIDs, menus), so the call path can keep that data in memory and re-read it only then.
    """
    CREATE TABLE generation (n INTEGER NOT NULL);
    INSERT INTO generation (n) VALUES (0);
    CREATE TRIGGER clients_gen_i AFTER INSERT ON clients BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER clients_gen_u AFTER UPDATE OF name, language, timezone, entry_menu ON clients
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER clients_gen_d AFTER DELETE ON clients BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER dids_gen_i AFTER INSERT ON dids BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER dids_gen_u AFTER UPDATE ON dids BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER dids_gen_d AFTER DELETE ON dids BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER active_menus_gen_i AFTER INSERT ON active_menus BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER active_menus_gen_u AFTER UPDATE ON active_menus BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER active_menus_gen_d AFTER DELETE ON active_menus BEGIN UPDATE generation SET n = n + 1; END;
    """,
    # 4: the listener's bookmark in Asterisk's own durable record (CEL), per source; recordings
    # retention per client (days; NULL = keep).
    """
    CREATE TABLE listener_state (
        source TEXT PRIMARY KEY,
        position TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    ALTER TABLE clients ADD COLUMN recordings_retention_days INTEGER
        CHECK (recordings_retention_days IS NULL OR recordings_retention_days >= 1);
    """,
    # 5: purged recordings keep their row (the history says a recording existed), without the file.
    """
    ALTER TABLE recordings ADD COLUMN purged_at TEXT;
    """,
    # 6: what the queue and the agents did on each call, how it ended, its event timeline; agents
    # (SIP softphones: the digest HA1, never the password) and the queues they answer (static members);
    # supervisors, browser sessions, the recordings' access audit, each client's window and service level.
    """
    ALTER TABLE calls ADD COLUMN queue TEXT;
    ALTER TABLE calls ADD COLUMN agent TEXT;
    ALTER TABLE calls ADD COLUMN queued_at TEXT;
    ALTER TABLE calls ADD COLUMN wait_s REAL;
    ALTER TABLE calls ADD COLUMN talk_s REAL;
    ALTER TABLE calls ADD COLUMN hangup_side TEXT
        CHECK (hangup_side IS NULL OR hangup_side IN ('caller', 'agent', 'system'));
    ALTER TABLE calls ADD COLUMN transfers INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX calls_queue_started ON calls(queue, started_at);
    CREATE TABLE call_events (
        id INTEGER PRIMARY KEY,
        linkedid TEXT NOT NULL REFERENCES calls(linkedid),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        channel TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX call_events_call ON call_events(linkedid, at, id);
    CREATE TABLE agents (
        id TEXT PRIMARY KEY CHECK (id GLOB '[1-9][0-9][0-9]*' AND length(id) <= 6 AND id NOT GLOB '*[^0-9]*'),
        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
        sip_ha1 TEXT NOT NULL CHECK (length(sip_ha1) = 32),
        created_at TEXT NOT NULL
    );
    CREATE TABLE queue_members (
        queue TEXT NOT NULL,
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        penalty INTEGER NOT NULL DEFAULT 0 CHECK (penalty BETWEEN 0 AND 100),
        PRIMARY KEY (queue, agent_id)
    );
    -- Accounts: supervisors besides admins and clients (a table rebuild: SQLite cannot alter a CHECK);
    -- browser sessions with their CSRF token (hashes only); every access to a recording, audited.
    CREATE TABLE users_new (
        login TEXT PRIMARY KEY CHECK (length(login) BETWEEN 1 AND 64),
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'client')),
        client_code TEXT REFERENCES clients(code),
        created_at TEXT NOT NULL,
        CHECK ((role = 'client') = (client_code IS NOT NULL))
    );
    INSERT INTO users_new SELECT login, password_hash, role, client_code, created_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    CREATE TABLE sessions (
        session_hash TEXT PRIMARY KEY,
        login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        address TEXT
    );
    CREATE INDEX sessions_login ON sessions(login);
    CREATE TABLE recording_access (
        id INTEGER PRIMARY KEY,
        recording_id INTEGER NOT NULL REFERENCES recordings(id),
        login TEXT NOT NULL,
        at TEXT NOT NULL,
        address TEXT,
        bytes INTEGER NOT NULL,
        status INTEGER NOT NULL
    );
    CREATE INDEX recording_access_at ON recording_access(at);
    -- How far back a client sees its history (days) and its service-level threshold (seconds).
    ALTER TABLE clients ADD COLUMN history_days INTEGER NOT NULL DEFAULT 60 CHECK (history_days >= 1);
    ALTER TABLE clients ADD COLUMN service_level_s INTEGER NOT NULL DEFAULT 20 CHECK (service_level_s >= 1);
    """,
    # 7: each client's business hours, holidays and exceptional closures (JSON, in the time node's
    # syntax: ivr/FORMAT.md), the one source a menu's `hours: client` reads; NULL hours: none set. A
    # change moves the generation: the call path re-reads the client before the next call.
    """
    ALTER TABLE clients ADD COLUMN hours TEXT CHECK (hours IS NULL OR json_valid(hours));
    ALTER TABLE clients ADD COLUMN holidays TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(holidays));
    ALTER TABLE clients ADD COLUMN closures TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(closures));
    CREATE TRIGGER clients_gen_schedule AFTER UPDATE OF hours, holidays, closures ON clients
        BEGIN UPDATE generation SET n = n + 1; END;
    """,
]

MIGRATIONS: list[str] = [*SPINE, *SERVICE, *LATER]
