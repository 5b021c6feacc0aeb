// The browser tests' bridge: pytest (tests/browser/driver.py) sends one JSON command per line on
// standard input, and reads one JSON answer per line on standard output. It drives Debian's
// Chromium (/usr/bin/chromium, or $CHROMIUM) with playwright-core, which downloads no browser.
//
// Commands: {"id", "op": "open", "locale"} → a page id; {"id", "op": "call", "page", "method",
// "args"} → page[method](...args); {"id", "op": "waitFor", "page", "expression"} → once the
// expression is truthy in the page; {"id", "op": "events", "page"} → what the page reported since
// the last time (console messages, uncaught errors, responses, CSP violations, dialogs accepted);
// {"id", "op": "close", "page"}. Answers: {"id", "result"} or {"id", "error"}.
import readline from "node:readline";
import { chromium } from "playwright-core";

const ARGS = [
  "--no-sandbox", // root in a container: Chromium's own sandbox cannot start
  "--disable-gpu", "--disable-quic", "--no-first-run", "--mute-audio",
  // No call home: the machine has no network but the loopback, and Chromium would keep trying.
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const TIMEOUT_MS = 10_000;
const POLL_MS = 50;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ARGS });
const pages = new Map();
let lastPage = 0;

const freshEvents = () => ({ console: [], errors: [], responses: [], violations: [], dialogs: [] });

// Reported from the page by an init script (added over the DevTools protocol: no CSP applies to it).
function reportViolations() {
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__reportViolation(`${event.violatedDirective} ${event.blockedURI || "inline"}`);
  });
}

async function open({ locale }) {
  const context = await browser.newContext({ locale: locale || "fr-CA" });
  const entry = { context, page: null, events: freshEvents() };
  await context.exposeBinding("__reportViolation", (_source, text) => entry.events.violations.push(text));
  await context.addInitScript(reportViolations);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on("console", (message) => entry.events.console.push({ type: message.type(), text: message.text() }));
  page.on("pageerror", (error) => entry.events.errors.push(String(error)));
  // A confirm() is answered yes, as the person clicking the button would; its text is kept.
  page.on("dialog", (dialog) => {
    entry.events.dialogs.push(dialog.message());
    dialog.accept().catch(() => {});
  });
  page.on("response", (response) => entry.events.responses.push({
    url: response.url(), status: response.status(), range: response.request().headers().range || null,
  }));
  entry.page = page;
  pages.set(++lastPage, entry);
  return lastPage;
}

// What a Playwright method returned, as JSON: a navigation's response as its status and URL.
function plain(value) {
  if (value === undefined || value === null) return null;
  if (typeof value.status === "function" && typeof value.url === "function") {
    return { status: value.status(), url: value.url() };
  }
  if (["string", "number", "boolean"].includes(typeof value) || Array.isArray(value)) return value;
  if (Object.getPrototypeOf(value) === Object.prototype) return value;
  return null; // handles and locators stay in the browser
}

function entryOf(id) {
  const entry = pages.get(id);
  if (!entry) throw new Error(`no page ${id}`);
  return entry;
}

const ops = {
  open,
  async call({ page, method, args }) {
    const target = entryOf(page).page;
    if (typeof target[method] !== "function") throw new Error(`no page method ${method}`);
    return plain(await target[method](...(args || [])));
  },
  // Playwright's own waitForFunction evaluates a string with eval() inside the page, which the
  // portal's CSP forbids: poll from here instead (DevTools evaluation is not subject to the CSP).
  async waitFor({ page, expression }) {
    const target = entryOf(page).page;
    const deadline = Date.now() + TIMEOUT_MS;
    let lastError = null;
    while (Date.now() < deadline) {
      try {
        if (await target.evaluate(expression)) return null;
        lastError = null;
      } catch (error) {
        lastError = error; // a navigation in between: evaluate again in the new document
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${expression}${lastError ? `: ${lastError}` : ""}`);
  },
  async events({ page }) {
    const entry = entryOf(page);
    const events = entry.events;
    entry.events = freshEvents();
    return events;
  },
  async close({ page }) {
    await entryOf(page).context.close();
    pages.delete(page);
    return null;
  },
};

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let command = {};
  try {
    command = JSON.parse(line);
    const op = ops[command.op];
    if (!op) throw new Error(`unknown op ${command.op}`);
    const result = await op(command);
    process.stdout.write(`${JSON.stringify({ id: command.id, result })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id: command.id, error: String(error && error.message || error) })}\n`);
  }
}
await browser.close();
