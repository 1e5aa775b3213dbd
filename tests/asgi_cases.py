"""Random, often hostile, ASGI message sequences for the two implementations of the ASGI send
(src_c/asgi_send.c and AsgiResponse in etagcore/_response_py.py): :func:`case` makes one from a
response_cases case, :func:`trace` sends it through a class and records what each call returned,
what went out to the server, and the state after it, so that two traces compare."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import response_cases
from etagcore.response import _Branches


class _Message(Mapping[str, Any]):
    """A message that is a mapping but not a dict."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


class _AsIterator(list):  # type: ignore[type-arg]
    """Headers sent as a one-shot iterator: made afresh for each trace."""


def _fresh(message: Any) -> Any:
    if isinstance(message, dict) and isinstance(message.get("headers"), _AsIterator):
        return {**message, "headers": iter(list(message["headers"]))}
    return message


def _start(rng: random.Random, given: dict[str, Any]) -> Any:
    headers: Any = [(n if isinstance(n, bytes) else str(n).encode(), v if isinstance(v, bytes) else str(v).encode())
                    if isinstance(pair, tuple) and len(pair) == 2 and (n := pair[0]) is not None and (v := pair[1]) is not None
                    else pair for pair in given["headers"]]
    r = rng.random()
    if r < 0.1:
        headers = tuple(headers)
    elif r < 0.15:
        headers = _AsIterator(headers)
    message: dict[str, Any] = {"type": "http.response.start", "status": given["status"]}
    if rng.random() < 0.95:
        message["headers"] = headers
    if rng.random() < 0.05:
        message["trailers"] = rng.choice([True, False, 1, None])
    if rng.random() < 0.05:
        message["extension"] = "kept"
    return _Message(message) if rng.random() < 0.05 else message


def _body(rng: random.Random, chunk: Any, last: bool) -> Any:
    message: dict[str, Any] = {"type": "http.response.body"}
    if rng.random() < 0.95:
        message["body"] = chunk
    if not last or rng.random() < 0.5:
        message["more_body"] = rng.choice([True, True, 1, "yes"]) if not last else rng.choice([False, 0, None, ""])
    return _Message(message) if rng.random() < 0.05 else message


ODD = [{"type": "http.response.pathsend", "path": "/x"}, {"type": "http.response.trailers", "headers": []},
       {"type": "http.response.zerocopy", "file": 3}, {}, None, {"type": "http.response.body", "body": b"late"}]


def case(rng: random.Random) -> dict[str, Any]:
    given = response_cases.case(rng)
    chunks = given["chunks"] or [b""]
    messages = [_start(rng, given)] + [_body(rng, chunk, i == len(chunks) - 1) for i, chunk in enumerate(chunks)]
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        messages.insert(rng.randrange(len(messages) + 1), rng.choice(ODD))
    return {"policy": given["policy"], "method": given["method"], "request": given["request"], "messages": messages}


def _copy(message: Any) -> Any:
    if isinstance(message, Mapping):
        return {k: list(v) if isinstance(v, list) else v for k, v in message.items()}
    return message


def _drive(awaitable: Any) -> Any:
    """Run an awaitable that never suspends; what it returned, or the error."""
    iterator = awaitable.__await__()
    try:
        while True:
            next(iterator)
    except StopIteration as stop:
        return stop.value


def trace(core: type, given: dict[str, Any]) -> list[Any]:
    """What an AsgiResponse class *core* does with the case's messages, step by step."""
    cls = type("Response", (_Branches, core), {"__slots__": ()})
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(_copy(message))

    steps: list[Any] = []
    response = cls(given["policy"], given["method"], given["request"], send)
    for message in given["messages"]:
        try:
            result = response.send_message(_fresh(message))
            kind = "ready" if type(result).__name__ in ("Ready", "_Ready") else "awaitable"
            steps.append((kind, _drive(result)))
        except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
            steps.append(type(exc).__name__)
        steps.append((list(sent), response.state, _copy(response.held_start), list(response.chunks)))
    return steps
