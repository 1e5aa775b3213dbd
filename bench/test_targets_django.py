"""What etagcore's Django ConditionalGetMiddleware adds to a request, against Django's own, in-process
through Django's WSGIHandler: the same view (2 KiB HTML HttpResponse) with each middleware minus
the same view without it, in the same interleaved round (paired.added_ratio: this thread's CPU
time, best of rotating batches); the ratio is the median over rounds of ours/Django's.
Run: pytest bench/test_targets_django.py -s

Target: ours <= 0.25x Django's added time, for the 200 and for the 304 (strategy xxh3-128, as in
bench/test_targets_middleware.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from paired import added_ratio
from test_targets_middleware import BODY, PER_ROUND, _environ, wsgi_runner

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402

if not settings.configured:  # bench/test_targets_middleware.py may have configured Django already
    settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="bench",
                       MIDDLEWARE=[], USE_TZ=True)
    django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402

STRATEGY = "xxh3-128"
OURS = "etagcore.integrations.django.ConditionalGetMiddleware"
DJANGO = "django.middleware.http.ConditionalGetMiddleware"


def page(request: Any) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page)]


@contextlib.contextmanager
def handlers() -> Iterator[dict[str, WSGIHandler]]:
    """Handlers built under this module's URLconf and strategy, each with its own middleware list
    (read when the handler is built); the URLconf stays in force while they are measured."""
    built: dict[str, WSGIHandler] = {}
    with override_settings(ROOT_URLCONF=__name__, ETAGCORE_STRATEGY=STRATEGY):
        for name, middleware in (("bare", []), ("ours", [OURS]), ("django", [DJANGO])):
            with override_settings(MIDDLEWARE=middleware):
                built[name] = WSGIHandler()
        yield built


def answer(app: WSGIHandler, extra: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        seen.update(status=status, headers=dict(headers))

    result = app(_environ(extra), start_response)
    body = b"".join(result)
    result.close()
    return seen["status"], seen["headers"], body


@pytest.mark.parametrize("status", [200, 304])
def test_django_middleware_against_djangos_conditional_get(status: int, record_property: Any) -> None:
    with handlers() as apps:
        extra: dict[str, dict[str, str]] = {"ours": {}, "django": {}}
        for name in ("ours", "django"):
            code, headers, body = answer(apps[name], {})
            assert code.startswith("200") and body == BODY and headers["ETag"].startswith('"')
            if status == 304:
                extra[name] = {"HTTP_IF_NONE_MATCH": headers["ETag"]}
                code, headers, body = answer(apps[name], extra[name])
                assert code.startswith("304") and body == b""
        bare = wsgi_runner(apps["bare"], extra["ours"])
        result = added_ratio(bare, wsgi_runner(apps["ours"], extra["ours"]),
                             bare, wsgi_runner(apps["django"], extra["django"]), PER_ROUND)
    record_property("ratio", result["ratio"])
    print(f"\nDjango {status} ({STRATEGY}, CPU time): etagcore adds {result['ours'] * 1e6:.1f} us, Django's "
          f"ConditionalGetMiddleware adds {result['peer'] * 1e6:.1f} us, ratio {result['ratio']:.2f} (target <= 0.25)")
    assert result["peer"] > 0, "Django's added time is not positive: the added-time ratio is undefined"
    assert result["ratio"] <= 0.25
