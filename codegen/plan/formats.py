"""String formats and the regex dialect of a tracking plan, defined once.

Every judge of a message uses this module: plan resolution (is a ``pattern`` valid?), the sample
generator, ``codegen validate``'s fast path and the generated SDK, which ships a verbatim copy
as ``<package>/_formats.py``. So it imports nothing from codegen: only the standard library,
``regress`` (ECMA-262 regular expressions, the dialect JSON Schema's ``pattern`` is written in)
and, for punycode host names only, ``idna``.

Meaning of each format (a checker per format, ``CHECKERS[name](value) -> bool``). Every value a
checker accepts is also accepted by jsonschema-rs (``validate_formats=True``, the engine of
``codegen validate``) and by python-jsonschema's ``FormatChecker`` with ``jsonschema[format-
nongpl]``. Where those judges are looser, this module is the stricter side, on purpose; the
cases are listed, with reasons, in ``tests/test_formats.py::KNOWN_DIFFERENCES``. In short:

``date``       RFC 3339 ``full-date``: ``YYYY-MM-DD``, ASCII digits, a real calendar day, year
               0001 or later (Python's ``date`` has no year 0).
``date-time``  RFC 3339 ``date-time``: ``T`` or ``t`` between date and time (never a space),
               seconds required, any number of fractional digits, ``Z``/``z`` or ``±HH:MM`` with a
               colon (``+0100`` and offsets with seconds are not RFC 3339). No leap second (second
               60): Python's ``datetime`` cannot hold one, so an SDK could never send it.
``email``      RFC 5321 ``Mailbox``, ASCII: a dot-atom or quoted-string local part of at most 64
               characters, ``@``, then a ``hostname`` or an address literal (``[192.0.2.1]``,
               ``[IPv6:2001:db8::1]``). No display names (``Jane <jane@x.com>``), no trailing dot,
               no `` <`` even inside quotes (jsonschema-rs reads it as a display name).
``hostname``   RFC 1123 host name: ASCII letters, digits and ``-`` in dot-separated labels of 1-63
               characters that neither start nor end with ``-``, at most 253 characters, no
               trailing dot; a label with ``--`` in positions 3-4 must be a valid IDNA A-label
               (``xn--…``).
``uri``        RFC 3986 ``URI`` (absolute, with a scheme), ASCII only, ``%`` followed by two hex
               digits, IPv6 literals checked as ``ipv6``.
``uuid``       RFC 4122 text form ``8-4-4-4-12`` hex digits, either case, any version.
``ipv4``       Dotted quad of decimal octets 0-255, no leading zeros, ASCII digits.
``ipv6``       RFC 4291 text form, ``::`` at most once, optional trailing dotted quad; no zone
               (``%eth0``).

Regex dialect: ``pattern`` and ``user_id_pattern`` are ECMA-262 regular expressions with the
``u`` flag, searched (not anchored) in the value, as JSON Schema says. Python's ``re`` differs
(``$`` also matches before a final newline, ``\\d``/``\\w`` match non-ASCII digits and letters,
``.`` matches ``\\r``, ``(?P<n>…)``, ``\\Z`` and ``(?>…)`` are not ECMA), so patterns are compiled
and run by ``regress`` through :func:`compile_pattern`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache

import regress

__all__ = [
    "CHECKERS",
    "FORMATS",
    "compile_pattern",
    "conforms",
    "is_date",
    "is_date_time",
    "is_email",
    "is_hostname",
    "is_ipv4",
    "is_ipv6",
    "is_uri",
    "is_uuid",
    "matcher",
    "pattern_error",
    "python_regex",
    "search",
]

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_TIME = re.compile(
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))\Z"
)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_date(value: str) -> bool:
    """RFC 3339 ``full-date``, year 0001 or later."""
    m = _DATE.match(value)
    if m is None:
        return False
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1]:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return month != 2 or day <= 28 or leap


def is_date_time(value: str) -> bool:
    """RFC 3339 ``date-time`` (``T``/``t``, colon in the offset), no leap second, year ≥ 1."""
    if len(value) < 20 or value[10] not in "Tt" or not is_date(value[:10]):
        return False
    m = _TIME.match(value, 11)
    if m is None:
        return False
    if int(m[1]) > 23 or int(m[2]) > 59 or int(m[3]) > 59:
        return False
    return m[4] is None or (int(m[4]) <= 23 and int(m[5]) <= 59)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def is_uuid(value: str) -> bool:
    """``8-4-4-4-12`` hex digits, either case, any version."""
    return _UUID.match(value) is not None


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")


def is_ipv4(value: str) -> bool:
    """Dotted quad, octets 0-255 without leading zeros."""
    return _IPV4.match(value) is not None


_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]{2,45}\Z")


def is_ipv6(value: str) -> bool:
    """RFC 4291 text form, without a zone."""
    if _IPV6_CHARS.match(value) is None:
        return False
    if "." in value and not is_ipv4(value.rsplit(":", 1)[-1]):
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


def is_hostname(value: str) -> bool:
    """RFC 1123 host name (see the module docstring), A-labels checked with IDNA 2008."""
    if not value or len(value) > 253:
        return False
    for label in value.split("."):
        if _LABEL.match(label) is None:
            return False
        if label[2:4] == "--" and not _a_label(label):
            return False
    return True


@lru_cache(maxsize=1024)
def _a_label(label: str) -> bool:
    if label[:4].lower() != "xn--":
        return False
    import idna  # only punycode labels need it

    try:
        idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    return True


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*\Z")
_QUOTED = re.compile(r'"(?:[ \t!#-\[\]-~]|\\[!-~])*"\Z')


def is_email(value: str) -> bool:
    """RFC 5321 ``Mailbox`` in ASCII (see the module docstring)."""
    local, at, domain = value.rpartition("@")
    if " <" in value:  # jsonschema-rs reads it as a display name, even inside quotes
        return False
    if not at or not local or len(local) > 64 or len(domain) > 254:
        return False
    if _DOT_ATOM.match(local) is None and (len(local) < 3 or _QUOTED.match(local) is None):
        return False
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        if literal.startswith("IPv6:"):
            return is_ipv6(literal[5:])
        return is_ipv4(literal)
    return is_hostname(domain)


_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"  # scheme
    r"(?:"
    rf"//(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*@)?"  # userinfo
    rf"(?:\[(?P<literal>[^\]/?#@]*)\]|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*)"  # host
    r"(?::[0-9]*)?"  # port
    rf"(?:/{_PCHAR}*)*"  # path-abempty
    rf"|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"  # path-absolute
    rf"|{_PCHAR}+(?:/{_PCHAR}*)*"  # path-rootless
    r"|"  # path-empty
    r")"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?"  # query
    rf"(?:#(?:{_PCHAR}|[/?])*)?\Z"  # fragment
)
_IP_FUTURE = re.compile(rf"[vV][0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+\Z")


def is_uri(value: str) -> bool:
    """RFC 3986 absolute ``URI`` (scheme required), ASCII only."""
    m = _URI.match(value)
    if m is None:
        return False
    literal = m["literal"]
    return literal is None or is_ipv6(literal) or _IP_FUTURE.match(literal) is not None


CHECKERS: dict[str, Callable[[str], bool]] = {
    "date": is_date,
    "date-time": is_date_time,
    "email": is_email,
    "hostname": is_hostname,
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "uri": is_uri,
    "uuid": is_uuid,
}
FORMATS = tuple(CHECKERS)


def conforms(fmt: str, value: str) -> bool:
    """Whether ``value`` is a valid ``fmt`` (formats this module does not define pass)."""
    check = CHECKERS.get(fmt)
    return check is None or check(value)


# -- the regex dialect ------------------------------------------------------------------------


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> regress.Regex:
    """An ECMA-262 (``u`` flag) regular expression; raises ``ValueError`` when it is not one."""
    try:
        return regress.Regex(pattern, "u")
    except regress.RegressError as exc:
        raise ValueError(f"not an ECMA-262 regular expression: {exc}") from None


def pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid ECMA-262 regular expression, or None when it is."""
    try:
        compile_pattern(pattern)
    except ValueError as exc:
        return str(exc)
    return None


