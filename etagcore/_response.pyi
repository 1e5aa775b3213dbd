from collections.abc import Awaitable, Callable, Sequence
from typing import Any

PASS: str
BUFFER: str
FLUSH: str

def bind(reply: Callable[..., Any], pick: Callable[..., Any], kept_on_304: frozenset[Any], dropped_on_412: frozenset[Any],
         send_all: Callable[..., Any], /) -> None: ...
def bind_preconditions(reference: Callable[..., Any], read_conditions: Callable[..., Any], decide: Callable[..., Any],
                       pick: Callable[..., Any], conditional_fields: tuple[bytes, ...], environ_fields: tuple[str, ...],
                       ignoring_methods: frozenset[str], etag_class: type, /) -> Callable[..., Any]: ...

class ResponseCore:
    policy: Any
    method: str
    request: Any
    status: Any
    headers: Any
    chunks: list[Any]
    size: int
    _binary: bool
    _last_modified: Any
    _length: int | None
    def __init__(self, policy: Any, method: str, request_headers: Any, binary: bool = ...) -> None: ...
    def start(self, status: Any, headers: Sequence[tuple[Any, Any]], /) -> Any: ...
    def feed(self, chunk: bytes, /) -> str: ...
    def finish(self) -> Any: ...
    def whole(self, status: Any, headers: Sequence[tuple[Any, Any]], body: bytes | bytearray, /) -> Any: ...

READY: Awaitable[None]

class AsgiResponse(ResponseCore):
    send: Callable[[Any], Awaitable[None]]
    held_start: Any
    state: int
    def __init__(self, policy: Any, method: str, request_headers: Any, send: Callable[[Any], Awaitable[None]], /) -> None: ...
    def send_message(self, message: Any, /) -> Awaitable[None]: ...
