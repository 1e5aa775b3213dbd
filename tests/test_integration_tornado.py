"""ETagMixin on a real Tornado server, driven by httpx; stock Tornado is the oracle."""

from __future__ import annotations

import gzip
import hashlib

import pytest
import tornado.web

from etagcore import ConfigError
from etagcore.integrations.tornado import ETagMixin
from servers import tornado_server

BODY = [b"<p>hello</p>" * 50, b"x" * 3000, b"tail"]  # > 1 KiB so that gzip applies
WHOLE = b"".join(BODY)
SHA1 = '"%s"' % hashlib.sha1(WHOLE).hexdigest()


class Page(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html")
        for part in BODY:
            self.write(part)

    head = get


class MixinPage(ETagMixin, Page):
    pass


class OwnTag(ETagMixin, tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Etag", '"v7"')
        self.write(b"body of version 7")


class StockOwnTag(tornado.web.RequestHandler):
    get = OwnTag.get


class LongOwnTag(ETagMixin, tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html")
        self.set_header("Etag", '"v7"')
        self.write(WHOLE)


class CachedDocument(ETagMixin, tornado.web.RequestHandler):
    """Validator-first after setting caching fields, with the tag from the query (odd ones too)."""

    def get(self) -> None:
        self.set_header("Cache-Control", "max-age=60")
        self.set_header("Expires", "Thu, 01 Jan 2037 00:00:00 GMT")
        if self.check_preconditions(etag=self.get_argument("tag", '"v1"'),
                                    last_modified="Sun, 06 Nov 1994 08:49:37 GMT"):
            return
        self.write(WHOLE)

    put = get


class Document(ETagMixin, tornado.web.RequestHandler):
    """Validator-first: the version is known before the body."""

    version = '"v1"'
    bodies_made = 0

    def get(self) -> None:
        if self.check_preconditions(etag=Document.version):
            return
        Document.bodies_made += 1
        self.write(b"document")

    def put(self) -> None:
        if self.check_preconditions(etag=Document.version):
            return
        Document.version = '"v2"'
        self.set_status(204)

    delete = put


def app(**settings) -> tornado.web.Application:
    return tornado.web.Application(
        [("/stock", Page), ("/mixin", MixinPage), ("/own", OwnTag), ("/stock-own", StockOwnTag),
         ("/doc", Document), ("/long-own", LongOwnTag), ("/cached-doc", CachedDocument)], **settings)


DROP_IN_REQUESTS = [
    {},
    {"If-None-Match": SHA1},
    {"If-None-Match": "W/" + SHA1},
    {"If-None-Match": '"nope", ' + SHA1},
    {"If-None-Match": "*"},
    {"If-None-Match": '"nope"'},
    {"If-None-Match": "garbage, ,, W/"},
    {"If-None-Match": SHA1[:-1]},
    {"If-Match": '"nope"'},
    {"Accept-Encoding": "gzip"},
    {"Accept-Encoding": "gzip", "If-None-Match": SHA1},
]


def comparable(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("date", "server")}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_tornado_mode_is_a_drop_in_for_stock_tornado(method, compress):
    with tornado_server(app(etag_mode="tornado", compress_response=compress)) as client:
        for headers in DROP_IN_REQUESTS:
            stock = client.request(method, "/stock", headers=headers)
            mixin = client.request(method, "/mixin", headers=headers)
            assert comparable(mixin) == comparable(stock), headers
        assert client.get("/mixin").headers["Etag"] == SHA1


def test_rfc_mode_tags_and_304s():
    with tornado_server(app()) as client:
        first = client.get("/mixin")
        assert first.status_code == 200 and first.headers["Etag"] == SHA1 and first.content == WHOLE
        for header in (SHA1, "W/" + SHA1, '"a", ' + SHA1, "*"):
            again = client.get("/mixin", headers={"If-None-Match": header})
            assert again.status_code == 304 and again.content == b"" and again.headers["Etag"] == SHA1
            assert "Content-Type" not in again.headers
        for header in ('"other"', "not a list", 'W/"' + SHA1[1:-1] + 'x"'):
            assert client.get("/mixin", headers={"If-None-Match": header}).status_code == 200
        head = client.head("/mixin")
        assert head.headers["Etag"] == SHA1 and head.content == b""


def test_rfc_mode_if_match_on_get():
    with tornado_server(app()) as client:
        assert client.get("/mixin", headers={"If-Match": SHA1}).status_code == 200
        failed = client.get("/mixin", headers={"If-Match": '"other"'})
        assert failed.status_code == 412 and failed.content == b"" and "Etag" not in failed.headers
        # If-Match uses the strong comparison: a weak tag never matches
        assert client.get("/mixin", headers={"If-Match": "W/" + SHA1}).status_code == 412


def test_rfc_mode_answers_a_handler_set_etag():
    with tornado_server(app()) as client:
        assert client.get("/stock-own", headers={"If-None-Match": '"v7"'}).status_code == 200  # stock: no 304
        response = client.get("/own", headers={"If-None-Match": '"v7"'})
        assert response.status_code == 304 and response.headers["Etag"] == '"v7"'
        assert client.get("/own", headers={"If-Match": '"v6"'}).status_code == 412


def test_rfc_mode_gzip_gets_its_own_tag_and_its_304():
    with tornado_server(app(compress_response=True)) as client:
        identity = client.get("/mixin", headers={"Accept-Encoding": "identity"})
        zipped = client.get("/mixin", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert identity.headers["Etag"] == SHA1
        assert zipped.headers["Etag"] == "W/" + SHA1[:-1] + '-gzip"'  # weak: Tornado's gzip stamps the time in
        assert zipped.content == WHOLE  # httpx decoded it
        again = client.get("/mixin", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["Etag"]})
        assert again.status_code == 304
        # the identity tag does not validate the gzip variant, nor the other way round
        assert client.get("/mixin", headers={"Accept-Encoding": "gzip", "If-None-Match": SHA1}).status_code == 200
        assert client.get("/mixin", headers={"Accept-Encoding": "identity",
                                             "If-None-Match": zipped.headers["Etag"]}).status_code == 200
        assert gzip.decompress(gzip.compress(WHOLE)) == WHOLE


def test_rfc_mode_gives_a_handler_set_tag_a_gzip_variant():
    with tornado_server(app(compress_response=True)) as client:
        zipped = client.get("/long-own", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip" and zipped.headers["Etag"] == 'W/"v7-gzip"'
        # the identity tag names other bytes: no 304 for a gzip request, and the other way round
        assert client.get("/long-own", headers={"Accept-Encoding": "gzip", "If-None-Match": '"v7"'}).status_code == 200
        assert client.get("/long-own", headers={"Accept-Encoding": "gzip",
                                                "If-None-Match": 'W/"v7-gzip"'}).status_code == 304
        identity = client.get("/long-own", headers={"Accept-Encoding": "identity", "If-None-Match": 'W/"v7-gzip"'})
        assert identity.status_code == 200 and identity.headers["Etag"] == '"v7"'


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_check_preconditions_412_drops_validators_and_freshness(method):
    with tornado_server(app()) as client:
        failed = client.request(method, "/cached-doc", headers={"If-Match": '"other"'})
        assert failed.status_code == 412
        for name in ("Etag", "Cache-Control", "Expires", "Last-Modified", "Content-Type"):
            assert name not in failed.headers
        kept = client.get("/cached-doc", headers={"If-None-Match": '"v1"'})
        assert kept.status_code == 304 and kept.headers["Cache-Control"] == "max-age=60"


def test_check_preconditions_with_a_malformed_tag_fails_every_request_alike():
    with tornado_server(app()) as client:
        for headers in ({}, {"If-None-Match": "v1"}, {"If-Match": "v1"}):
            assert client.get("/cached-doc", params={"tag": "v1"}, headers=headers).status_code == 500


@pytest.mark.parametrize("spec", ["xxh3-128", "blake3", "sha1:weak=true"])
def test_strategy_from_settings(spec):
    from etagcore import get_strategy

    with tornado_server(app(etag_strategy=spec)) as client:
        tag = client.get("/mixin").headers["Etag"]
        assert tag == str(get_strategy(spec).tag(WHOLE))
        assert client.get("/mixin", headers={"If-None-Match": tag}).status_code == 304


def test_validator_first_decides_before_the_body():
    Document.version, Document.bodies_made = '"v1"', 0
    with tornado_server(app()) as client:
        assert client.get("/doc", headers={"If-None-Match": '"v1"'}).status_code == 304
        assert Document.bodies_made == 0
        assert client.get("/doc").headers["Etag"] == '"v1"' and Document.bodies_made == 1
        assert client.put("/doc", headers={"If-Match": '"v0"'}).status_code == 412
        assert Document.version == '"v1"'
        assert client.put("/doc", headers={"If-Match": '"v1"'}).status_code == 204
        assert client.delete("/doc", headers={"If-Match": '"v1"'}).status_code == 412  # now v2


@pytest.mark.parametrize("settings, message", [
    ({"etag_strategy": "stat"}, "cannot tag response bodies"),
    ({"etag_strategy": "nope"}, "nope"),
    ({"etag_mode": "strict"}, "etag_mode must be"),
])
def test_bad_settings_are_named(settings, message):
    handler_app = app(**settings)

    class Probe(MixinPage):
        pass

    probe = Probe.__new__(Probe)
    probe.application = handler_app
    with pytest.raises(ConfigError, match=message):
        probe.etag_strategy, probe.etag_mode
