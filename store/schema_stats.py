"""Migration 22's text: the statistics' rollups (store/stats.py reads them; web/STATS.md says what they hold).

Why rollups rather than a covering index: a busy client has some 80 000 calls in 30 days, and the
statistics read them in five passes (totals, queues, hours, waits, reasons); even index-only (a
covering index, measured on 1 M calls), one pass took 8-50 ms. The rollups hold the same sums per client,
queue and UTC day, hour or 15-minute slot, so a month is a few hundred to a few thousand rows; the
partial slots at the period's ends are read from `calls` (a few hundred calls at most).

They are kept by triggers on `calls` and `ivr_steps`, so every writer keeps them exact in the same
transaction: the listener's upsert, a call rewritten or recovered from CEL, a deletion, plain SQL.
Sums are whole milliseconds (exact; floats added and taken away would drift); the longest wait is
read again from `calls` when the call holding it goes. The 90th percentile cannot be summed: waits are
counted per whole second (`ceil(wait_s)`) and day, which finds the second holding the rank, and the
exact wait is read from `calls` within that second (index calls_client_wait); the same counts give
the service level for any whole threshold T, since `wait_s <= T` is `ceil(wait_s) <= T`.

A call is rolled up when it is counted (finished, offered) and its start is the store's ISO form; a
start in any other form is read from `calls` (index calls_odd_start, normally empty). This text is a
shipped migration: never edit it, add another.
"""

# ruff: noqa: S608 - the migration text is built from fixed fragments, never from input

from __future__ import annotations

ISO_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z"
NOT_OFFERED_SQL = "('in_progress', 'unknown_did')"


def _counted(r: str) -> str:
    return f"{r}.disposition NOT IN {NOT_OFFERED_SQL} AND {r}.started_at GLOB '{ISO_GLOB}'"


def _slot(r: str) -> str:
    return f"substr({r}.started_at, 1, 14) || printf('%02d', CAST(substr({r}.started_at, 15, 2) AS INTEGER) / 15 * 15)"


def _day(r: str) -> str:
    return f"substr({r}.started_at, 1, 10)"


def _ms(x: str) -> str:
    return f"coalesce(CAST(round({x} * 1000) AS INTEGER), 0)"


def _digit(x: str) -> str:  # a key column cannot be NULL: NULL is '', a digit K is 'dK'
    return f"CASE WHEN {x} IS NULL THEN '' ELSE 'd' || {x} END"


def _bucket(x: str) -> str:  # ceil(x) without the math functions, which SQLite may lack
    return f"(CAST({x} AS INTEGER) + ({x} > CAST({x} AS INTEGER)))"


def _key(r: str) -> str:
    return f"coalesce({r}.client_code, ''), {r}.queue IS NOT NULL, coalesce({r}.queue, '')"


def _match(r: str) -> str:
    return (f"client = coalesce({r}.client_code, '') AND queued = ({r}.queue IS NOT NULL) "
            f"AND queue = coalesce({r}.queue, '')")


_SLOT_SUMS = ("offered", "answered", "abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours", "failed",
              "waits", "wait_ms", "answered_waits", "answered_wait_ms", "answered_talks", "answered_talk_ms",
              "talk_ms")


def _slot_values(r: str) -> list[str]:
    answered = f"{r}.disposition = 'answered'"
    return ["1", answered, *(f"{r}.disposition = '{d}'" for d in (
        "abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours", "failed")),
        f"{r}.wait_s IS NOT NULL", _ms(f"{r}.wait_s"),
        f"({answered} AND {r}.wait_s IS NOT NULL)", f"CASE WHEN {answered} THEN {_ms(f'{r}.wait_s')} ELSE 0 END",
        f"({answered} AND {r}.talk_s IS NOT NULL)", f"CASE WHEN {answered} THEN {_ms(f'{r}.talk_s')} ELSE 0 END",
        _ms(f"{r}.talk_s")]


def _add_sums(r: str, table: str, unit: str, value: str) -> str:
    return f"""
        INSERT INTO {table} (client, queued, queue, {unit}, {', '.join(_SLOT_SUMS)}, wait_max)
        SELECT {_key(r)}, {value}, {', '.join(_slot_values(r))}, {r}.wait_s WHERE {_counted(r)}
        ON CONFLICT (client, {unit}, queued, queue) DO UPDATE SET
            {', '.join(f'{c} = {c} + excluded.{c}' for c in _SLOT_SUMS)},
            wait_max = CASE WHEN wait_max IS NULL OR excluded.wait_max > wait_max
                            THEN coalesce(excluded.wait_max, wait_max) ELSE wait_max END;"""


