// The admin pages' forms: each <form class="api-form" data-method data-action> is sent to the admin
// API (/api/admin/…) as JSON with the session's CSRF token (X-CSRF-Token, from the page's
// <meta name="csrf-token">). Empty fields are left out (a PATCH changes only what it is given);
// data-type="integer" fields are sent as numbers, data-type="json" ones parsed (business hours);
// data-wrap="menus" sends {"menus": [fields]}. A {name} in data-action is filled with that field's
// value (URL-encoded), which is then not sent in the body (an agent's queue).
// Success reloads the page, or with data-show="result" fills the form's <dl class="form-result">
// (each <dd data-field>) from the answer (the Asterisk check and reload's report, also shown when
// refused); a refusal shows the API's message (and each problem) in the form.
"use strict";
(function () {
  const token = document.querySelector("meta[name=csrf-token]");
  const value = (element) => {
    if (element.dataset.type === "integer") return Number(element.value);
    if (element.dataset.type !== "json") return element.value;
    try {
      return JSON.parse(element.value);
    } catch (failure) {
      throw new Error(`${element.name}: ${failure.message}`);
    }
  };
  const placeholders = (form) => [...form.dataset.action.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  const target = (form) =>
    form.dataset.action.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(form.elements[name].value.trim()));
  const body = (form) => {
    const fields = {};
    const inPath = placeholders(form);
    for (const element of form.elements) {
      if (!element.name || element.disabled || element.value.trim() === "" || inPath.includes(element.name)) continue;
      fields[element.name] = value(element);
    }
    return form.dataset.wrap ? { [form.dataset.wrap]: [fields] } : fields;
  };
  const answerOf = async (response) => {
    try {
      return await response.json();
    } catch (failure) {
      return null;
    }
  };
  const explain = (response, answer) => {
    if (!answer) return `${response.status} ${response.statusText}`;
    const problems = (answer.problems || []).map((p) => `${p.field || p.source || ""}: ${p.message || ""}`);
    return [answer.error || response.statusText, ...problems].join("\n");
  };
  const show = (form, answer) => {
    const result = form.querySelector(".form-result");
    if (!result || !answer || !("ok" in answer)) return;
    for (const cell of result.querySelectorAll("[data-field]")) {
      const field = answer[cell.dataset.field];
      if (typeof field === "boolean") cell.textContent = field ? result.dataset.yes : result.dataset.no;
      else if (Array.isArray(field)) cell.textContent = field.length ? field.join("\n") : "—";
      else cell.textContent = field ?? "—";
    }
    result.classList.toggle("failed", !answer.ok);
    result.hidden = false;
  };

  document.querySelectorAll("form.api-form").forEach((form) => {
    const error = form.querySelector(".form-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      error.hidden = true;
      const result = form.querySelector(".form-result");
      if (result) result.hidden = true;
      const method = form.dataset.method || "POST";
      let sent;
      try {
        sent = method === "DELETE" ? undefined : JSON.stringify(body(form));
      } catch (failure) {
        error.textContent = failure.message; // a JSON field that does not parse: nothing is sent
        error.hidden = false;
        return;
      }
      const response = await fetch(target(form), {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token.content },
        body: sent,
      }).catch((failure) => ({ ok: false, status: 0, statusText: failure.name, json: async () => ({}) }));
      const answer = response.status === 204 ? null : await answerOf(response);
      if (form.dataset.show) show(form, answer);
      if (response.ok) {
        if (!form.dataset.show) window.location.assign(form.dataset.then || window.location.pathname);
        return;
      }
      error.textContent = explain(response, answer);
      error.hidden = false;
    });
  });
})();
