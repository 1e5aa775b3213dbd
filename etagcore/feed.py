"""Feeding a body or a sequence of chunks into a hash object.

A body is one bytes-like object (bytes, bytearray, memoryview, mmap, array, ...) or an
iterable of them. ``str`` is refused everywhere: the tag would depend on an encoding the
caller never chose.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ._types import Buffer

__all__ = ["update_body", "update_many", "chunk_type_error"]


class _Hasher(Protocol):
    def update(self, data: Any, /) -> Any: ...


def chunk_type_error(chunk: object) -> TypeError:
    if isinstance(chunk, str):
        return TypeError("str chunks are not accepted: encode them first, e.g. chunk.encode('utf-8')")
    return TypeError(f"chunks must be bytes-like objects (bytes, bytearray, memoryview, mmap), not {type(chunk).__name__}")


def _is_buffer(obj: object) -> bool:
    try:
        memoryview(obj).release()  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


def update_many(hasher: _Hasher, chunks: Iterable[Buffer]) -> None:
    """``hasher.update(c)`` for every chunk, in order."""
    if isinstance(chunks, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"update_many() takes an iterable of chunks, not a single {type(chunks).__name__}")
    update = hasher.update
    chunk: object = None
    try:
        for chunk in chunks:
            update(chunk)
    except TypeError:
        # Either the chunk was refused, or iterating `chunks` failed; only rephrase the former.
        if chunk is not None and not _is_buffer(chunk):
            raise chunk_type_error(chunk) from None
        raise


def update_body(hasher: _Hasher, body: Buffer | Iterable[Buffer]) -> None:
    """Feed a whole body: one bytes-like object, or an iterable of chunks."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        hasher.update(body)
    elif isinstance(body, str):
        raise TypeError("str bodies are not accepted: encode them first, e.g. body.encode('utf-8')")
    elif _is_buffer(body):
        with memoryview(body) as view:  # type: ignore[arg-type]
            hasher.update(view)
    else:
        try:
            chunks = iter(body)  # type: ignore[call-overload]
        except TypeError:
            raise TypeError(
                f"body must be a bytes-like object or an iterable of bytes-like chunks, not {type(body).__name__}"
            ) from None
        update_many(hasher, chunks)
