"""RFC 9110 13.2.2 precondition order, date fields, header containers; both matcher backends."""

from datetime import datetime, timedelta, timezone

import pytest
from tornado.httputil import HTTPHeaders

from etagcore import ETag, evaluate_preconditions, honour_range
from etagcore.httpdate import format_http_date, parse_http_date

TAG = ETag("v1")
LM = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
LM_DATE = "Sun, 06 Nov 1994 08:49:37 GMT"
BEFORE = "Sun, 06 Nov 1994 08:49:36 GMT"
AFTER = "Sun, 06 Nov 1994 08:49:38 GMT"


def pre(method, headers, **kw):
    kw.setdefault("etag", TAG)
    kw.setdefault("last_modified", LM)
    return evaluate_preconditions(method, headers, **kw)


@pytest.mark.parametrize("method, headers, expected", [
    ("GET", {}, None),
    ("GET", {"If-None-Match": '"v1"'}, 304),
    ("HEAD", {"If-None-Match": 'W/"v1"'}, 304),
    ("POST", {"If-None-Match": '"v1"'}, 412),
    ("PUT", {"If-None-Match": "*"}, 412),
    ("GET", {"If-None-Match": '"v0"'}, None),
    ("GET", {"If-None-Match": '"v1" junk'}, None),          # malformed: full response
    ("PUT", {"If-Match": '"v1"'}, None),
    ("PUT", {"If-Match": '"v0"'}, 412),
    ("DELETE", {"If-Match": 'W/"v1"'}, 412),                # strong comparison
    ("GET", {"If-Match": '"v0"'}, 412),                     # If-Match applies to GET too
    ("PUT", {"If-Match": "junk"}, 412),
    ("PUT", {"If-Match": "*"}, None),
    # 1 before 3: a failed If-Match wins over a matching If-None-Match
    ("GET", {"If-Match": '"v0"', "If-None-Match": '"v1"'}, 412),
    ("GET", {"If-Match": '"v1"', "If-None-Match": '"v1"'}, 304),
    # If-Unmodified-Since, only without If-Match
    ("PUT", {"If-Unmodified-Since": LM_DATE}, None),
    ("PUT", {"If-Unmodified-Since": AFTER}, None),
    ("PUT", {"If-Unmodified-Since": BEFORE}, 412),
    ("PUT", {"If-Match": '"v1"', "If-Unmodified-Since": BEFORE}, None),
    ("PUT", {"If-Unmodified-Since": "yesterday"}, None),     # invalid date: ignored
    ("PUT", {"If-Unmodified-Since": [BEFORE, BEFORE]}, None),  # more than one member: ignored
    # If-Modified-Since, only GET/HEAD and only without If-None-Match
    ("GET", {"If-Modified-Since": LM_DATE}, 304),
    ("GET", {"If-Modified-Since": AFTER}, 304),
    ("HEAD", {"If-Modified-Since": LM_DATE}, 304),
    ("GET", {"If-Modified-Since": BEFORE}, None),
    ("POST", {"If-Modified-Since": AFTER}, None),
    ("GET", {"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 +0000"}, None),  # not an HTTP-date
    ("GET", {"If-None-Match": '"v0"', "If-Modified-Since": AFTER}, None),     # INM wins over IMS
    ("GET", {"If-None-Match": '"v1"', "If-Modified-Since": BEFORE}, 304),
    # 13.2.1: these methods ignore preconditions
    ("OPTIONS", {"If-Match": '"v0"'}, None),
    ("TRACE", {"If-None-Match": "*"}, None),
    ("CONNECT", {"If-Match": "junk"}, None),
])
def test_precedence_table(backend, method, headers, expected):
    assert pre(method, headers) == expected


def test_no_current_representation(backend):
    assert pre("PUT", {"If-None-Match": "*"}, exists=False) is None       # create-only PUT proceeds
    assert pre("PUT", {"If-Match": "*"}, exists=False) == 412
    assert pre("GET", {"If-Modified-Since": AFTER}, exists=False) is None
    assert pre("PUT", {"If-Unmodified-Since": BEFORE}, exists=False) is None


def test_representation_without_tag_or_date(backend):
    assert pre("PUT", {"If-Match": "*"}, etag=None) is None
    assert pre("PUT", {"If-Match": '"v1"'}, etag=None) == 412
    assert pre("GET", {"If-None-Match": "*"}, etag=None) == 304
    assert pre("GET", {"If-None-Match": '"v1"'}, etag=None) is None
    assert pre("GET", {"If-Modified-Since": AFTER}, last_modified=None) is None


