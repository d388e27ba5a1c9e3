// The browser page of tests/test_browser.py, bundled with esbuild: `@segment/analytics-next` and
// the generated TypeScript package of the example plan, sending every planned event and identify
// through the typed tracker, then the deliberately invalid events untyped (straight to
// analytics-next). Input: /config.json on the page's origin: {writeKey, cdnURL, segment, userId,
// identify, events: [{method, properties, anonymous}], untyped: [{event, properties}]}.
// The CDN settings come from `cdnURL` (a 127.0.0.1 server), so nothing leaves the machine;
// `segment` overrides their Segment.io settings as an app does to send to its own collector.
import { AnalyticsBrowser } from "@segment/analytics-next";
import { Tracker, browserClient } from "glow-shop-tracking";

const config = await (await fetch("/config.json")).json();
const analytics = AnalyticsBrowser.load(
  { writeKey: config.writeKey, cdnURL: config.cdnURL },
  { integrations: { "Segment.io": config.segment } },
);
const violations = [];
const tracker = new Tracker(browserClient(analytics), {
  mode: "strict",
  onViolation: (v) => violations.push(v),
});
tracker.identify(config.userId, config.identify);
for (const e of config.events) {
  tracker[e.method](e.properties, e.anonymous ? {} : { userId: config.userId });
}
for (const e of config.untyped) analytics.track(e.event, e.properties);
await analytics; // loaded: the settings arrived and the calls above went to the Segment.io plugin
window.result = { violations, anonymousId: analytics.instance?.user().anonymousId() ?? null };
