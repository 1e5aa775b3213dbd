"""What etagcore's aiohttp middleware adds to a request, in-process, 2 KiB HTML body, against the
naive middleware many projects write (buffer the body, md5 it, compare If-None-Match as a string).

"Added" is the time of the middleware-wrapped handler chain minus the time of the bare handler,
both called directly on one event loop with a request from ``aiohttp.test_utils.make_mocked_request``
(no network, no routing: the same for both sides), measured in the same interleaved round
(paired.added_ratio); the ratio is the median over rounds of ours/peer. Times are the thread's CPU time (``time.thread_time``):
the work is in-process and single-threaded, and on a shared machine wall time would also count the
time the process waits for a CPU. Run: pytest bench/test_targets_aiohttp.py -s

Target: added time <= 0.5x the naive md5 middleware's, for the 200 and the 304.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from etagcore.integrations.aiohttp import etag_middleware
from paired import added_ratio

BODY = (b"<!doctype html><p>" + bytes(range(97, 123)) * 80)[:2048]
PER_ROUND = 1000  # requests per timed batch
REQUEST = {"Host": "example.com", "User-Agent": "bench", "Accept": "*/*", "Accept-Encoding": "gzip, br",
           "Cookie": "session=abc"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def page(request: web.Request) -> web.StreamResponse:
    return web.Response(body=BODY, content_type="text/html", charset="utf-8")


@web.middleware
async def naive_md5(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    assert isinstance(response, web.Response) and isinstance(response.body, bytes)
    tag = '"%s"' % hashlib.md5(response.body).hexdigest()
    if request.headers.get("If-None-Match") == tag:
        return web.Response(status=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return response


def runner(loop: asyncio.AbstractEventLoop, call: Callable[[web.Request], Awaitable[web.StreamResponse]],
           request: web.Request, status: int) -> Callable[[], None]:
    async def batch() -> None:
        for _ in range(PER_ROUND):
            await call(request)

    def run() -> None:
        loop.run_until_complete(batch())

    assert loop.run_until_complete(call(request)).status == status
    return run


def _tag(loop: asyncio.AbstractEventLoop, middleware: Any) -> str:
    response = loop.run_until_complete(middleware(make_mocked_request("GET", "/", headers=REQUEST), page))
    return response.headers["ETag"]


@pytest.mark.parametrize("status", [200, 304])
def test_aiohttp_middleware_against_a_naive_md5_middleware(status: int, record_property: Any) -> None:
    loop = asyncio.new_event_loop()
    try:
        ours = etag_middleware(strategy="xxh3-128")
        ours_headers, naive_headers = dict(REQUEST), dict(REQUEST)
        if status == 304:
            ours_headers["If-None-Match"] = _tag(loop, ours)
            naive_headers["If-None-Match"] = _tag(loop, naive_md5)
        ours_request = make_mocked_request("GET", "/", headers=ours_headers)
        naive_request = make_mocked_request("GET", "/", headers=naive_headers)
        result = added_ratio(runner(loop, page, ours_request, 200),
                             runner(loop, lambda r: ours(r, page), ours_request, status),
                             runner(loop, page, naive_request, 200),
                             runner(loop, lambda r: naive_md5(r, page), naive_request, status), PER_ROUND)
    finally:
        loop.close()
    record_property("ratio", result["ratio"])
    print(f"\naiohttp {status}: etagcore adds {result['ours'] * 1e6:.2f} us, naive md5 adds "
          f"{result['peer'] * 1e6:.2f} us, ratio {result['ratio']:.2f} (target <= 0.5)")
    assert result["ratio"] <= 0.5
