"""What etagcore's Django ConditionalGetMiddleware adds to a request, against Django's own, in-process
through Django's WSGIHandler: the same view (2 KiB HTML HttpResponse) with each middleware minus
the same view without it, in the same interleaved round; the ratio is the median over rounds of
ours/Django's. Times are CPU time of this process (time.process_time): on a shared machine wall
time also counts the moments another process holds the core, which moved the added times by more
than they measure. Run: pytest bench/test_targets_django.py -s

Target: ours <= 0.25x Django's added time, for the 200 and for the 304 (strategy xxh3-128, as in
bench/test_targets_middleware.py). Also measured, to tell the adapter's cost from the core's: a
middleware that does nothing but hand the response to ConditionalResponse.whole() (the floor any
adapter over the core has), printed beside ours: not asserted, since the difference of two small
added times is within this machine's noise.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from etagcore import get_strategy
from etagcore.response import ConditionalResponse, Policy
from test_targets_middleware import BODY, PER_ROUND, ROUNDS, _environ, wsgi_runner

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
CORE_ONLY = f"{__name__}.core_only"
CORE_POLICY = Policy(get_strategy(STRATEGY), 8 << 20)


def page(request: Any) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page)]


def core_only(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The floor: the core decides, nothing is translated back (a 304 would still send the 200)."""

    def middleware(request: Any) -> Any:
        response = get_response(request)
        headers = list(response.headers._store.values())
        ConditionalResponse(CORE_POLICY, request.method, request.META).whole(
            response.status_code, headers, response.content)
        return response

    return middleware


def _per_request(run: Callable[[], None]) -> float:
    start = time.process_time()
    run()
    return (time.process_time() - start) / PER_ROUND


def added_times(bare: Callable[[], None], subjects: dict[str, Callable[[], None]]) -> dict[str, list[float]]:
    """Per round, each subject's time minus the bare view's (measured before and after them);
    the subjects take turns at running first."""
    added: dict[str, list[float]] = {name: [] for name in subjects}
    gc.disable()
    try:
        names = list(subjects)
        for round_ in range(ROUNDS):
            before = _per_request(bare)
            order = names[round_ % len(names):] + names[:round_ % len(names)]  # no subject always first
            times = {name: _per_request(subjects[name]) for name in order}
            base = (before + _per_request(bare)) / 2
            for name, spent in times.items():
                added[name].append(spent - base)
    finally:
        gc.enable()
    return added


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


@contextlib.contextmanager
def handlers() -> Iterator[dict[str, WSGIHandler]]:
    """Handlers built under this module's URLconf and strategy, each with its own middleware list
    (read when the handler is built); the URLconf stays in force while they are measured."""
    built: dict[str, WSGIHandler] = {}
    with override_settings(ROOT_URLCONF=__name__, ETAGCORE_STRATEGY=STRATEGY):
        for name, middleware in (("bare", []), ("ours", [OURS]), ("django", [DJANGO]), ("core", [CORE_ONLY])):
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
        extra["core"] = extra["ours"]
        bare_time = statistics.median(_per_request(wsgi_runner(apps["bare"], {})) for _ in range(3))
        added = added_times(wsgi_runner(apps["bare"], extra["ours"]),
                            {name: wsgi_runner(apps[name], extra[name]) for name in ("ours", "django", "core")})
    ours, peer, core = (statistics.median(added[name]) for name in ("ours", "django", "core"))
    ratio, over_core = median_ratio(added["ours"], added["django"]), median_ratio(added["ours"], added["core"])
    record_property("ratio", ratio)
    print(f"\nDjango {status} ({STRATEGY}, CPU time): etagcore adds {ours * 1e6:.1f} us, Django's "
          f"ConditionalGetMiddleware adds {peer * 1e6:.1f} us, ratio {ratio:.2f} (target <= 0.25); the core "
          f"alone adds {core * 1e6:.1f} us (ours/core {over_core:.2f}); bare view {bare_time * 1e6:.1f} us")
    assert peer > 0, "Django's added time is not positive: the added-time ratio is undefined"
    assert ratio <= 0.25
