// The agent's desk: each `pop` event of GET /api/agent/events (Server-Sent Events: this agent's own
// calls only) fills the pop — caller, client, InfoPages, earlier calls, IVR path — and points the
// wrap-up form at that call; `ended` says the call is over (the form stays, to finish the notes).
// A callback's pop (pop.callback) shows a banner — the agent is calling the caller back: which call,
// which attempt, when they asked, how long they had waited — and each `callback` event whether the
// caller answered or was not reached.
// Text only (textContent): nothing from the stream is parsed as HTML. EventSource reconnects itself.
"use strict";
(function () {
  const desk = document.getElementById("desk");
  if (!desk) return;
  const labels = JSON.parse(desk.dataset.labels);
  const token = document.querySelector("meta[name=csrf-token]");
  const lang = document.documentElement.lang === "en" ? "en" : "fr";
  const $ = (id) => document.getElementById(id);
  const status = $("desk-status");
  const form = $("wrapup");
  const result = $("wrapup-result");
  let linkedid = null;

  const setStatus = (key, className) => {
    status.textContent = labels[key];
    status.className = `status ${className}`;
  };
  const when = (iso) => (iso ? new Date(iso).toLocaleString(lang) : "—");
  const element = (tag, text, className) => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  };
  const fill = (key, values) => labels[key].replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
  const callerSays = (caller, status) => {
    const line = $("pop-callback-caller");
    const key = { answered: "desk.callback_answered", not_reached: "desk.callback_not_reached" }[caller];
    line.textContent = fill(key || "desk.callback_dialling", { status: status || "" });
    line.className = caller || "dialling";
    desk.dataset.callbackCaller = caller || "dialling";
  };
  const say = (text, className) => {
    result.textContent = text;
    result.className = className;
    result.hidden = false;
  };

  function show(pop) {
    linkedid = pop.linkedid;
    desk.dataset.linkedid = pop.linkedid;
    const caller = pop.caller || {};
    $("pop-caller").textContent = [caller.number || "—", caller.name ? `(${caller.name})` : ""].join(" ").trim();
    const callback = pop.callback;
    $("pop-callback").hidden = !callback;
    if (callback) {
      $("pop-callback-of").textContent = fill("desk.callback_of", {
        at: when(callback.of_started_at), request: callback.request, attempt: callback.attempt });
      $("pop-callback-asked").textContent = fill("desk.callback_asked", {
        at: when(callback.requested_at), waited: Math.round(callback.waited_s) });
      callerSays(callback.caller, callback.caller_status);
    } else {
      delete desk.dataset.callbackCaller;
    }
    const client = pop.client;
    $("pop-client").textContent = client ? `${client.code} — ${client.name} (${client.language})` : "—";
    $("pop-queue").textContent = pop.queue || "—";
    $("pop-did").textContent = pop.did ? [pop.did.number, pop.did.label ? `(${pop.did.label})` : ""].join(" ").trim() : "—";
    $("pop-history-label").textContent = labels[caller.known ? "desk.known_caller" : "desk.unknown_caller"];
    $("pop-history").textContent = caller.known ? String(caller.calls_count) : "";
    $("pop-notes").textContent = caller.notes || "";
    $("pop-notes").hidden = !caller.notes;

    const pages = $("pop-infopages");
    pages.replaceChildren();
    const sections = client ? client.infopages : [];
    if (!sections.length) pages.append(element("p", labels["desk.no_infopages"], "empty"));
    sections.forEach((section) => {
      const block = element("section", "", `infopage ${section.kind}`);
      block.append(element("h4", section.title[lang] || section.title.fr || section.title.en || section.kind));
      block.append(element("p", section.body[lang] || section.body.fr || section.body.en || ""));
      pages.append(block);
    });

    const earlier = $("pop-earlier").tBodies[0];
    earlier.replaceChildren();
    if (!pop.earlier_calls.length) {
      const cell = earlier.insertRow().insertCell();
      cell.textContent = labels["desk.no_earlier"];
      cell.colSpan = 5;
      cell.className = "empty";
    }
    pop.earlier_calls.forEach((call) => {
      const row = earlier.insertRow();
      row.dataset.linkedid = call.linkedid;
      row.insertCell().textContent = when(call.started_at);
      row.insertCell().textContent = labels[`disposition.${call.disposition}`] || call.disposition;
      row.insertCell().textContent = call.agent || "—";
      row.insertCell().textContent = call.wrapup_code ? labels[`wrapup.${call.wrapup_code}`] : "—";
      row.insertCell().textContent = call.wrapup_notes || "";
    });

    const ivr = $("pop-ivr");
    ivr.replaceChildren();
    if (!pop.ivr_path.length) ivr.append(element("li", labels["desk.no_ivr"], "empty"));
    pop.ivr_path.forEach((step) => {
      ivr.append(element("li", `${step.menu} · ${step.node}${step.digit ? ` [${step.digit}]` : ""} → ${step.outcome}`));
    });

    form.reset();
    if (pop.wrapup) {
      form.elements.code.value = pop.wrapup.code;
      form.elements.notes.value = pop.wrapup.notes;
    }
    result.hidden = true;
    $("pop").hidden = false;
    $("desk-idle").hidden = true;
    setStatus("desk.connected", "connected on-call");
    desk.dispatchEvent(new CustomEvent("desk:pop", { detail: pop })); // the script's form (script.js)
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!linkedid) return;
    const response = await fetch(`/api/calls/${encodeURIComponent(linkedid)}/wrapup`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token.content },
      body: JSON.stringify({ code: form.elements.code.value, notes: form.elements.notes.value }),
    }).catch((failure) => ({ ok: false, status: 0, statusText: failure.name, json: async () => ({}) }));
    if (response.ok) {
      say(labels["desk.saved"], "saved");
      return;
    }
    let why = `${response.status} ${response.statusText}`;
    try {
      why = (await response.json()).error || why;
    } catch (failure) {
      // not JSON: the status says it
    }
    say(labels["desk.save_failed"].replace("{error}", why), "form-error");
  });

  const source = new EventSource("/api/agent/events");
  source.addEventListener("open", () => setStatus("desk.connected", "connected"));
  source.addEventListener("error", () => setStatus("desk.reconnecting", "reconnecting"));
  source.addEventListener("pop", (event) => show(JSON.parse(event.data)));
  source.addEventListener("callback", (event) => {
    const data = JSON.parse(event.data);
    if (data.linkedid === linkedid) callerSays(data.caller, data.status);
  });
  source.addEventListener("ended", (event) => {
    const data = JSON.parse(event.data);
    if (data.linkedid !== linkedid) return;
    desk.dataset.ended = data.linkedid;
    setStatus("desk.ended", "ended");
  });
})();
