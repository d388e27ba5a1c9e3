"""Every intentional difference between the judges of a message, in one place, with its reason.

Judges: ``formats.py`` (the one definition), ``sdk`` (the generated models), ``sdk-tracker``
(its tracker methods in ``strict``), ``python-jsonschema`` (Draft 2020-12 with every format
checker installed), ``jsonschema-rs`` (``validate_formats=True``), ``validate`` (``codegen
validate``: fast path, then the precise pass), ``typescript`` (the TypeScript package's Ajv
standalone validator: the published schema, so it shares the schema judges' limits) and
``typescript-tracker`` (its tracker methods in ``strict``, which check identity as the Python SDK
does). tests/test_formats.py and tests/test_oracle.py
fail on any disagreement not listed here, and on a listed one that no longer happens.

Keys are ``(judge, topic, value)``: for string formats the topic is the format and the value
the string; for whole-message rules the topic names the rule and the value the case.
"""

from __future__ import annotations

# (format, value, valid?) — near misses next to the valid strings they resemble
TABLE: dict[str, list[tuple[str, bool]]] = {
    "date-time": [
        ("2026-03-01T10:00:00Z", True),
        ("2026-03-01t10:00:00z", True),  # RFC 3339 5.6: T and Z may be lowercase
        ("2026-03-01T10:00:00.123456789Z", True),  # any number of fractional digits
        ("2026-03-01T10:00:00-00:00", True),  # "unknown local offset", still valid
        ("2026-03-01T10:00:00+23:59", True),
        ("2024-02-29T10:00:00Z", True),
        ("2026-03-01 10:00:00Z", False),  # space separator: ISO 8601, not RFC 3339
        ("2026-03-01T10:00:00+0100", False),  # offset without colon
        ("2026-03-01T10:00:00+01:00:30", False),  # offset with seconds
        ("2026-03-01T10:00:00", False),  # no offset
        ("2026-03-01T10:00Z", False),  # no seconds
        ("2026-03-01T10:00:00.Z", False),
        ("2026-03-01T10:00:00,5Z", False),
        ("2026-03-01T24:00:00Z", False),
        ("2026-03-01T10:00:60Z", False),
        ("2016-12-31T23:59:60Z", False),  # a real leap second: decided, see KNOWN_DIFFERENCES
        ("2026-03-01T23:59:60Z", False),
        ("0000-01-01T00:00:00Z", False),  # year 0000: decided, see KNOWN_DIFFERENCES
        ("2026-02-29T10:00:00Z", False),
        ("2026-03-01T10:00:00+24:00", False),
        ("2026-03-01T10:00:00Z\n", False),
        ("２026-03-01T10:00:00Z", False),
    ],
    "date": [
        ("2026-03-01", True),
        ("2024-02-29", True),
        ("0001-01-01", True),
        ("0000-01-01", False),
        ("2026-02-29", False),
        ("2026-3-01", False),
        ("2026-13-01", False),
        ("20260301", False),
        ("2026-03-01\n", False),
        ("2026-03-01T00:00:00Z", False),
    ],
    "email": [
        ("jane.doe@example.com", True),
        ("a+tag@x.co", True),
        ('"a b"@x.com', True),
        ("a@[127.0.0.1]", True),
        ("a@[IPv6:2001:db8::1]", True),
        ("a@xn--bcher-kva.ch", True),
        ("a@localhost", True),
        ("Jane <jane@example.com>", False),  # a display name is not an address
        ("a..b@x.com", False),
        (".a@x.com", False),
        ("a.@x.com", False),
        ("a@-x.com", False),
        ("a@x-.com", False),
        ("a@x..com", False),
        ("a@x.com.", False),
        ("a@x.com\n", False),
        ("a@@x.com", False),
        ("a b@x.com", False),
        ("ü@x.com", False),
        ("a@ü.com", False),
        ("a@x_y.com", False),
        ("a@ab--c.com", False),
        ("a@[1.2.3]", False),
        ("x" * 65 + "@a.com", False),
        ("a@" + "x" * 64 + ".com", False),
        ("jane", False),
    ],
    "hostname": [
        ("example.com", True),
        ("xn--bcher-kva.ch", True),
        ("localhost", True),
        ("a-b.c0m", True),
        ("example.com.", False),
        ("-a.com", False),
        ("a-.com", False),
        ("a_b.com", False),
        ("a" * 64 + ".com", False),
        ("ü.com", False),
        ("a..b", False),
        ("", False),
        ("a.com\n", False),
        ("ab--c.com", False),
    ],
    "uri": [
        ("https://example.com/p/1?q=a#top", True),
        ("urn:isbn:0451450523", True),
        ("mailto:jane@example.com", True),
        ("https://[2001:db8::1]:8080/", True),
        ("http://u:p@192.0.2.1/%20", True),
        ("example.com", False),
        ("/relative/path", False),
        ("https://x.com/a b", False),
        ("https://x.com/%zz", False),
        ("http://ü.com", False),
        ("1a:b", False),
        ("https://x.com/\n", False),
        ("https://x.com#a#b", False),
        ("https://[::1/", False),
    ],
    "uuid": [
        ("123e4567-e89b-42d3-a456-426614174000", True),
        ("123E4567-E89B-42D3-A456-426614174000", True),
        ("00000000-0000-0000-0000-000000000000", True),
        ("123e4567e89b42d3a456426614174000", False),
        ("{123e4567-e89b-42d3-a456-426614174000}", False),
        ("urn:uuid:123e4567-e89b-42d3-a456-426614174000", False),
        ("123e4567-e89b-42d3-a456-42661417400", False),
        ("123e4567-e89b-42d3-a456-426614174000\n", False),
    ],
    "ipv4": [
        ("192.0.2.1", True),
        ("0.0.0.0", True),
        ("255.255.255.255", True),
        ("01.2.3.4", False),
        ("256.1.1.1", False),
        ("1.2.3", False),
        ("1.2.3.4\n", False),
        ("١.2.3.4", False),
        ("1.2.3.4/24", False),
    ],
    "ipv6": [
        ("::1", True),
        ("2001:db8::1", True),
        ("::ffff:192.0.2.1", True),
        ("::", True),
        ("2001:DB8::1", True),
        ("fe80::1%eth0", False),
        ("1::2::3", False),
        ("::1\n", False),
        ("1:2:3:4:5:6:7:8:9", False),
        ("::ffff:01.2.3.4", False),
    ],
}

