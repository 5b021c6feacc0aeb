// The login form, sent with fetch to POST /api/session (data-api) so that a refusal (wrong password,
// too many attempts: 429 with Retry-After) is shown on the form. Without this script the form posts
// itself to POST /login, which answers the form again with the reason, or a 303 to its `next`.
"use strict";
(function () {
  const form = document.getElementById("login-form");
  if (!form) return;
  const error = document.getElementById("login-error");
  const show = (text) => { error.textContent = text; error.hidden = false; };
  const local = (path) => (path && path.startsWith("/") && !path.startsWith("//") ? path : "/calls");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ login: form.elements.login.value, password: form.elements.password.value }),
      });
      if (response.ok) {
        window.location.assign(local(form.dataset.next));
        return;
      }
      if (response.status === 401) show(form.dataset.msgInvalid);
      else if (response.status === 429) {
        show(form.dataset.msgLimited.replace("{seconds}", response.headers.get("Retry-After") || "?"));
      } else show(form.dataset.msgFailed.replace("{status}", String(response.status)));
      form.elements.password.value = "";
      form.elements.password.focus();
    } catch (failure) {
      show(form.dataset.msgFailed.replace("{status}", failure.name));
    } finally {
      button.disabled = false;
    }
  });
})();
