"""The live page at ``/``: plain HTML and one script, no build step and no external assets.

Everything that came from traffic is put on the page with ``textContent`` (never as HTML); the
plan name, the only server-side value, is escaped. The Content-Security-Policy allows scripts
from this origin only, so nothing in a message can run.
"""

from __future__ import annotations

from html import escape

POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>codegen serve · {title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }}
h1 {{ font-size: 1.3em; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left;
  vertical-align: top; }}
td.invalid, td.malformed {{ color: #b00; font-weight: bold; }}
td.valid {{ color: #070; }}
code {{ font-size: 0.9em; word-break: break-all; }}
#totals span {{ margin-right: 1.5em; }}
</style>
</head>
<body>
<h1>codegen serve · <span id="plan">{title}</span></h1>
<p id="totals">waiting for traffic…</p>
<h2>Violations</h2>
<table><thead><tr><th>#</th><th>event</th><th>kind</th><th>where</th><th>message</th>
<th>hint</th></tr></thead><tbody id="violations"></tbody></table>
<h2>Messages</h2>
<table><thead><tr><th>#</th><th>received</th><th>type / event</th><th>result</th>
<th>message</th></tr></thead><tbody id="messages"></tbody></table>
<script src="/app.js"></script>
</body>
</html>
"""

SCRIPT = """"use strict";
const SHOWN = 100;
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function fill(id, rows, render) {
  const body = document.getElementById(id);
  const next = document.createElement("tbody");
  next.id = id;
  for (const item of rows.slice(-SHOWN).reverse()) {
    const row = document.createElement("tr");
    render(row, item);
    next.appendChild(row);
  }
  body.replaceWith(next);
}
async function refresh() {
  try {
    const [summary, violations, messages] = await Promise.all(
      ["/api/summary", "/api/violations", "/api/messages?limit=" + SHOWN].map(
        (url) => fetch(url, {cache: "no-store"}).then((r) => r.json())));
    const totals = document.getElementById("totals");
    totals.textContent = "";
    for (const [label, value] of [
        ["messages", summary.messages], ["valid", summary.valid],
        ["invalid", summary.invalid], ["violations", summary.violations],
        ["planned events never seen", summary.coverage.never_seen.length]]) {
      const span = document.createElement("span");
      span.textContent = label + ": " + value;
      totals.appendChild(span);
    }
    fill("violations", violations.violations, (row, v) => {
      cell(row, v.line); cell(row, v.event); cell(row, v.kind, "invalid");
      cell(row, v.pointer); cell(row, v.message); cell(row, v.hint);
    });
    fill("messages", messages.messages, (row, m) => {
      cell(row, m.line); cell(row, m.received_at);
      cell(row, m.event || (m.message && m.message.type));
      cell(row, m.status + (m.violations ? " (" + m.violations + ")" : ""), m.status);
      const code = document.createElement("code");
      code.textContent = JSON.stringify(m.message).slice(0, 400);
      cell(row, "").appendChild(code);
    });
  } catch (error) {
    document.getElementById("totals").textContent = "collector unreachable: " + error;
  }
}
refresh();
setInterval(refresh, 1000);
"""


def page(plan_name: str) -> str:
    return _PAGE.format(title=escape(plan_name))