_PY_LOOSE_EMAIL = "python-jsonschema's email check is only `'@' in value`"
_RS_LEAP = (
    "jsonschema-rs accepts second 60 at 23:59 UTC on any date; we reject leap seconds: Python's "
    "datetime cannot hold one, so the SDK could never send it"
)
_RS_YEAR0 = "jsonschema-rs accepts year 0000; Python's date starts at year 1"
_RS_DISPLAY = "jsonschema-rs (email_address crate) accepts a display name `Name <addr>`"
_PY_NEWLINE = "python-jsonschema ({}) ignores a final newline"
# (judge, format, value) -> why that judge differs from plan/formats.py on purpose.
# `validate` answers with jsonschema-rs for whatever its fast path does not accept, so each
# jsonschema-rs difference is also a `validate` difference.
KNOWN_DIFFERENCES: dict[tuple[str, str, str], str] = {
    **{
        ("python-jsonschema", "email", value): _PY_LOOSE_EMAIL
        for value, valid in TABLE["email"]
        if not valid and "@" in value
    },
    **{
        (judge, "date-time", value): _RS_LEAP
        for judge in ("jsonschema-rs", "validate")
        for value in ("2016-12-31T23:59:60Z", "2026-03-01T23:59:60Z")
    },
    **{
        (judge, fmt, value): _RS_YEAR0
        for judge in ("jsonschema-rs", "validate")
        for fmt, value in (("date-time", "0000-01-01T00:00:00Z"), ("date", "0000-01-01"))
    },
    **{
        (judge, "email", "Jane <jane@example.com>"): _RS_DISPLAY
        for judge in ("jsonschema-rs", "validate")
    },
    ("python-jsonschema", "date-time", "2026-03-01T10:00:00Z\n"): _PY_NEWLINE.format(
        "rfc3339-validator"
    ),
    ("python-jsonschema", "hostname", "a.com\n"): _PY_NEWLINE.format("fqdn"),
    ("python-jsonschema", "hostname", "example.com."): "fqdn accepts a fully qualified final dot",
    ("python-jsonschema", "hostname", "ab--c.com"): (
        "fqdn does not reserve `--` in positions 3-4 for IDNA A-labels (RFC 5891 4.2.3.1)"
    ),
    ("python-jsonschema", "uri", "https://x.com/\n"): _PY_NEWLINE.format("rfc3987-syntax"),
}

# Whole-message rules (topic, label as tests/test_oracle.py names its cases).
_PY_RE = (
    "python-jsonschema runs `pattern` with Python's re, where `$` also matches before a final "
    "newline and `\\d` matches any Unicode digit (ECMA-262: only at the end, only ASCII digits)"
)
_NO_SCHEMA = (
    "no JSON Schema can say that a trait equals userId; the SDK checks it, `validate` does not "
    "yet (codegen/validate: open item)"
)
_EMAIL_ID = (
    "the published schemas state userId's type and pattern only; `validate` and the SDK also "
    "reject an email as userId (the person's stable id is the primary id, email is a trait)"
)
KNOWN_DIFFERENCES.update(
    {
        ("python-jsonschema", "pattern", "final newline before $"): _PY_RE,
        ("python-jsonschema", "pattern", "Arabic-Indic digits for \\d"): _PY_RE,
        ("python-jsonschema", "identity", "userId final newline before $"): _PY_RE,
        **{
            (judge, "identity", "userId is an email, no userId pattern"): _EMAIL_ID
            for judge in ("python-jsonschema", "jsonschema-rs", "typescript")
        },
        **{
            (judge, "identity", "primary id differs"): _NO_SCHEMA
            for judge in ("python-jsonschema", "jsonschema-rs", "validate", "typescript")
        },
    }
)
