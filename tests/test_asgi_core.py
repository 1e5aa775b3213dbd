"""The ASGI send of the conditional-response core in C (src_c/asgi_send.c) does exactly what its
pure-Python twin (AsgiResponse in etagcore/_response_py.py) does on random, often hostile, message
sequences; and under AddressSanitizer/UBSan it does so without a memory error."""

from __future__ import annotations

import asyncio
import random

import pytest

import sanitized
from asgi_cases import case, trace
from etagcore import _response_py, response

C = pytest.importorskip("etagcore._response", reason="the C extension is not built")

DRIVER = sanitized.response_driver("asgi_cases", "trace", "_response.AsgiResponse", "_response_py.AsgiResponse")


@pytest.mark.skipif(response._core is _response_py, reason="the Python backend is in use")
def test_the_c_send_is_the_one_in_use():
    assert response.AsgiResponse.__mro__[2] is C.AsgiResponse


@pytest.mark.parametrize("seed", range(4))
def test_c_and_python_sends_agree(seed):
    rng = random.Random(seed)
    kinds = set()
    for _ in range(4000):
        given = case(rng)
        got, want = trace(C.AsgiResponse, given), trace(_response_py.AsgiResponse, given)
        assert got == want, given
        kinds.update(step if isinstance(step, str) else step[0] for step in got[::2])  # answers, not states
    assert {"ready", "awaitable", "KeyError", "TypeError"} <= kinds  # every kind of answer was reached


def test_ready_is_awaited_as_done():
    async def twice() -> list:
        return [await C.READY, await C.READY, await _response_py.READY]

    assert asyncio.run(twice()) == [None, None, None]


def test_c_send_is_memory_safe_and_agrees_with_python(sanitized_response):
    result = sanitized.run(DRIVER, sanitized_response, "5", "4000")
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]
    assert result.stdout.strip() == "ok 4000"


def _recording(core):
    """The messages sent, and a maker of responses of class *core* (sha1, 1 MiB) sending there."""
    from etagcore.response import Policy
    from response_cases import SHA1

    cls = type("Response", (response._Branches, core), {"__slots__": ()})
    sent = []

    async def send(message):
        sent.append(message)

    return sent, lambda: cls(Policy(SHA1, 1 << 20), "GET", [], send)


@pytest.mark.parametrize("core", [C.AsgiResponse, _response_py.AsgiResponse])
def test_a_buffer_the_app_reuses_is_held_as_it_was_sent(core):
    """readinto-style apps refill one buffer once send() returns: what is held is a copy."""
    sent, new = _recording(core)

    async def app():
        r = new()
        buffer = bytearray(b"AAAA")
        await r.send_message({"type": "http.response.start", "status": 200, "headers": []})
        await r.send_message({"type": "http.response.body", "body": buffer, "more_body": True})
        buffer[:] = b"BBBB"
        await r.send_message({"type": "http.response.body", "body": memoryview(buffer)})

    asyncio.run(app())
    assert sent[1]["body"] == b"AAAABBBB"
    from response_cases import SHA1

    assert dict(sent[0]["headers"])[b"etag"] == SHA1.tag(b"AAAABBBB").header_bytes()


@pytest.mark.parametrize("core", [C.AsgiResponse, _response_py.AsgiResponse])
def test_what_send_returns_can_be_scheduled_as_a_task(core):
    """asyncio.create_task(send(message)) and anyio's start_soon need a coroutine: READY is one."""
    sent, new = _recording(core)

    async def app():
        r = new()
        await asyncio.create_task(r.send_message({"type": "http.response.start", "status": 200, "headers": []}))
        await asyncio.create_task(r.send_message({"type": "http.response.body", "body": b"x"}))

    asyncio.run(app())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    with pytest.raises(ValueError):
        C.READY.throw(ValueError("x"))
    with pytest.raises(ValueError):
        _response_py.READY.throw(ValueError, ValueError("x"))


def test_the_c_buffer_cannot_be_replaced_from_python():
    from response_cases import SHA1
    from etagcore.response import Policy

    r = C.AsgiResponse(Policy(SHA1, 1024), "GET", [], None)
    with pytest.raises(AttributeError):
        del r.chunks
    with pytest.raises(AttributeError):
        r.chunks = 12345