def _hour_counts(r: str, sign: str) -> str:
    return f"""
        INSERT INTO stats_hours (client, hour, offered, answered, abandoned)
        SELECT coalesce({r}.client_code, ''), substr({r}.started_at, 1, 13), {sign}1,
               {sign}({r}.disposition = 'answered'),
               {sign}({r}.disposition IN ('abandoned_ivr', 'abandoned_queue')) WHERE {_counted(r)}
        ON CONFLICT (client, hour) DO UPDATE SET offered = offered + excluded.offered,
            answered = answered + excluded.answered, abandoned = abandoned + excluded.abandoned;"""


def _add_waits(r: str, table: str, unit: str, width: int) -> str:
    return f"""
        INSERT INTO {table} (client, queued, queue, {unit}, bucket, waits, answered)
        SELECT {_key(r)}, substr({r}.started_at, 1, {width}), {_bucket(f'{r}.wait_s')}, 1,
               {r}.disposition = 'answered'
        WHERE {_counted(r)} AND {r}.wait_s IS NOT NULL
        ON CONFLICT (client, {unit}, queued, queue, bucket) DO UPDATE SET
            waits = waits + 1, answered = answered + excluded.answered;"""


def _take_waits(r: str, table: str, unit: str, width: int) -> str:
    return f"""
        UPDATE {table} SET waits = waits - 1, answered = answered - ({r}.disposition = 'answered')
        WHERE {_match(r)} AND {unit} = substr({r}.started_at, 1, {width}) AND bucket = {_bucket(f'{r}.wait_s')}
          AND {_counted(r)} AND {r}.wait_s IS NOT NULL;"""


def _add_call(r: str) -> str:
    return f"""{_add_sums(r, 'stats_slots', 'slot', _slot(r))}{_add_sums(r, 'stats_days', 'day', _day(r))}
        {_hour_counts(r, '')}
{_add_waits(r, 'stats_waits', 'day', 10)}{_add_waits(r, 'stats_hour_waits', 'hour', 13)}
        INSERT INTO stats_reasons (client, queued, queue, hour, menu, node, digit, outcome, calls)
        SELECT {_key(r)}, substr({r}.started_at, 1, 13), s.menu, s.node, {_digit('s.digit')}, s.outcome, 1
        FROM (SELECT DISTINCT menu, node, digit, outcome FROM ivr_steps
              WHERE linkedid = {r}.linkedid AND kind = 'menu' AND outcome LIKE 'choice %') s
        WHERE {_counted(r)}
        ON CONFLICT (client, hour, queued, queue, menu, node, digit, outcome) DO UPDATE SET calls = calls + 1;"""


def _take_call(r: str) -> str:
    values = _slot_values(r)
    return f"""
        UPDATE stats_slots SET {', '.join(f'{c} = {c} - ({v})' for c, v in zip(_SLOT_SUMS, values, strict=True))}
        WHERE {_match(r)} AND slot = {_slot(r)} AND {_counted(r)};
        UPDATE stats_slots SET wait_max = (
            SELECT max(c.wait_s) FROM calls c
            WHERE c.client_code IS {r}.client_code AND c.started_at >= substr({r}.started_at, 1, 13)
              AND c.started_at < substr({r}.started_at, 1, 13) || ';' AND {_slot('c')} = {_slot(r)}
              AND c.queue IS {r}.queue AND {_counted('c')})
        WHERE {_match(r)} AND slot = {_slot(r)} AND {_counted(r)} AND wait_max <= {r}.wait_s;
        UPDATE stats_days SET {', '.join(f'{c} = {c} - ({v})' for c, v in zip(_SLOT_SUMS, values, strict=True))}
        WHERE {_match(r)} AND day = {_day(r)} AND {_counted(r)};
        UPDATE stats_days SET wait_max = (
            SELECT max(s.wait_max) FROM stats_slots s WHERE s.client = stats_days.client
              AND s.queued = stats_days.queued AND s.queue = stats_days.queue
              AND s.slot >= stats_days.day AND s.slot < stats_days.day || 'U')
        WHERE {_match(r)} AND day = {_day(r)} AND {_counted(r)} AND wait_max <= {r}.wait_s;
        {_hour_counts(r, '-')}
{_take_waits(r, 'stats_waits', 'day', 10)}{_take_waits(r, 'stats_hour_waits', 'hour', 13)}
        UPDATE stats_reasons SET calls = calls - 1
        WHERE {_match(r)} AND hour = substr({r}.started_at, 1, 13) AND {_counted(r)} AND EXISTS (
            SELECT 1 FROM ivr_steps s WHERE s.linkedid = {r}.linkedid AND s.kind = 'menu'
              AND s.outcome LIKE 'choice %' AND s.menu = stats_reasons.menu AND s.node = stats_reasons.node
              AND {_digit('s.digit')} = stats_reasons.digit AND s.outcome = stats_reasons.outcome);"""


