// The Node producer of tests/test_browser.py: `@segment/analytics-node` sending every planned
// event and identify through the generated package's typed tracker, then the deliberately
// invalid events untyped, to SERVE_URL (a `codegen serve`). Input (env): PACKAGE_DIR (the built
// package), CONFIG (the JSON file the browser page reads), SERVE_URL.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Analytics } from "@segment/analytics-node";

const pkg = await import(pathToFileURL(join(process.env.PACKAGE_DIR, "dist", "index.js")).href);
const config = JSON.parse(readFileSync(process.env.CONFIG, "utf8"));
const errors = [];
const client = new Analytics({ writeKey: config.writeKey, host: process.env.SERVE_URL, flushAt: 100 });
client.on("error", (error) => errors.push(String(error?.reason ?? error?.code ?? error)));
const violations = [];
const tracker = new pkg.Tracker(client, { mode: "strict", onViolation: (v) => violations.push(v) });
tracker.identify(config.userId, config.identify);
for (const e of config.events) {
  tracker[e.method](e.properties, e.anonymous ? { anonymousId: "anon-node" } : { userId: config.userId });
}
for (const e of config.untyped) client.track({ userId: config.userId, ...e });
await client.closeAndFlush();
process.stdout.write(JSON.stringify({ errors, violations }));
