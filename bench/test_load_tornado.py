"""Issue 5's load benchmark: stock Tornado vs ETagMixin on a real server (a child process on
127.0.0.1), a 1 MiB response written in 4 KiB chunks and the 304 path, driven by a keep-alive
httpx client. Requests per second, medians of interleaved rounds: ``pytest bench/test_load_tornado.py -s``."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).parent
ROUNDS = 9


@pytest.fixture(scope="module", params=["sha1", "xxh3-128"])
def server(request):
    process = subprocess.Popen([sys.executable, str(HERE / "load_server.py"), request.param],
                               stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield request.param, client
    finally:
        process.terminate()
        process.wait(10)


def requests_per_second(client, path, headers, count, status):
    start = time.perf_counter()
    for _ in range(count):
        response = client.get(path, headers=headers)
        assert response.status_code == status
    return count / (time.perf_counter() - start)


@pytest.mark.parametrize("case", ["1 MiB in 4 KiB chunks", "304"])
def test_stock_tornado_vs_mixin(server, case):
    strategy, client = server
    tags = {path: client.get(path).headers["Etag"] for path in ("/stock", "/mixin")}
    if strategy == "sha1":
        assert tags["/stock"] == tags["/mixin"]
    count, status = (20, 200) if case != "304" else (40, 304)
    headers = {path: ({"If-None-Match": tags[path]} if case == "304" else {}) for path in tags}
    stock, mixin, ratios = [], [], []
    for i in range(ROUNDS):
        order = ("/stock", "/mixin") if i % 2 else ("/mixin", "/stock")
        rps = {path: requests_per_second(client, path, headers[path], count, status) for path in order}
        stock.append(rps["/stock"])
        mixin.append(rps["/mixin"])
        ratios.append(rps["/mixin"] / rps["/stock"])
    print(f"\n{case}, mixin etag_strategy={strategy}: stock {statistics.median(stock):,.0f} req/s, "
          f"mixin {statistics.median(mixin):,.0f} req/s, ratio {statistics.median(ratios):.2f}")
    assert statistics.median(ratios) > 0.85  # not slower than stock beyond this machine's noise