def search(pattern: str, value: str) -> bool:
    """JSON Schema ``pattern``: does the ECMA-262 ``pattern`` match anywhere in ``value``?"""
    return compile_pattern(pattern).find(value) is not None


def matcher(pattern: str) -> Callable[[str], bool]:
    """:func:`search` for one pattern, compiled once."""
    find = compile_pattern(pattern).find
    return lambda value: find(value) is not None


# Python ``re`` text with exactly the ECMA meaning, for the common simple patterns (msgspec and
# other C-speed engines take Python syntax). Anything outside this subset returns None.
_PY_TOKEN = re.compile(
    r"""\\[dDwW]                 # ASCII classes under (?a), as in ECMA without the i flag
      | \\[\\^$.|?*+()\[\]{}/-]  # escaped syntax characters
      | \\[tnrfv]                # control escapes
      | \(\?[:=!]                # non-capturing group, lookahead
      | [()|?*+]                 # groups, alternation, quantifiers
      | \{[0-9]+(?:,[0-9]*)?\}   # counted quantifier
      | \^ | \$ | \.             # anchors, any character
      | \[\^?(?:[^\\\[\]]|\\[dDwW\\^$.|?*+()\[\]{}/\-tnrfv])+\]  # a plain class
      | [^\\\[\]{}()|?*+^$.]     # a literal character
    """,
    re.VERBOSE,
)


@lru_cache(maxsize=512)
def python_regex(pattern: str) -> str | None:
    """The ECMA ``pattern`` as Python ``re`` syntax with the same matches, or None."""
    if pattern_error(pattern) is not None:
        return None
    out = ["(?a)"]
    pos = 0
    while pos < len(pattern):
        m = _PY_TOKEN.match(pattern, pos)
        if m is None:
            return None
        token = m.group()
        pos = m.end()
        if token == "$":
            token = r"\Z"
        elif token == ".":
            token = "[^\\n\\r\\u2028\\u2029]"
        out.append(token)
    text = "".join(out)
    try:
        re.compile(text)
    except re.error:
        return None
    return text
