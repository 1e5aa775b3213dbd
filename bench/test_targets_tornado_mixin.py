"""ETagMixin (sha1, rfc mode) against stock Tornado, per request, in-process, a handler writing a
2 KiB page: a 200, and a 304 for the tag each sent. Interleaved rounds of this thread's CPU time
(paired.cpu_ratio), median of per-round ratios. Target (issue 11): <= 1.0x stock's time on both. Run: pytest bench/test_targets_tornado_mixin.py -s"""

from __future__ import annotations

from typing import Any, Callable

import pytest
import tornado.web

from etagcore.integrations.tornado import ETagMixin
from paired import cpu_ratio
from static_stacks import BATCH, tornado_app_stack

BODY = (b"<!doctype html><p>" + bytes(range(97, 123)) * 80)[:2048]


class Page(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write(BODY)


class MixinPage(ETagMixin, Page):
    pass


def stack(handler: Any, **settings: Any) -> Callable[[bool], Callable[[], None]]:
    return tornado_app_stack(tornado.web.Application([("/", handler)], **settings), "/", BODY)


@pytest.mark.parametrize("status", [200, 304])
def test_mixin_against_stock_tornado(status, record_property):
    ours, stock = stack(MixinPage, etag_strategy="sha1")(status == 304), stack(Page)(status == 304)
    result = cpu_ratio(ours, stock)
    time_ratio = result["ratio"]
    record_property("time_ratio", time_ratio)
    print(f"\nTornado {status}: mixin {result['subject'] / BATCH * 1e6:.1f} us, stock {result['baseline'] / BATCH * 1e6:.1f} us"
          f" per request, mixin/stock time {time_ratio:.2f} (target <= 1.0)")
    assert time_ratio <= 1.0
