"""If-None-Match decision speed: etagcore (C and Python backends) against the peers a server
would otherwise use, on the same headers, in one run.

Every case asserts its decision first, so a fast wrong answer cannot pass for a result.
Header values are str, as frameworks hand them over; the current tag is the last list element.
"""

from types import SimpleNamespace

import etag as etag_pkg
import pytest
import tornado.web
from django.utils.cache import _if_none_match_passes
from django.utils.http import parse_etags as django_parse_etags
from tornado.httputil import HTTPHeaders
from werkzeug.http import parse_etags as werkzeug_parse_etags

import etagcore
from etagcore import ETag, _match_py, match

CURRENT = ETag("0123456789abcdef0123456789abcdef01234567")
HOSTILE = '"' + "a, " * ((1 << 20) // 3)  # 1 MiB: an unterminated quote over a long list


def tag_list(n: int) -> str:
    return ", ".join([f'"{i:040x}"' for i in range(n - 1)] + [str(CURRENT)])


HEADERS = {"1 tag": tag_list(1), "10 tags": tag_list(10), "100 tags": tag_list(100), "1000 tags": tag_list(1000),
           "1 MiB hostile": HOSTILE}
# The If-None-Match condition each header must give (False = 304).
EXPECTED = {name: name == "1 MiB hostile" for name in HEADERS}


def tornado_check(header):
    handler = SimpleNamespace(_headers=HTTPHeaders({"Etag": str(CURRENT)}),
                              request=SimpleNamespace(headers=HTTPHeaders({"If-None-Match": header})))
    return lambda: not tornado.web.RequestHandler.check_etag_header(handler)


def etagcore_check(header):
    return lambda: etagcore.if_none_match(header, CURRENT)


def werkzeug_check(header):
    return lambda: not werkzeug_parse_etags(header).contains_weak(CURRENT.opaque)


def django_check(header):
    # Django's ConditionalGetMiddleware path: parse_etags, then the If-None-Match test.
    return lambda: _if_none_match_passes(str(CURRENT), django_parse_etags(header))


def etag_package_check(header):
    return lambda: etag_pkg.if_none_match(header, str(CURRENT))


PEERS = {
    "etagcore-c": etagcore_check,
    "etagcore-python": etagcore_check,
    "tornado": tornado_check,
    "werkzeug": werkzeug_check,
    "django": django_check,
    "etag-pkg": etag_package_check,
}


@pytest.fixture
def python_backend(monkeypatch):
    monkeypatch.setattr(match, "_match", _match_py.match)
    monkeypatch.setattr(match, "_NULL", None)


@pytest.mark.parametrize("header_name", list(HEADERS))
@pytest.mark.parametrize("peer", list(PEERS))
def test_if_none_match(benchmark, request, peer, header_name):
    if peer == "etagcore-c" and etagcore.matcher_backend() != "c":
        pytest.skip("C matcher not built")
    if peer == "etagcore-python":
        request.getfixturevalue("python_backend")
    header = HEADERS[header_name]
    check = PEERS[peer](header)
    benchmark.group = f"If-None-Match, {header_name}"
    benchmark.extra_info.update(peer=peer, case=header_name, header_bytes=len(header))
    result = benchmark(check)
    if header_name != "1 MiB hostile" or peer.startswith("etagcore") or peer == "etag-pkg":
        assert result is EXPECTED[header_name]
