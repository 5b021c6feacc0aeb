// The live wallboard: each `snapshot` event of GET /api/live (Server-Sent Events) replaces the
// state; the tables are redrawn from it, and every second so that the waits keep counting. Text
// only (textContent): nothing from the stream is ever parsed as HTML. EventSource reconnects itself.
"use strict";
(function () {
  const board = document.getElementById("wallboard");
  if (!board) return;
  const labels = JSON.parse(board.dataset.labels);
  const status = document.getElementById("live-status");
  const phone = board.dataset.phone;
  const token = document.querySelector("meta[name=csrf-token]");
  const result = document.getElementById("supervise-result");
  let snapshot = null;

  // Listen, whisper, barge: the viewer's own phone rings into the agent's call (POST /api/supervise).
  const say = (text, className) => {
    result.textContent = text;
    result.className = className;
    result.hidden = false;
  };
  async function supervise(agent, mode) {
    const response = await fetch("/api/supervise", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token.content },
      body: JSON.stringify({ agent, mode }),
    }).catch((failure) => ({ ok: false, status: 0, statusText: failure.name, json: async () => ({}) }));
    let answer = {};
    try {
      answer = await response.json();
    } catch (failure) {
      // not JSON: the status says it
    }
    if (response.ok) {
      const text = labels["supervise.placed"].replace("{phone}", answer.phone).replace("{agent}", agent);
      say(text.replace("{mode}", labels[`supervise.${mode}`]), "placed");
    } else {
      say(labels["supervise.failed"].replace("{error}", answer.error || `${response.status} ${response.statusText}`),
        "form-error");
    }
  }
  const controls = (row, agent) => {
    const td = row.insertCell();
    td.className = "supervise";
    const id = agent.interface.split("/").pop();
    if (!phone || agent.state !== "on_call" || id === phone) return;
    ["listen", "whisper", "barge"].forEach((mode) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.mode = mode;
      button.textContent = labels[`supervise.${mode}`];
      button.addEventListener("click", () => supervise(id, mode));
      td.append(button);
    });
  };

  // A failed message taken in hand by an admin (POST /api/messages/{id}/acknowledge): its row goes at
  // once, before the next snapshot drops it.
  const alertResult = document.getElementById("alert-result");
  const handled = new Set();
  async function acknowledge(id) {
    const response = await fetch(`/api/messages/${id}/acknowledge`, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": token.content },
    }).catch((failure) => ({ ok: false, status: 0, statusText: failure.name, json: async () => ({}) }));
    if (response.ok) {
      handled.add(id);
      alertResult.hidden = true;
      draw();
      return;
    }
    let answer = {};
    try {
      answer = await response.json();
    } catch (failure) {
      // not JSON: the status says it
    }
    alertResult.textContent = labels["live.alert_failed"].replace(
      "{error}", answer.error || `${response.status} ${response.statusText}`);
    alertResult.className = "form-error";
    alertResult.hidden = false;
  }
  const ackButton = (row, alert) => {
    const td = row.insertCell();
    if (board.dataset.admin !== "1") return;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = labels["live.alert_ack"];
    button.addEventListener("click", () => acknowledge(alert.message_id));
    td.append(button);
  };

  const since = (iso) => (iso ? Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000)) : null);
  const duration = (s) => {
    if (s === null || Number.isNaN(s)) return "—";
    if (s < 60) return `${s} s`;
    return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  };
  const longest = (callers) => {
    const waits = callers.map((c) => since(c.queued_at)).filter((s) => s !== null);
    return waits.length ? Math.max(...waits) : null;
  };
  const cell = (row, text, className) => {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };
  const fill = (id, items, render) => {
    const table = document.getElementById(id);
    const body = table.tBodies[0];
    body.replaceChildren();
    if (!items.length) {
      const columns = [...table.tHead.rows[0].cells].reduce((n, th) => n + th.colSpan, 0);
      cell(body.insertRow(), labels["live.none"], "empty").colSpan = columns;
    }
    items.forEach((item) => render(body.insertRow(), item));
  };
  const setStatus = (key, className) => {
    status.textContent = labels[key];
    status.className = `status ${className}`;
  };

  // A queue's row: now (callers waiting, the longest wait), its agents by state, its day so far. The
  // cues are classes (the page's CSS colours them): `warn-sl` when today's service level is under the
  // queue's target, `warn-wait` when a caller has waited longer than the queue's threshold.
  const percent = new Intl.NumberFormat(document.documentElement.lang || undefined,
    { style: "percent", maximumFractionDigits: 1 });
  const rate = (value) => (value === null || value === undefined ? "—" : percent.format(value));
  const seconds = (value) => (value === null || value === undefined ? "—" : duration(Math.round(value)));
  const count = (value) => (value === null || value === undefined ? "—" : String(value));
  function queueRow(row, queue) {
    const day = queue.today;
    const wait = since(queue.oldest_queued_at);
    const slBelow = Boolean(day) && day.service_level !== null && day.service_level < day.service_level_target;
    const waitOver = Boolean(day) && wait !== null && wait > day.service_level_s;
    row.dataset.queue = queue.queue;
    row.classList.toggle("warn-sl", slBelow);
    row.classList.toggle("warn-wait", waitOver);
    cell(row, queue.label ? `${queue.queue} — ${queue.label}` : queue.queue, "queue");
    cell(row, String(queue.waiting), "num waiting");
    const longestCell = cell(row, duration(wait), waitOver ? "num longest over" : "num longest");
    if (waitOver) longestCell.title = labels["wallboard.wait_over"].replace("{seconds}", day.service_level_s);
    ["logged_in", "ready", "on_call", "wrap_up", "not_ready"].forEach((state) => {
      cell(row, String(queue.agents[state]), `num agents ${state}`);
    });
    cell(row, count(day && day.offered), "num offered");
    cell(row, count(day && day.answered), "num answered");
    cell(row, count(day && day.abandoned), "num abandoned");
    cell(row, rate(day && day.abandon_rate), "num abandon-rate");
    const sl = cell(row, rate(day && day.service_level), slBelow ? "num sl below-target" : "num sl");
    if (day) {
      sl.title = labels["wallboard.sl_detail"].replace("{answered}", day.answered_within_sl)
        .replace("{queued}", day.queued).replace("{seconds}", day.service_level_s)
        .replace("{target}", percent.format(day.service_level_target));
    }
    cell(row, seconds(day && day.wait_avg_s), "num wait-avg");
    cell(row, seconds(day && day.aht_s), "num aht");
  }

  function draw() {
    if (!snapshot) return;
    const queues = Object.entries(snapshot.queues).sort(([a], [b]) => a.localeCompare(b));
    const everyone = queues.flatMap(([, callers]) => callers);
    document.getElementById("count-calls").textContent = String(snapshot.calls.length);
    document.getElementById("count-waiting").textContent = String(everyone.length);
    document.getElementById("longest-wait").textContent = duration(longest(everyone));
    fill("live-alerts", (snapshot.alerts || []).filter((a) => !handled.has(a.message_id)), (row, alert) => {
      row.dataset.message = String(alert.message_id);
      cell(row, `#${alert.message_id}`);
      cell(row, alert.client_code);
      cell(row, alert.text, "text");
      cell(row, duration(since(alert.alerted_at)), "num");
      ackButton(row, alert);
    });
    fill("live-queues", snapshot.board || [], queueRow);
    fill("live-agents", snapshot.agents, (row, agent) => {
      row.dataset.agent = agent.agent_id;
      row.dataset.state = agent.state;
      cell(row, agent.name);
      cell(row, labels[`agent.${agent.state}`] || agent.state, `state ${agent.state}`);
      cell(row, agent.queues.join(", "));
      cell(row, agent.reason ? labels[`reason.${agent.reason}`] || agent.reason : "", "reason");
      controls(row, agent);
    });
    fill("live-calls", snapshot.calls, (row, call) => {
      row.dataset.linkedid = call.linkedid;
      cell(row, call.caller || "—");
      cell(row, call.client_code || "—");
      cell(row, labels[`callstate.${call.state}`] || call.state);
      cell(row, call.queue || "—");
      cell(row, duration(since(call.queued_at || call.started_at)), "num");
    });
  }

  const source = new EventSource("/api/live");
  source.addEventListener("open", () => setStatus("live.connected", "connected"));
  source.addEventListener("error", () => setStatus("live.reconnecting", "reconnecting"));
  source.addEventListener("snapshot", (event) => {
    snapshot = JSON.parse(event.data);
    board.dataset.version = String(snapshot.version);
    setStatus("live.connected", "connected");
    draw();
  });
  window.setInterval(draw, 1000);
})();
