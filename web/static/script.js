// The client's script on the agent's desk: on each pop (desk.js's `desk:pop` event) the questions of
// GET /api/calls/{id}/script — in the caller's language, pre-filled — become a form whose conditions
// show and hide questions as the agent answers; it is sent to POST /api/calls/{id}/script with the
// session's CSRF token, and the server's refusals are shown under each question. The server checks
// every answer again: what the page does here only helps the agent. Text only (textContent).
"use strict";
(function () {
  const desk = document.getElementById("desk");
  const section = document.getElementById("script");
  if (!desk || !section) return;
  const labels = JSON.parse(desk.dataset.labels);
  const token = document.querySelector("meta[name=csrf-token]");
  const form = document.getElementById("script-form");
  const holder = document.getElementById("script-questions");
  const result = document.getElementById("script-result");
  const button = form.querySelector("button[type=submit]");
  let call = null; // {linkedid, language, questions}

  const text = (texts, lang) => texts[lang] || texts.fr || texts.en || "";
  const say = (message, className) => {
    result.textContent = message;
    result.className = className;
    result.hidden = false;
  };

  function input(question, lang) {
    const id = `script-${question.key}`;
    let field;
    if (question.type === "long_text") {
      field = document.createElement("textarea");
      field.rows = 3;
    } else if (question.type === "choice" || question.type === "yes_no") {
      field = document.createElement("select");
      field.append(new Option(labels["script.choose"], ""));
      const options = question.type === "choice"
        ? question.choices.map((c) => [c.value, text(c, lang)])
        : [["true", labels["script.yes"]], ["false", labels["script.no"]]];
      options.forEach(([value, label]) => field.append(new Option(label, value)));
    } else {
      field = document.createElement("input");
      field.type = { phone: "tel", email: "email", date: "date" }[question.type] || "text";
      if (question.type === "number") field.inputMode = "decimal";
    }
    field.id = id;
    field.name = question.key;
    return field;
  }

  function build(data) {
    call = data;
    holder.replaceChildren();
    data.questions.forEach((question) => {
      const block = document.createElement("div");
      block.className = `question ${question.type}`;
      block.dataset.key = question.key;
      const label = document.createElement("label");
      label.textContent = text(question.text, data.language) + (question.required ? " *" : "");
      const field = input(question, data.language);
      label.htmlFor = field.id;
      const error = document.createElement("p");
      error.className = "field-error";
      error.id = `${field.id}-error`;
      error.hidden = true;
      field.setAttribute("aria-describedby", error.id);
      const filled = data.prefill[question.key];
      if (filled !== undefined && filled !== null) field.value = String(filled);
      block.append(label, field, error);
      holder.append(block);
    });
    document.getElementById("script-language").textContent =
      labels["script.language"].replace("{language}", data.language);
    form.dataset.linkedid = data.linkedid;
    delete form.dataset.message;
    button.disabled = false;
    result.hidden = true;
    if (data.messages.length) { // taken already (the page was opened again): said, not forbidden
      say(labels["script.already"].replace("{id}", data.messages.join(", ")), "taken");
    }
    section.hidden = !data.questions.length;
    apply();
  }

  // An answer as the server keeps it, for the conditions: yes/no a boolean, a number a number.
  function value(question) {
    const raw = form.elements[question.key].value.trim();
    if (!raw) return undefined;
    if (question.type === "yes_no") return raw === "true";
    if (question.type === "number") {
      const number = Number(raw.replace(",", "."));
      return Number.isFinite(number) ? number : raw;
    }
    return raw;
  }

  // Questions in order: one shows when each condition holds on an earlier question that shows.
  function apply() {
    if (!call) return;
    const kept = {};
    call.questions.forEach((question) => {
      const shown = (question.conditions || []).every((c) => {
        const wanted = "equals" in c ? [c.equals] : c.in;
        return c.key in kept && wanted.some((v) => v === kept[c.key]);
      });
      holder.querySelector(`.question[data-key="${question.key}"]`).hidden = !shown;
      const answer = shown ? value(question) : undefined;
      if (answer !== undefined) kept[question.key] = answer;
    });
  }

  function answers() {
    const out = {};
    call.questions.forEach((question) => {
      if (holder.querySelector(`.question[data-key="${question.key}"]`).hidden) return;
      const raw = form.elements[question.key].value.trim();
      if (raw) out[question.key] = question.type === "yes_no" ? raw === "true" : raw;
    });
    return out;
  }

  // Each refusal said in the agent's language by its kind; the server's words when the page has none.
  function showErrors(errors, kinds) {
    holder.querySelectorAll(".question").forEach((block) => {
      const why = errors[block.dataset.key];
      const kind = (kinds || {})[block.dataset.key];
      const error = block.querySelector(".field-error");
      const field = form.elements[block.dataset.key];
      error.textContent = kind === "required" ? labels["script.required"] : labels[`script.error_${kind}`] || why || "";
      error.hidden = !why;
      if (why) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!call || button.disabled) return;
    button.disabled = true;
    const response = await fetch(`/api/calls/${encodeURIComponent(call.linkedid)}/script`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token.content },
      body: JSON.stringify({ answers: answers() }),
    }).catch((failure) => ({ ok: false, status: 0, statusText: failure.name, json: async () => ({}) }));
    let body = {};
    try {
      body = await response.json();
    } catch (failure) {
      // not JSON: the status says it
    }
    if (response.ok) {
      showErrors({});
      form.dataset.message = String(body.id);
      say(labels["script.taken"].replace("{id}", body.id), "taken");
      return; // one message per walk of the script: the button stays off
    }
    button.disabled = false;
    if (response.status === 400 && body.errors) {
      showErrors(body.errors, body.kinds);
      say(labels["script.refused"], "form-error");
      return;
    }
    say(labels["script.failed"].replace("{error}", body.error || `${response.status} ${response.statusText}`),
      "form-error");
  });

  desk.addEventListener("desk:pop", async (event) => {
    const pop = event.detail;
    if (call && call.linkedid === pop.linkedid && form.dataset.linkedid === pop.linkedid) return; // same call
    section.hidden = true;
    if (!pop.client) return; // a call of no known client has no script
    const response = await fetch(`/api/calls/${encodeURIComponent(pop.linkedid)}/script`, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).catch(() => null);
    if (!response || !response.ok || desk.dataset.linkedid !== pop.linkedid) return; // no script, or moved on
    build(await response.json());
  });
})();
