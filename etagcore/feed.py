"""Feeding a body or a sequence of chunks into a hash object.

A body is one bytes-like object (bytes, bytearray, memoryview, mmap, array, ...) or an
iterable of them. ``str`` is refused everywhere: the tag would depend on an encoding the
caller never chose.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from . import _backend
from ._types import Buffer

__all__ = ["update_body", "update_many", "chunk_type_error", "gather_backend"]

SLAB = 1 << 20  # small chunks are gathered into pieces of about this size
# Chunks this large go to the hash as they are, never copied. Below it, copying is cheaper than
# an update() call (measured with sha1 and xxh3; blake3 asks for more, for its SIMD).
DIRECT_MIN = 4 << 10

_gather = _backend.load_extension("_gather")


def gather_backend() -> str:
    """``"c"`` when lists of chunks are walked by the compiled gatherer, else ``"python"``."""
    return "c" if _gather is not None else "python"


class _Hasher(Protocol):
    def update(self, data: Any, /) -> Any: ...


def chunk_type_error(chunk: object) -> TypeError:
    if isinstance(chunk, str):
        return TypeError("str chunks are not accepted: encode them first, e.g. chunk.encode('utf-8')")
    return TypeError(f"chunks must be bytes-like objects (bytes, bytearray, memoryview, mmap), not {type(chunk).__name__}")


def update_many(hasher: _Hasher, chunks: Iterable[Buffer], direct_min: int = DIRECT_MIN) -> None:
    """Feed every chunk, in order: the same bytes as ``hasher.update(c)`` for each, in fewer calls.

    Chunks under *direct_min* bytes are gathered into pieces of about :data:`SLAB` bytes
    (bounded memory, never a whole-body join); larger ones are passed through.
    """
    if isinstance(chunks, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"update_many() takes an iterable of chunks, not a single {type(chunks).__name__}")
    if _gather is not None and type(chunks) in (list, tuple):
        _gather.update_many(hasher.update, chunks, direct_min)
    else:
        _update_many_py(hasher.update, chunks, direct_min)


def _update_many_py(update: Any, chunks: Iterable[Buffer], direct_min: int = DIRECT_MIN) -> None:
    pending: list[Buffer] = []
    size = 0
    for chunk in chunks:
        if type(chunk) is bytes:
            n = len(chunk)
        else:
            try:
                n = memoryview(chunk).nbytes  # type: ignore[arg-type]
            except TypeError:
                raise chunk_type_error(chunk) from None
        if n >= direct_min:
            if pending:
                update(b"".join(pending))
                pending.clear()
                size = 0
            update(chunk)
        else:
            pending.append(chunk)
            size += n
            if size >= SLAB:
                update(b"".join(pending))
                pending.clear()
                size = 0
    if pending:
        update(b"".join(pending))


def update_body(hasher: _Hasher, body: Buffer | Iterable[Buffer], direct_min: int = DIRECT_MIN) -> None:
    """Feed a whole body: one bytes-like object, or an iterable of chunks."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        hasher.update(body)
    elif type(body) in (list, tuple):  # before the buffer probe, which raises for them
        update_many(hasher, body, direct_min)
    elif isinstance(body, str):
        raise TypeError("str bodies are not accepted: encode them first, e.g. body.encode('utf-8')")
    else:
        try:
            view = memoryview(body)  # type: ignore[arg-type]
        except TypeError:
            view = None
        if view is not None:
            with view:
                hasher.update(view)
            return
        try:
            chunks = iter(body)  # type: ignore[call-overload]
        except TypeError:
            raise TypeError(
                f"body must be a bytes-like object or an iterable of bytes-like chunks, not {type(body).__name__}"
            ) from None
        update_many(hasher, chunks, direct_min)
