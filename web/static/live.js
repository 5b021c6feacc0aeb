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
      cell(body.insertRow(), labels["live.none"], "empty").colSpan = table.tHead.rows[0].cells.length;
    }
    items.forEach((item) => render(body.insertRow(), item));
  };
  const setStatus = (key, className) => {
    status.textContent = labels[key];
    status.className = `status ${className}`;
  };

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
    fill("live-queues", queues, (row, [name, callers]) => {
      row.dataset.queue = name;
      cell(row, name);
      cell(row, String(callers.length), "num waiting");
      cell(row, duration(longest(callers)), "num");
    });
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
