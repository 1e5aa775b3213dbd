"""HTTP-date parsing (RFC 9110 5.6.7). Anything else is invalid and yields None.

    HTTP-date    = IMF-fixdate / obs-date
    IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT      ; Sun, 06 Nov 1994 08:49:37 GMT
    rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT    ; Sunday, 06-Nov-94 08:49:37 GMT
    asctime-date = day-name SP date3 SP time-of-day SP year         ; Sun Nov  6 08:49:37 1994

A two-digit year more than 50 years in the future means the most recent past year with those
digits. A leap second (:60) is read as :59.
"""

from __future__ import annotations

import calendar
import functools
import re
import time
from datetime import datetime, timezone

__all__ = ["parse_http_date", "format_http_date", "to_timestamp"]

_DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
_LONG_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTH = "|".join(_MONTHS)
_TIME = r"(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})"  # DIGIT is %x30-39 only (5.6.7)
_FORMATS = [
    re.compile(rf"(?:{_DAYS}), (?P<d>[0-9]{{2}}) (?P<mo>{_MONTH}) (?P<y>[0-9]{{4}}) {_TIME} GMT"),
    re.compile(rf"(?:{_LONG_DAYS}), (?P<d>[0-9]{{2}})-(?P<mo>{_MONTH})-(?P<y>[0-9]{{2}}) {_TIME} GMT"),
    re.compile(rf"(?:{_DAYS}) (?P<mo>{_MONTH}) (?P<d>[ 0-9][0-9]) {_TIME} (?P<y>[0-9]{{4}})"),
]


def parse_http_date(value: str | bytes, now: float | None = None) -> int | None:
    """Seconds since the epoch for a valid HTTP-date, else None. Surrounding spaces are allowed."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin-1")
    text = value.strip(" \t")
    for pattern in _FORMATS:
        m = pattern.fullmatch(text)
        if m is not None:
            break
    else:
        return None
    year = int(m["y"])
    if len(m["y"]) == 2:
        this_year = time.gmtime(time.time() if now is None else now).tm_year
        year += this_year - this_year % 100
        if year > this_year + 50:
            year -= 100
    second = int(m["s"])
    if second > 60:  # 60 is a leap second; nothing else is a second
        return None
    try:
        moment = datetime(year, _MONTHS.index(m["mo"]) + 1, int(m["d"]), int(m["h"]), int(m["mi"]),
                          min(second, 59), tzinfo=timezone.utc)
    except ValueError:  # 31 Feb, hour 25, ...
        return None
    return calendar.timegm(moment.timetuple())


def format_http_date(timestamp: float) -> str:
    """IMF-fixdate for a POSIX timestamp (fraction dropped)."""
    return _format_seconds(int(timestamp // 1))


@functools.lru_cache(maxsize=1024)  # servers format the same few Last-Modified values over and over
def _format_seconds(seconds: int) -> str:
    t = time.gmtime(seconds)
    return f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"


def to_timestamp(value: datetime | float | str | bytes) -> int | None:
    """Whole seconds since the epoch for a datetime (naive means UTC), a timestamp or an HTTP-date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() // 1)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value // 1)
    if isinstance(value, (str, bytes)):
        return parse_http_date(value)
    raise TypeError(f"last_modified must be a datetime, a POSIX timestamp or an HTTP-date, not {type(value).__name__}")
