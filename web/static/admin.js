// The admin pages' forms: each <form class="api-form" data-method data-action> is sent to the admin
// API (/api/admin/…) as JSON with the session's CSRF token (X-CSRF-Token, from the page's
// <meta name="csrf-token">). Empty fields are left out (a PATCH changes only what it is given);
// data-type="integer" fields are sent as numbers, data-type="json" ones parsed (business hours);
// data-wrap="menus" sends {"menus": [fields]}.
// Success reloads the page; a refusal shows the API's message (and each problem) in the form.
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
  const body = (form) => {
    const fields = {};
    for (const element of form.elements) {
      if (!element.name || element.disabled || element.value.trim() === "") continue;
      fields[element.name] = value(element);
    }
    return form.dataset.wrap ? { [form.dataset.wrap]: [fields] } : fields;
  };
  const explain = async (response) => {
    try {
      const answer = await response.json();
      const problems = (answer.problems || []).map((p) => `${p.field || p.source || ""}: ${p.message || ""}`);
      return [answer.error || response.statusText, ...problems].join("\n");
    } catch (failure) {
      return `${response.status} ${response.statusText}`;
    }
  };

  document.querySelectorAll("form.api-form").forEach((form) => {
    const error = form.querySelector(".form-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      error.hidden = true;
      const method = form.dataset.method || "POST";
      let sent;
      try {
        sent = method === "DELETE" ? undefined : JSON.stringify(body(form));
      } catch (failure) {
        error.textContent = failure.message; // a JSON field that does not parse: nothing is sent
        error.hidden = false;
        return;
      }
      const response = await fetch(form.dataset.action, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token.content },
        body: sent,
      }).catch((failure) => ({ ok: false, status: 0, statusText: failure.name, json: async () => ({}) }));
      if (response.ok) {
        window.location.assign(form.dataset.then || window.location.pathname);
        return;
      }
      error.textContent = await explain(response);
      error.hidden = false;
    });
  });
})();
