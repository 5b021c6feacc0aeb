// The on-call page's feed button: asks POST /api/oncall/feed for a new secret of the schedule shown (with
// the session's CSRF token) and shows the feed's full address to paste into a calendar application. The
// previous address stops working, so the button says so before it asks.
"use strict";
(function () {
  const button = document.getElementById("feed-new");
  if (!button) return;
  const token = document.querySelector("meta[name=csrf-token]");
  const shown = document.getElementById("feed-url");
  const error = document.getElementById("feed-error");
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      const params = new URLSearchParams();
      if (button.dataset.client) params.set("client", button.dataset.client);
      if (button.dataset.schedule) params.set("schedule", button.dataset.schedule);
      const response = await fetch(`/api/oncall/feed?${params}`, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": token ? token.content : "" },
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error || response.statusText);
      shown.querySelector("code").textContent = new URL(answer.url, window.location.origin).href;
      shown.hidden = false;
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
})();
