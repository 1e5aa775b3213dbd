"""What the Flask extension adds to a request, against what Flask users write instead: Werkzeug's
``response.add_etag(); response.make_conditional(request)`` in an ``after_request`` hook.

A 2 KiB HTML view, requests straight into ``app.wsgi_app`` (in-process, no test client, no
sockets), the extension with its default strategy (xxh3-128). Times are this thread's CPU time
(the machine is shared). "Added" is the time with the hook minus the time of the same app
without it, measured in the same interleaved round (paired.added_ratio); the ratio is the median
over rounds of ours/peer. Run: pytest bench/test_targets_flask.py -s

Target: the extension adds <= 0.5x what Werkzeug's add_etag + make_conditional add, on 200 and 304.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

flask = pytest.importorskip("flask")

from etagcore.integrations.flask import ETag  # noqa: E402
from paired import added_ratio  # noqa: E402
from test_targets_middleware import _environ  # noqa: E402

BODY = (b"<!doctype html><p>" + bytes(range(97, 123)) * 80)[:2048].decode()
PER_BATCH = 200  # requests per timed batch


def page_app(hook: str) -> Any:
    """The same view with no hook ("bare"), the extension ("ours") or Werkzeug's ("werkzeug")."""
    app = flask.Flask(f"bench_{hook}")

    @app.get("/")
    def page() -> str:
        return BODY

    if hook == "ours":
        ETag(app)
    elif hook == "werkzeug":
        @app.after_request
        def conditional(response: Any) -> Any:
            response.add_etag()
            return response.make_conditional(flask.request)
    return app


def runner(app: Any, extra: dict[str, str], expect: int) -> Callable[[], None]:
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    def run() -> None:
        statuses.clear()
        wsgi_app = app.wsgi_app
        for _ in range(PER_BATCH):
            result = wsgi_app(_environ(extra), start_response)
            for _chunk in result:
                pass
            result.close()
        assert statuses[-1].startswith(str(expect)), statuses[-1]

    return run


def _tag(app: Any) -> str:
    response = app.test_client().get("/")
    assert response.status_code == 200
    return response.headers["ETag"]


@pytest.mark.parametrize("status", [200, 304])
def test_flask_extension_against_werkzeug_add_etag_make_conditional(status, record_property):
    bare, ours, peer = page_app("bare"), page_app("ours"), page_app("werkzeug")
    ours_extra: dict[str, str] = {}
    peer_extra: dict[str, str] = {}
    if status == 304:
        ours_extra = {"HTTP_IF_NONE_MATCH": _tag(ours)}
        peer_extra = {"HTTP_IF_NONE_MATCH": _tag(peer)}
    result = added_ratio(runner(bare, ours_extra, 200), runner(ours, ours_extra, status),
                         runner(bare, peer_extra, 200), runner(peer, peer_extra, status), PER_BATCH)
    record_property("ratio", result["ratio"])
    print(f"\nFlask {status}: etagcore ETag adds {result['ours'] * 1e6:.1f} us, Werkzeug add_etag + "
          f"make_conditional adds {result['peer'] * 1e6:.1f} us, ratio {result['ratio']:.2f} (target <= 0.5)")
    assert result["ratio"] <= 0.5