@pytest.mark.parametrize("last_modified", [
    LM, LM + 0.999, datetime(1994, 11, 6, 8, 49, 37, 500000, tzinfo=timezone.utc),
    datetime(1994, 11, 6, 8, 49, 37), datetime(1994, 11, 6, 9, 49, 37, tzinfo=timezone(timedelta(hours=1))),
    LM_DATE,
])
def test_last_modified_forms_compare_at_one_second(backend, last_modified):
    assert pre("GET", {"If-Modified-Since": LM_DATE}, last_modified=last_modified) == 304
    assert pre("GET", {"If-Modified-Since": BEFORE}, last_modified=last_modified) is None


def test_bad_last_modified_type():
    with pytest.raises(TypeError, match="last_modified must be"):
        pre("GET", {"If-Modified-Since": LM_DATE}, last_modified=[1])


@pytest.mark.parametrize("headers", [
    {"if-none-match": '"v1"'},
    {"IF-NONE-MATCH": '"v1"'},
    {b"if-none-match": b'"v1"'},
    [(b"if-none-match", b'"x"'), (b"if-none-match", b'"v1"')],          # ASGI-style pairs
    {"If-None-Match": ['"x"', '"v1"']},
    HTTPHeaders({"If-None-Match": '"v1"'}),
])
def test_header_containers(backend, headers):
    assert pre("GET", headers) == 304


def test_repeated_lines_in_a_multi_valued_container(backend):
    headers = HTTPHeaders()
    headers.add("If-None-Match", '"x"')
    headers.add("If-None-Match", '"v1"')
    assert pre("GET", headers) == 304


def test_werkzeug_and_starlette_style_getlist(backend):
    class Multi(dict):
        def getlist(self, name):
            return [v for k, v in self.items() if k.lower() == name.lower()]

    assert pre("GET", Multi({"If-None-Match": '"v1"'})) == 304
    assert pre("GET", Multi({})) is None


def test_hostile_header_values_never_raise(backend):
    for value in [b"\x00\xff" * 1000, "\u0100", b'"' * 5000, ",,,,", "W/", "*, *"]:
        for name in ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"]:
            for method in ["GET", "PUT"]:
                assert pre(method, {name: value}) in (None, 304, 412)
                assert honour_range(method, {name: value, "Range": "bytes=0-1"}, etag=TAG, last_modified=LM) in (True, False)


@pytest.mark.parametrize("method, headers, expected", [
    ("GET", {"Range": "bytes=0-9"}, True),
    ("GET", {}, False),
    ("HEAD", {"Range": "bytes=0-9"}, False),
    ("GET", {"Range": "bytes=0-9", "If-Range": '"v1"'}, True),
    ("GET", {"Range": "bytes=0-9", "If-Range": 'W/"v1"'}, False),
    ("GET", {"Range": "bytes=0-9", "If-Range": '"v0"'}, False),
    ("GET", {"Range": "bytes=0-9", "If-Range": LM_DATE}, True),
    ("GET", {"Range": "bytes=0-9", "If-Range": AFTER}, False),      # a date must match exactly
    ("GET", {"Range": "bytes=0-9", "If-Range": "garbage"}, False),
    ("GET", {"Range": "bytes=0-9", "If-Range": ['"v1"', '"v1"']}, False),
])
def test_honour_range(backend, method, headers, expected):
    assert honour_range(method, headers, etag=TAG, last_modified=LM) is expected


def test_honour_range_weak_current_tag_never_matches(backend):
    assert not honour_range("GET", {"Range": "bytes=0-1", "If-Range": 'W/"v1"'}, etag=ETag("v1", weak=True))
    assert not honour_range("GET", {"Range": "bytes=0-1", "If-Range": '"v1"'}, etag=None)


