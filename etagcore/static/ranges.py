"""One ``bytes`` range of a file (RFC 9110 14.1.2), from untrusted header text.

    ranges-specifier = range-unit "=" range-set
    int-range        = first-pos "-" [ last-pos ]
    suffix-range     = "-" suffix-length
    first-pos, last-pos, suffix-length = 1*DIGIT          ; DIGIT is %x30-39, nothing else

Only a single range is served; a server may ignore the header otherwise (14.2), and so it does
for other units, several ranges and anything malformed. Numbers longer than 18 digits are larger
than any file and are compared as such, never converted (``int()`` refuses 4,300+ digits).
"""

from __future__ import annotations

import re
from typing import Union

__all__ = ["parse_range", "UNSATISFIABLE"]

UNSATISFIABLE = False
_RANGE = re.compile(r"[ \t]*bytes[ \t]*=[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*", re.IGNORECASE | re.ASCII)
_MAX_DIGITS = 18  # 10**18 - 1 bytes is beyond any file


def _number(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def parse_range(header: str, size: int) -> Union[tuple[int, int], None, bool]:
    """The range of a *size*-byte file as ``(first, last)`` inclusive; None to ignore the header
    (send the whole file); :data:`UNSATISFIABLE` (False) for a 416."""
    match = _RANGE.fullmatch(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None
        length = _number(last_text)
        if length == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - length), size - 1
    first = _number(first_text)
    if last_text:
        last = _number(last_text)
        if last < first:
            return None  # invalid range-spec: ignore the header
    else:
        last = size - 1
    if first >= size:
        return UNSATISFIABLE
    return first, min(last, size - 1)
