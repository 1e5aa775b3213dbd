"""Pure-Python matcher: the reference for ``src_c/matcher.c``, with the same results on every input.

``match(header, current, mode)`` takes bytes (``current`` may be None) and returns the C codes.
The grammar is quoted in ``src_c/matcher.c``.
"""

from __future__ import annotations

import re

WEAK_LIST, STRONG_LIST, STRONG_ONE, TORNADO = 0, 1, 2, 3
ABSENT = 0x10  # flag: no current representation ("*" fails too)
NO_MATCH, MATCH, MALFORMED_HEADER, MALFORMED_CURRENT, BAD_MODE = 0, 1, -1, -2, -3

_TAG = re.compile(rb'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_OWS = re.compile(rb"[ \t]*")
_TORNADO_TOKEN = re.compile(rb'\*|(?:W/)?"[^"]*"')


def _parse_current(current: bytes) -> tuple[bytes, bool] | None:
    m = _TAG.fullmatch(current)
    return None if m is None else (m.group(2), m.group(1) is not None)


def _match_rfc(header: bytes, cur: tuple[bytes, bool] | None, exists: bool, mode: int) -> int:
    strong = mode != WEAK_LIST
    matched = star = False
    elements = 0
    n = len(header)
    i = _OWS.match(header, 0).end()  # type: ignore[union-attr]
    while True:
        if i < n and header[i] != 0x2C:  # ","
            if header[i] == 0x2A and mode != STRONG_ONE:  # "*"
                star = True
                i += 1
            else:
                m = _TAG.match(header, i)
                if m is None:
                    return MALFORMED_HEADER
                i = m.end()
                if cur is not None and m.group(2) == cur[0]:
                    if not strong or (m.group(1) is None and not cur[1]):
                        matched = True
            elements += 1
        i = _OWS.match(header, i).end()  # type: ignore[union-attr]
        if i >= n:
            break
        if header[i] != 0x2C or mode == STRONG_ONE:
            return MALFORMED_HEADER
        i = _OWS.match(header, i + 1).end()  # type: ignore[union-attr]
    if star:
        if elements != 1:
            return MALFORMED_HEADER
        return MATCH if exists else NO_MATCH
    if mode == STRONG_ONE and elements != 1:
        return MALFORMED_HEADER
    return MATCH if matched else NO_MATCH


def _match_tornado(header: bytes, current: bytes | None) -> int:
    if not current:
        return NO_MATCH
    tokens = _TORNADO_TOKEN.findall(header)
    if not tokens:
        return NO_MATCH
    if tokens[0] == b"*":
        return MATCH
    want = current[2:] if current.startswith(b"W/") else current
    for token in tokens:
        if (token[2:] if token.startswith(b"W/") else token) == want:
            return MATCH
    return NO_MATCH


def match(header: bytes, header_len: int, current: bytes | None, mode: int) -> int:
    """Same signature and results as the C ``etagcore_match``: the header length is implied
    here, and *current* is read up to a NUL byte, as C reads it."""
    exists = not mode & ABSENT
    mode &= ~ABSENT
    if not exists:
        current = None
    if mode == TORNADO:
        return _match_tornado(header, current)
    if mode not in (WEAK_LIST, STRONG_LIST, STRONG_ONE):
        return BAD_MODE
    if current is not None and b"\0" in current:
        current = current[: current.index(b"\0")]
    if current is None:
        return _match_rfc(header, None, exists, mode)
    cur = _parse_current(current)
    if cur is None:
        return MALFORMED_CURRENT
    return _match_rfc(header, cur, exists, mode)