@pytest.mark.parametrize("text, expected", [
    ("Sun, 06 Nov 1994 08:49:37 GMT", LM),
    ("Sunday, 06-Nov-94 08:49:37 GMT", LM),
    ("Sun Nov  6 08:49:37 1994", LM),
    (" Sun, 06 Nov 1994 08:49:37 GMT\t", LM),
    (b"Sun, 06 Nov 1994 08:49:37 GMT", LM),
    ("Sun, 06 Nov 1994 08:49:60 GMT", LM + 22),                      # leap second read as :59
    ("sun, 06 Nov 1994 08:49:37 GMT", None),                          # day names are case-sensitive
    ("Sun, 06 Nov 1994 08:49:37 UTC", None),
    ("Sun, 6 Nov 1994 08:49:37 GMT", None),
    ("Sun, 31 Feb 1994 08:49:37 GMT", None),
    ("Sun, 06 Nov 1994 24:00:00 GMT", None),
    ("Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT", None),
    ("", None),
    ("784111777", None),
])
def test_http_date_parsing(text, expected):
    assert parse_http_date(text) == expected


def test_two_digit_years_follow_the_fifty_year_rule():
    now = datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp()
    assert parse_http_date("Monday, 01-Jan-76 00:00:00 GMT", now=now) == datetime(2076, 1, 1, tzinfo=timezone.utc).timestamp()
    assert parse_http_date("Wednesday, 01-Jan-77 00:00:00 GMT", now=now) == datetime(1977, 1, 1, tzinfo=timezone.utc).timestamp()


def test_format_http_date_round_trips():
    assert format_http_date(LM + 0.5) == LM_DATE
    assert parse_http_date(format_http_date(1_700_000_000)) == 1_700_000_000


def test_if_range_date_needs_a_strong_last_modified(backend):
    headers = {"Range": "bytes=0-9", "If-Range": LM_DATE}
    assert honour_range("GET", headers, etag=TAG, last_modified=LM, now=LM + 1)
    assert not honour_range("GET", headers, etag=TAG, last_modified=LM, now=LM + 0.999)  # same second


@pytest.mark.parametrize("text", ["Sun Nov  6 08:49:37 １９９４", "Sun, ０6 Nov 1994 08:49:37 GMT",
                                  "Sun, 06 Nov 1994 0٨:49:37 GMT", "Sunday, 06-Nov-９4 08:49:37 GMT"])
def test_http_dates_take_ascii_digits_only(text):
    assert parse_http_date(text) is None
    assert pre("GET", {"If-Modified-Since": text}) is None


def test_email_and_http_server_headers(backend):
    import email.message
    import http.client
    import io

    message = email.message.Message()
    assert pre("GET", message) is None
    message["If-None-Match"] = '"v1"'
    assert pre("GET", message) == 304
    parsed = http.client.parse_headers(io.BytesIO(b'If-Match: "v0"\r\nRange: bytes=0-1\r\n\r\n'))
    assert pre("GET", parsed) == 412
    assert honour_range("GET", parsed, etag=TAG) and not honour_range("GET", email.message.Message(), etag=TAG)


def test_wsgi_environ_is_read_in_place(backend):
    environ = {"REQUEST_METHOD": "GET", "wsgi.version": (1, 0), "HTTP_IF_NONE_MATCH": '"v1"',
               "HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": '"v1"'}
    assert pre("GET", environ) == 304
    assert pre("GET", {"REQUEST_METHOD": "GET", "HTTP_IF_MATCH": '"v0"'}) == 412
    assert pre("GET", {"REQUEST_METHOD": "GET"}) is None
    assert honour_range("GET", environ, etag=TAG)


@pytest.mark.parametrize("current", [TAG, str(TAG)])
def test_a_str_current_tag_decides_like_an_etag(backend, current):
    assert pre("GET", {"If-None-Match": '"v1"'}, etag=current) == 304
    assert pre("PUT", {"If-Match": '"v0", "v1"'}, etag=current) is None
    assert pre("PUT", [(b"if-match", b'"v0"')], etag=current) == 412


@pytest.mark.parametrize("method, fields, expected", [
    ("PUT", [(b"if-none-match", b"*")], 412),
    ("PUT", [(b"host", b"x"), (b"if-unmodified-since", b"Sun, 06 Nov 1994 08:49:37 GMT")], 412),
    ("GET", [(b"if-none-match", b'"a"'), (b"if-none-match", b'"b"')], 304),
])
def test_one_shot_header_iterables_are_read_once(backend, method, fields, expected):
    for make in (iter, lambda pairs: (pair for pair in pairs), lambda pairs: map(tuple, pairs)):
        assert evaluate_preconditions(method, make(fields), etag='"b"', last_modified=1e9) == expected
