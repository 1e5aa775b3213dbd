"""The Strategy and Tagger interfaces, and the shared base of the hash strategies.

A :class:`Strategy` is configuration (an algorithm and its options); it makes
:class:`Tagger` objects, which hold the running state of one body, like PEP 452 hash
objects: ``update`` / ``update_many`` add bytes, ``etag()`` reads the tag without
changing the state, ``copy()`` forks it.
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

from . import _backend, _options
from ._types import Buffer, StrPath
from .etag import ETag
from .feed import DIRECT_MIN, chunk_type_error, update_body, update_many
from .files import tag_file_content

__all__ = ["Strategy", "Tagger", "BaseStrategy", "HashStrategy", "HashTagger"]

_etag = _backend.load_extension("_etag")


@runtime_checkable
class Tagger(Protocol):
    """Running state of one body."""

    def update(self, chunk: Buffer, /) -> None: ...
    def update_many(self, chunks: Iterable[Buffer], /) -> None: ...
    def etag(self) -> ETag: ...
    def copy(self) -> Tagger: ...


@runtime_checkable
class Strategy(Protocol):
    """What ``get_strategy`` returns and plug-in factories must build."""

    name: str

    def new(self) -> Tagger: ...
    def tag(self, body: Buffer | Iterable[Buffer], /) -> ETag: ...
    def tag_file(self, path: StrPath, /) -> ETag: ...


class BaseStrategy(ABC):
    """Convenience base for plug-ins: implement :meth:`new`, get :meth:`tag` and :meth:`tag_file`."""

    name: ClassVar[str] = "custom"

    @abstractmethod
    def new(self) -> Tagger:
        """A fresh tagger for one body."""

    def tag(self, body: Buffer | Iterable[Buffer], /) -> ETag:
        """Tag a whole body: a bytes-like object or an iterable of bytes-like chunks."""
        tagger = self.new()
        update_body(tagger, body)
        return tagger.etag()

    def tag_file(self, path: StrPath, /) -> ETag:
        """Tag a regular file by its content, with the shared stat-keyed digest cache."""
        return tag_file_content(self, path)

    def options(self) -> Mapping[str, Any] | None:
        """This strategy's options, as its spec string gives them (``{"level": 3}`` for
        ``mine:level=3``): with its class, what defines its tags. They key the digest cache of
        file tags, so two strategies of one class with equal options must give equal tags for
        equal bytes; a subclass that adds an option adds it here. They are read once per
        instance: options do not change after construction. None, the default, says nothing:
        file tags are then never cached (each ``tag_file`` hashes the file) and no manifest is
        built with it. Built-in strategies give theirs."""
        return None

    @property
    def spec(self) -> str:
        """The spec string that rebuilds this strategy with ``get_strategy``."""
        options = self.options() or {}
        opts = ",".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in options.items())
        return f"{self.name}:{opts}" if opts else self.name

    def __repr__(self) -> str:
        return f"get_strategy({self.spec!r})"


class HashTagger:
    """A :class:`Tagger` over a hash object with PEP 452 ``update`` / ``digest`` / ``copy``."""

    __slots__ = ("_hasher", "_finish", "_direct_min")

    def __init__(self, hasher: Any, finish: Callable[[Any], ETag], direct_min: int = DIRECT_MIN) -> None:
        self._hasher = hasher
        self._finish = finish
        self._direct_min = direct_min

    def update(self, chunk: Buffer, /) -> None:
        try:
            self._hasher.update(chunk)
        except TypeError:
            raise chunk_type_error(chunk) from None

    def update_many(self, chunks: Iterable[Buffer], /) -> None:
        update_many(self._hasher, chunks, self._direct_min)

    def etag(self) -> ETag:
        return self._finish(self._hasher)

    def copy(self) -> HashTagger:
        return HashTagger(self._hasher.copy(), self._finish, self._direct_min)


class HashStrategy(BaseStrategy):
    """Base of the content-hash strategies: options ``encoding`` (hex | base64url) and ``weak``.

    Subclasses provide :meth:`_hasher` and, where the digest size is configurable,
    :meth:`_digest` / :meth:`_hexdigest`; ``_HEX_FUNCTION`` where the library has a one-call
    hex digest.
    """

    OPTIONS: ClassVar[dict[str, str]] = {
        "encoding": "hex (default) or base64url (RFC 4648 section 5, unpadded)",
        "weak": "true or false (default): emit W/\"...\" tags",
    }
    _HEX_FUNCTION: ClassVar[Any] = None  # a staticmethod: buffer -> hex digest str
    _DIRECT_MIN: ClassVar[int] = DIRECT_MIN  # chunks smaller than this are gathered (see feed.py)
    _C_SHA1_BELOW: ClassVar[int] = 0  # SHA-1 only: hex tags of bodies shorter than this come from src_c/sha1.c

    def __init__(self, *, encoding: str = "hex", weak: bool | str = False) -> None:
        self.encoding = _options.parse_choice(self.name, "encoding", encoding, ("hex", "base64url"))
        self.weak = _options.parse_bool(self.name, "weak", weak)
        self._opaque: Callable[[Any], str] = self._hexdigest if self.encoding == "hex" else self._base64url
        # The opaque text of a whole buffer in the fewest calls: on small bodies the calls are the cost.
        self._prototype = None
        if self.encoding != "hex":
            self._oneshot: Callable[[Buffer], str] = self._opaque_of_buffer
        elif self._HEX_FUNCTION is not None:
            self._oneshot = self._HEX_FUNCTION
        elif type(self)._hexdigest is HashStrategy._hexdigest:
            self._prototype = self._hasher()  # copied, never updated
            self._oneshot = self._copy_update_hexdigest
        else:
            self._oneshot = self._opaque_of_buffer
        if _etag is not None and type(self).tag is HashStrategy.tag:  # the same tag(), as one C call
            c_sha1_below = self._C_SHA1_BELOW if self._prototype is not None else 0
            self.tag = _etag.OneShotTag(  # type: ignore[method-assign]
                ETag, self._oneshot, self._prototype, self.weak, self._tag_other, c_sha1_below
            )

    @abstractmethod
    def _hasher(self, data: Buffer = b"", /) -> Any:
        """A new hash object, optionally fed *data*."""

    def _digest(self, hasher: Any) -> bytes:
        return hasher.digest()

    def _hexdigest(self, hasher: Any) -> str:
        return hasher.hexdigest()

    def _base64url(self, hasher: Any) -> str:
        return base64.urlsafe_b64encode(self._digest(hasher)).rstrip(b"=").decode("ascii")

    def _opaque_of_buffer(self, body: Buffer) -> str:
        return self._opaque(self._hasher(body))

    def _copy_update_hexdigest(self, body: Buffer) -> str:
        hasher = self._prototype.copy()  # type: ignore[union-attr]
        hasher.update(body)
        return hasher.hexdigest()  # type: ignore[no-any-return]

    def _finish(self, hasher: Any) -> ETag:
        return _trusted(self._opaque(hasher), self.weak)

    def options(self) -> dict[str, Any]:
        return {"encoding": self.encoding, "weak": self.weak}

    def new(self) -> HashTagger:
        return HashTagger(self._hasher(), self._finish, self._DIRECT_MIN)

    def _new_for_size(self, size: int) -> HashTagger:
        """A tagger for a body of *size* bytes fed in chunks (a file): see BLAKE3's."""
        return self.new()

    def tag(self, body: Buffer | Iterable[Buffer], /) -> ETag:
        if type(body) is bytes or isinstance(body, (bytearray, memoryview)):
            return _trusted(self._oneshot(body), self.weak)
        return self._tag_other(body)

    def _tag_other(self, body: Buffer | Iterable[Buffer], /) -> ETag:
        hasher = self._hasher()
        update_body(hasher, body, self._DIRECT_MIN)
        return _trusted(self._opaque(hasher), self.weak)


_trusted = ETag._trusted