def _other_step(s: str) -> str:
    """Another step of the call with the same reason (a call counts once per reason)."""
    return (f"EXISTS (SELECT 1 FROM ivr_steps o WHERE o.linkedid = {s}.linkedid AND o.rowid != {s}.rowid "
            f"AND o.kind = 'menu' AND o.menu = {s}.menu AND o.node = {s}.node AND o.digit IS {s}.digit "
            f"AND o.outcome = {s}.outcome)")


def _is_reason(s: str) -> str:
    return f"{s}.kind = 'menu' AND {s}.outcome LIKE 'choice %'"


def _add_step(s: str) -> str:
    return f"""
        INSERT INTO stats_reasons (client, queued, queue, hour, menu, node, digit, outcome, calls)
        SELECT {_key('c')}, substr(c.started_at, 1, 13), {s}.menu, {s}.node, {_digit(f'{s}.digit')}, {s}.outcome, 1
        FROM calls c WHERE c.linkedid = {s}.linkedid AND {_counted('c')} AND {_is_reason(s)} AND NOT {_other_step(s)}
        ON CONFLICT (client, hour, queued, queue, menu, node, digit, outcome) DO UPDATE SET calls = calls + 1;"""


def _take_step(s: str, row: str) -> str:
    """`row` is the step's row now (OLD after a delete, NEW after an update): the other steps exclude it."""
    other = _other_step(s).replace(f"o.rowid != {s}.rowid", f"o.rowid != {row}.rowid")
    return f"""
        UPDATE stats_reasons SET calls = calls - 1
        WHERE (client, queued, queue, hour) = (
            SELECT {_key('c')}, substr(c.started_at, 1, 13) FROM calls c
            WHERE c.linkedid = {s}.linkedid AND {_counted('c')})
          AND menu = {s}.menu AND node = {s}.node AND digit = {_digit(f'{s}.digit')} AND outcome = {s}.outcome
          AND {_is_reason(s)} AND NOT {other};"""


_WATCHED = "linkedid, client_code, started_at, disposition, queue, wait_s, talk_s"
_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED.split(", "))


def _populate() -> str:
    slot_sums = ", ".join(f"sum({v})" for v in _slot_values("c"))
    return f"""
    INSERT INTO stats_slots (client, queued, queue, slot, {', '.join(_SLOT_SUMS)}, wait_max)
    SELECT {_key('c')}, {_slot('c')}, {slot_sums}, max(c.wait_s) FROM calls c WHERE {_counted('c')}
    GROUP BY 1, 2, 3, 4;
    INSERT INTO stats_days (client, queued, queue, day, {', '.join(_SLOT_SUMS)}, wait_max)
    SELECT {_key('c')}, {_day('c')}, {slot_sums}, max(c.wait_s) FROM calls c WHERE {_counted('c')}
    GROUP BY 1, 2, 3, 4;
    INSERT INTO stats_hours (client, hour, offered, answered, abandoned)
    SELECT coalesce(c.client_code, ''), substr(c.started_at, 1, 13), count(*), sum(c.disposition = 'answered'),
           sum(c.disposition IN ('abandoned_ivr', 'abandoned_queue')) FROM calls c WHERE {_counted('c')}
    GROUP BY 1, 2;
    INSERT INTO stats_waits (client, queued, queue, day, bucket, waits, answered)
    SELECT {_key('c')}, substr(c.started_at, 1, 10), {_bucket('c.wait_s')}, count(*), sum(c.disposition = 'answered')
    FROM calls c WHERE {_counted('c')} AND c.wait_s IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO stats_hour_waits (client, queued, queue, hour, bucket, waits, answered)
    SELECT {_key('c')}, substr(c.started_at, 1, 13), {_bucket('c.wait_s')}, count(*), sum(c.disposition = 'answered')
    FROM calls c WHERE {_counted('c')} AND c.wait_s IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO stats_reasons (client, queued, queue, hour, menu, node, digit, outcome, calls)
    SELECT {_key('c')}, substr(c.started_at, 1, 13), s.menu, s.node, {_digit('s.digit')}, s.outcome,
           count(DISTINCT c.linkedid)
    FROM calls c JOIN ivr_steps s ON s.linkedid = c.linkedid
    WHERE {_counted('c')} AND {_is_reason('s')} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    """


