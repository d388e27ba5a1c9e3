// Opens one page in the headless Chromium that tests/test_browser.py started (shared by the
// module's tests, reached over the Chrome DevTools protocol) and reports what happened, as JSON
// on stdout. Input: argv[2] = the browser's DevTools WebSocket URL, argv[3] = a JSON command:
//   url      the page to open
//   ready    optional JavaScript expression, polled in the page until truthy
//   until    optional {url, key, atLeast}: polled from Node (no CORS) until JSON[key] >= atLeast
//   show     optional JavaScript expression evaluated in the page at the end; its value is returned
//   timeout  milliseconds for each wait (default 20000)
// Output: {result, problems, external}: `problems` lists page errors, console errors, failed
// requests and a wait that timed out; `external` every request to a host other than 127.0.0.1, which is aborted.
import { chromium } from "playwright-core";

const [endpoint, text] = process.argv.slice(2);
const command = JSON.parse(text);
const timeout = command.timeout ?? 20000;
const problems = [];
const external = [];

const browser = await chromium.connectOverCDP(endpoint);
const context = await browser.newContext();
try {
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    external.push(url.href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  let result = null;
  try {
    await page.goto(command.url);
    if (command.ready) await page.waitForFunction(command.ready, null, { timeout, polling: 100 });
    if (command.until) await poll(command.until, Date.now() + timeout);
    if (command.show) result = await page.evaluate(command.show);
  } catch (error) {
    problems.push(`gave up: ${error.message}`); // reported with what led to it
  }
  process.stdout.write(JSON.stringify({ result, problems, external }));
} finally {
  await context.close();
}
process.exit(0); // leaves the shared browser running; the test closes it

async function poll({ url, key, atLeast }, deadline) {
  for (;;) {
    const found = (await (await fetch(url)).json())[key];
    if (found >= atLeast) return;
    if (Date.now() > deadline) throw new Error(`${url}: ${key} is ${found}, not ${atLeast} yet`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
