"""Tornado: :class:`ETagMixin` gives a ``RequestHandler`` etagcore's tags and RFC 9110 preconditions.

    class Page(ETagMixin, tornado.web.RequestHandler):
        def get(self):
            self.write(render())

    app = tornado.web.Application([...], etag_strategy="xxh3-128", etag_mode="rfc")

Application settings: ``etag_strategy`` (any :func:`etagcore.get_strategy` spec or a strategy
object; default ``sha1``, Tornado's own tags) and ``etag_mode``: ``rfc`` (default) evaluates
If-Match, If-None-Match and the date preconditions as RFC 9110 13.2.2 orders them, also for a tag
the handler set itself, and gives gzip-compressed responses (``compress_response=True``) their own
tag (``"<tag>-gzip"``); ``tornado`` behaves exactly as stock Tornado, only faster.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal, Union

import tornado.web

from ..conditional import evaluate_preconditions
from ..errors import ConfigError
from ..etag import ETag
from ..httpdate import format_http_date, to_timestamp
from ..match import if_none_match
from ..strategy import Strategy
from ._common import body_strategy

__all__ = ["ETagMixin", "GZIP_SUFFIX"]

GZIP_SUFFIX = "-gzip"  # Apache mod_deflate's convention for the tag of the compressed variant
MODES = ("rfc", "tornado")

if TYPE_CHECKING:
    _Base = tornado.web.RequestHandler
else:
    _Base = object


@functools.lru_cache(maxsize=64)
def _settings_strategy(value: Union[str, Strategy]) -> Strategy:
    """The setting resolved and checked once, not per request (strategies hash by identity)."""
    return body_strategy(value, "etag_strategy")


class ETagMixin(_Base):
    """Mix into a ``tornado.web.RequestHandler`` (before it) for etagcore tags and preconditions."""

    @property
    def etag_strategy(self) -> Strategy:
        """The strategy named by the ``etag_strategy`` application setting (default ``sha1``)."""
        return _settings_strategy(self.application.settings.get("etag_strategy", "sha1"))

    @property
    def etag_mode(self) -> Literal["rfc", "tornado"]:
        """The ``etag_mode`` application setting: ``rfc`` (default) or ``tornado``."""
        mode = self.application.settings.get("etag_mode", "rfc")
        if mode not in MODES:
            raise ConfigError(f"etag_mode must be 'rfc' or 'tornado', not {mode!r}")
        return mode  # type: ignore[no-any-return]

    def compute_etag(self) -> str | None:
        """The tag of the write buffer, by the configured strategy (the C chunk path)."""
        tag = self.etag_strategy.tag(self._write_buffer)
        if self.etag_mode == "rfc" and self._will_gzip():
            tag = ETag._trusted(tag.opaque + GZIP_SUFFIX, tag.weak)
        return str(tag)

    def check_etag_header(self) -> bool:
        """Whether If-None-Match matches the response's ETag (weak comparison, C matcher)."""
        current = self._headers.get("Etag")
        header = self.request.headers.get_list("If-None-Match")
        if not current or not header:
            return False
        return not if_none_match(header, current, mode=self.etag_mode)  # the condition is false: 304

    def check_preconditions(self, etag: ETag | str | None = None, last_modified: Any = None,
                            exists: bool = True) -> bool:
        """Validator-first: decide 304/412 before producing a body.

        Call it early in a handler that knows its validator (a version, a file's stat), for any
        method: ``if self.check_preconditions(etag=version_tag): return``. When a precondition
        fails it finishes the response (304 with the ETag for GET/HEAD, else 412) and returns
        True. Otherwise it sets the ETag / Last-Modified headers (for GET/HEAD) and returns False.
        """
        outcome = evaluate_preconditions(self.request.method or "GET", self.request.headers, etag=etag,
                                         last_modified=last_modified, exists=exists)
        safe = self.request.method in ("GET", "HEAD")
        if safe and etag is not None and exists:
            self.set_header("Etag", str(etag))
        if outcome is None:
            stamp = to_timestamp(last_modified) if last_modified is not None else None
            if safe and stamp is not None and exists:
                self.set_header("Last-Modified", format_http_date(stamp))
            return False
        self.clear_header("Content-Type")
        if outcome == 412:
            self.clear_header("Etag")
        self.set_status(outcome)
        self.finish()
        return True

    def finish(self, chunk: str | bytes | dict[str, Any] | None = None) -> Any:
        if self.etag_mode == "rfc" and not self._finished:
            if chunk is not None:
                self.write(chunk)
                chunk = None
            self._rfc_preconditions()
        return super().finish(chunk)

    def _rfc_preconditions(self) -> None:
        if self._headers_written or self._status_code != 200 or self.request.method not in ("GET", "HEAD"):
            return
        if "Etag" not in self._headers:
            self.set_etag_header()
        outcome = evaluate_preconditions(self.request.method, self.request.headers,
                                         etag=self._headers.get("Etag"),
                                         last_modified=self._headers.get("Last-Modified"))
        if outcome is not None:
            self._write_buffer = []
            if outcome == 412:
                self.clear_header("Etag")
            self.set_status(outcome)  # stock finish() then leaves the ETag logic alone

    def _will_gzip(self) -> bool:
        """Whether Tornado's GZipContentEncoding will compress this response (its own test)."""
        for transform in self._transforms or ():
            if isinstance(transform, tornado.web.GZipContentEncoding):
                ctype = str(self._headers.get("Content-Type", "")).split(";")[0]
                return (
                    "gzip" in self.request.headers.get("Accept-Encoding", "")
                    and transform._compressible_type(ctype)
                    and sum(len(part) for part in self._write_buffer) >= transform.MIN_LENGTH
                    and "Content-Encoding" not in self._headers
                )
        return False