_COUNTS = ", ".join(f"{c} INTEGER NOT NULL" for c in _SLOT_SUMS)

STATS_ROLLUPS = f"""
    CREATE TABLE stats_slots (
        client TEXT NOT NULL, queued INTEGER NOT NULL, queue TEXT NOT NULL, slot TEXT NOT NULL,
        {_COUNTS}, wait_max REAL,
        PRIMARY KEY (client, slot, queued, queue)
    ) WITHOUT ROWID;
    CREATE TABLE stats_days (
        client TEXT NOT NULL, queued INTEGER NOT NULL, queue TEXT NOT NULL, day TEXT NOT NULL,
        {_COUNTS}, wait_max REAL,
        PRIMARY KEY (client, day, queued, queue)
    ) WITHOUT ROWID;
    CREATE TABLE stats_hours (
        client TEXT NOT NULL, hour TEXT NOT NULL,
        offered INTEGER NOT NULL, answered INTEGER NOT NULL, abandoned INTEGER NOT NULL,
        PRIMARY KEY (client, hour)
    ) WITHOUT ROWID;
    CREATE TABLE stats_waits (
        client TEXT NOT NULL, queued INTEGER NOT NULL, queue TEXT NOT NULL, day TEXT NOT NULL,
        bucket INTEGER NOT NULL, waits INTEGER NOT NULL, answered INTEGER NOT NULL,
        PRIMARY KEY (client, day, queued, queue, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE stats_hour_waits (
        client TEXT NOT NULL, queued INTEGER NOT NULL, queue TEXT NOT NULL, hour TEXT NOT NULL,
        bucket INTEGER NOT NULL, waits INTEGER NOT NULL, answered INTEGER NOT NULL,
        PRIMARY KEY (client, hour, queued, queue, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE stats_reasons (
        client TEXT NOT NULL, queued INTEGER NOT NULL, queue TEXT NOT NULL, hour TEXT NOT NULL,
        menu TEXT NOT NULL, node TEXT NOT NULL, digit TEXT NOT NULL, outcome TEXT NOT NULL, calls INTEGER NOT NULL,
        PRIMARY KEY (client, hour, queued, queue, menu, node, digit, outcome)
    ) WITHOUT ROWID;
    {_populate()}
    -- The period's calls by start, counted without their rows (the top callers when the repeat index
    -- cannot serve). Not wider: with the linkedid too, the planner preferred it to calls_client_caller for
    -- a caller's calls (store/scripts.py), a scan of the client's calls.
    CREATE INDEX calls_stats ON calls(client_code, started_at, disposition, queue, caller_number);
    -- The top callers count the calls of a few callers (store/stats_callers.py): with the disposition
    -- in the caller index (migration 15's, same name and order for its readers) that reads no row.
    DROP INDEX calls_client_caller;
    CREATE INDEX calls_client_caller ON calls(client_code, caller_number, started_at DESC, disposition);
    CREATE INDEX calls_client_wait ON calls(client_code, wait_s, started_at, disposition, queue)
        WHERE wait_s IS NOT NULL;
    CREATE INDEX calls_odd_start ON calls(client_code, started_at) WHERE started_at NOT GLOB '{ISO_GLOB}';
    CREATE TRIGGER calls_stats_i AFTER INSERT ON calls BEGIN {_add_call('NEW')}
    END;
    CREATE TRIGGER calls_stats_d AFTER DELETE ON calls BEGIN {_take_call('OLD')}
    END;
    CREATE TRIGGER calls_stats_u AFTER UPDATE OF {_WATCHED} ON calls WHEN {_CHANGED}
    BEGIN {_take_call('OLD')} {_add_call('NEW')}
    END;
    CREATE TRIGGER ivr_steps_stats_i AFTER INSERT ON ivr_steps BEGIN {_add_step('NEW')}
    END;
    CREATE TRIGGER ivr_steps_stats_d AFTER DELETE ON ivr_steps BEGIN {_take_step('OLD', 'OLD')}
    END;
    CREATE TRIGGER ivr_steps_stats_u AFTER UPDATE ON ivr_steps BEGIN {_take_step('OLD', 'NEW')} {_add_step('NEW')}
    END;
"""


def _chain_from(r: str) -> str:
    """Sets the repeat columns of the call `r` (when it is still there) and of the next five calls of its
    caller to its client: those whose earlier calls changed when `r` came, went or moved."""
    def earlier(k: int) -> str:
        return (f"(SELECT p.started_at FROM calls p INDEXED BY calls_client_caller "
                f"WHERE p.client_code = calls.client_code "
                f"AND p.caller_number = calls.caller_number AND p.started_at <= calls.started_at "
                f"AND (p.started_at < calls.started_at OR p.linkedid < calls.linkedid) "
                f"ORDER BY p.started_at DESC, p.linkedid DESC LIMIT 1 OFFSET {k - 1})")
    return f"""
        UPDATE calls SET stats_repeat2 = {earlier(2)}, stats_repeat5 = {earlier(5)}
        WHERE linkedid = {r}.linkedid OR linkedid IN (
            SELECT n.linkedid FROM calls n INDEXED BY calls_client_caller
            WHERE n.client_code = {r}.client_code AND n.caller_number = {r}.caller_number
              AND n.started_at >= {r}.started_at AND (n.started_at > {r}.started_at OR n.linkedid >= {r}.linkedid)
            ORDER BY n.started_at, n.linkedid LIMIT 6);"""


_REPEAT_WATCHED = "linkedid, client_code, caller_number, started_at"

# Migration 23: the calls of a caller to a client in a row, for the top callers: each call keeps the start of the
# same caller's call to the same client 2 and 5 calls earlier (all calls, in start order). A caller has
# more than K calls in [from, to) exactly when one of its calls there has its K-th earlier call there
# too, so the callers with many calls in a period are a few rows of an index, not a month of calls.
STATS_REPEATS = f"""
    ALTER TABLE calls ADD COLUMN stats_repeat2 TEXT;
    ALTER TABLE calls ADD COLUMN stats_repeat5 TEXT;
    UPDATE calls SET stats_repeat2 = w.r2, stats_repeat5 = w.r5 FROM (
        SELECT linkedid, lag(started_at, 2) OVER chain AS r2, lag(started_at, 5) OVER chain AS r5 FROM calls
        WHERE client_code IS NOT NULL AND caller_number IS NOT NULL
        WINDOW chain AS (PARTITION BY client_code, caller_number ORDER BY started_at, linkedid)) w
    WHERE calls.linkedid = w.linkedid AND (w.r2 IS NOT NULL OR w.r5 IS NOT NULL);
    CREATE INDEX calls_repeat2 ON calls(client_code, stats_repeat2, started_at, caller_number)
        WHERE stats_repeat2 IS NOT NULL;
    CREATE INDEX calls_repeat5 ON calls(client_code, stats_repeat5, started_at, caller_number)
        WHERE stats_repeat5 IS NOT NULL;
    CREATE TRIGGER calls_repeat_i AFTER INSERT ON calls BEGIN {_chain_from('NEW')}
    END;
    CREATE TRIGGER calls_repeat_d AFTER DELETE ON calls BEGIN {_chain_from('OLD')}
    END;
    CREATE TRIGGER calls_repeat_u AFTER UPDATE OF {_REPEAT_WATCHED} ON calls
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _REPEAT_WATCHED.split(", "))}
    BEGIN {_chain_from('OLD')} {_chain_from('NEW')}
    END;
"""
