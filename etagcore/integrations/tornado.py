"""Tornado: :class:`ETagMixin` gives a ``RequestHandler`` etagcore's tags and RFC 9110 preconditions;
:class:`StaticFileHandler` serves static files through :class:`etagcore.static.StaticSite`.

    class Page(ETagMixin, tornado.web.RequestHandler):
        def get(self):
            self.write(render())

    app = tornado.web.Application([...], etag_strategy="xxh3-128", etag_mode="rfc")

Application settings: ``etag_strategy`` (any :func:`etagcore.get_strategy` spec or a strategy
object; default ``sha1``, Tornado's own tags) and ``etag_mode``: ``rfc`` (default) evaluates
If-Match, If-None-Match and the date preconditions as RFC 9110 13.2.2 orders them, also for a tag
the handler set itself, and gives gzip-compressed responses (``compress_response=True``) their own
tag (``W/"<tag>-gzip"``); ``tornado`` behaves exactly as stock Tornado, only faster.

    app = tornado.web.Application(routes, static_path="static", static_handler_class=StaticFileHandler,
                                  static_etag_strategy="xxh3-128")
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

import tornado.httputil
import tornado.iostream
import tornado.web

from ..conditional import evaluate_preconditions
from ..errors import ConfigError, InvalidETagError
from ..etag import ETag
from ..httpdate import format_http_date, to_timestamp
from ..match import if_none_match
from ..response import DROPPED_ON_412, checked_validator, encoded_variant
from ..strategy import Strategy
from ..static import StaticSite, default_cache_control
from ..static.policy import IMMUTABLE
from ..static.site import ALLOW, FileBody
from ._common import body_strategy

__all__ = ["ETagMixin", "StaticFileHandler"]

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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if issubclass(cls, tornado.web.StaticFileHandler):
            raise TypeError(
                f"{cls.__name__}: ETagMixin tags the write buffer, which a StaticFileHandler leaves empty "
                "(every file would get the same tag); use etagcore.integrations.tornado.StaticFileHandler, "
                "with the static_etag_strategy setting, instead"
            )

    @property
    def etag_strategy(self) -> Strategy:
        """The strategy named by the ``etag_strategy`` application setting (default ``sha1``)."""
        return _settings_strategy(self.application.settings.get("etag_strategy", "sha1"))

    @property
    def etag_mode(self) -> Literal["rfc", "tornado"]:
        """The ``etag_mode`` application setting: ``rfc`` (default) or ``tornado``."""
        # Read from the settings each time: touching the handler's __dict__ (to remember it) would
        # turn every later attribute read of the handler, Tornado's own included, into a slow one.
        mode = self.application.settings.get("etag_mode", "rfc")
        if mode != "rfc" and mode != "tornado":
            raise ConfigError(f"etag_mode must be 'rfc' or 'tornado', not {mode!r}")
        return mode  # type: ignore[no-any-return]

    def compute_etag(self) -> str | None:
        """The tag of the write buffer, by the configured strategy (the C chunk path).

        In ``rfc`` mode none when the buffer is not the body GET sends: a HEAD handler that wrote
        nothing, or a buffer whose length disagrees with the Content-Length the handler set.
        """
        tag = self._buffer_tag(self.etag_mode)
        return None if tag is None else str(tag)

    def _buffer_tag(self, mode: str) -> ETag | None:
        buffer = self._write_buffer
        if mode == "rfc":  # only the body GET sends: not a HEAD's empty buffer, nor one its length belies
            size = sum(map(len, buffer))
            length = _field(self._headers, "Content-Length")
            if (length is not None and length != str(size)) or (
                    size == 0 and length is None and self.request.method == "HEAD"):
                return None
        tag: ETag = _settings_strategy(self.application.settings.get("etag_strategy", "sha1")).tag(buffer)
        if mode == "rfc" and self._transforms and self._will_gzip():
            tag = encoded_variant(tag, "gzip")
        return tag

    def check_etag_header(self) -> bool:
        """Whether If-None-Match matches the response's ETag (weak comparison, C matcher).
        A handler's own tag that is not an entity-tag matches nothing, as in stock Tornado."""
        current = self._headers.get("Etag")
        header = self.request.headers.get_list("If-None-Match")
        if not current or not header:
            return False
        try:
            return not if_none_match(header, current, mode=self.etag_mode)  # the condition is false: 304
        except InvalidETagError:
            return False

    def check_preconditions(self, etag: ETag | str | None = None, last_modified: Any = None,
                            exists: bool = True) -> bool:
        """Validator-first: decide 304/412 before producing a body.

        Call it early in a handler that knows its validator (a version, a file's stat), for any
        method: ``if self.check_preconditions(etag=version_tag): return``. When a precondition
        fails it finishes the response (304 with the ETag for GET/HEAD, else 412) and returns
        True. Otherwise it sets the ETag / Last-Modified headers (for GET/HEAD) and returns False.
        """
        etag = checked_validator(etag)  # a malformed tag fails every request alike
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
            self._drop_412_fields()
        self.set_status(outcome)
        self.finish()
        return True

    def _drop_412_fields(self) -> None:
        for name in DROPPED_ON_412:  # no validators, freshness or content fields on an error
            self.clear_header(name)

    def finish(self, chunk: str | bytes | dict[str, Any] | None = None) -> Any:
        if not self._finished and self.etag_mode == "rfc":
            if chunk is not None:
                self.write(chunk)
                chunk = None
            self._rfc_preconditions()
        return super().finish(chunk)

    def _rfc_preconditions(self) -> None:
        method = self.request.method
        if self._headers_written or self._status_code != 200 or (method != "GET" and method != "HEAD"):
            return
        headers = self._headers
        lines = headers._as_list  # Tornado's field lines by canonical name (see _field)
        current: ETag | str | None = _field(headers, "Etag") if "Etag" in lines else None
        if current is not None and self._transforms and self._will_gzip():
            try:  # the handler's tag names the identity body: the gzip bytes get their variant's
                current = encoded_variant(ETag.parse(current), "gzip")
            except InvalidETagError:
                return  # not an entity-tag: no validator, no 304/412
            headers["Etag"] = str(current)
        elif current is None:
            if type(self).compute_etag is ETagMixin.compute_etag:
                current = self._buffer_tag("rfc")  # an ETag: its text needs no header check, nor re-encoding
                if current is not None:
                    headers["Etag"] = str(current)
            else:  # the handler's own compute_etag(): its answer goes through Tornado's checks
                self.set_etag_header()
                current = _field(headers, "Etag")
        try:
            outcome = evaluate_preconditions(method, self.request.headers, etag=current, last_modified=(
                _field(headers, "Last-Modified") if "Last-Modified" in lines else None))
        except InvalidETagError:
            return  # the handler's own tag is not an entity-tag: no validator, no 304/412
        if outcome is not None:
            self._write_buffer = []
            if outcome == 412:
                self._drop_412_fields()
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


def _field(headers: tornado.httputil.HTTPHeaders, name: str) -> Optional[str]:
    """``headers.get(name)`` for a *name* in Tornado's canonical case, read from the lines Tornado
    keeps: ``get()`` normalizes the name twice and raises and catches KeyError when absent."""
    lines = headers._as_list.get(name)
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else ",".join(lines)


_sites: dict[tuple[Any, ...], StaticSite] = {}
_sites_lock = threading.Lock()


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, bool, type(None))) or callable(value) else id(value)


def _site(root: str, index: Optional[str], strategy: Any, manifest: Any, dotfiles: bool, precompressed: bool,
          cache_control: Any) -> StaticSite:
    """One StaticSite (one root descriptor, one hashing pool) per root and configuration; looked up
    on every request, so the hit is one tuple and one dict read."""
    key = (root, index, _hashable(strategy), _hashable(manifest), dotfiles, precompressed, _hashable(cache_control))
    site = _sites.get(key)
    if site is None:
        with _sites_lock:
            site = _sites.get(key)
            if site is None:
                site = _sites[key] = StaticSite(root, strategy=strategy, index=index, manifest=manifest,
                                                dotfiles=dotfiles, precompressed=precompressed,
                                                cache_control=cache_control)
    return site


class StaticFileHandler(tornado.web.StaticFileHandler):
    """A drop-in for ``tornado.web.StaticFileHandler`` served by :class:`etagcore.static.StaticSite`.

    Use it as ``static_handler_class`` (with ``static_path``) or in a route with Tornado's own
    arguments: ``(r"/files/(.*)", StaticFileHandler, {"path": root, "default_filename": "index.html"})``.
    The strategy comes from the ``static_etag_strategy`` application setting (any spec; default
    ``xxh3-128``) unless the route gives ``strategy``; routes may also give ``manifest``,
    ``dotfiles``, ``precompressed`` and ``cache_control`` (see ``StaticSite``). ``static_url()``
    versioning keeps working: a request with ``?v=`` is cached as immutable, as Tornado caches it.
    Files are opened beneath the root by descriptor, large files hashed off the event loop, and a
    client that disconnects ends the response quietly.
    """

    SUPPORTED_METHODS = tornado.web.RequestHandler.SUPPORTED_METHODS  # 405 with Allow comes from the site

    def initialize(  # type: ignore[override]
        self,
        path: str,
        default_filename: Optional[str] = None,
        strategy: Any = None,
        manifest: Any = None,
        dotfiles: bool = False,
        precompressed: bool = True,
        cache_control: Any = default_cache_control,
    ) -> None:
        super().initialize(path, default_filename)
        spec = strategy if strategy is not None else self.settings.get("static_etag_strategy")
        self.site = _site(path, default_filename, spec, manifest, dotfiles, precompressed, cache_control)

    @classmethod
    def site_for(cls, path: str, default_filename: Optional[str] = None, strategy: Any = None, manifest: Any = None,
                 dotfiles: bool = False, precompressed: bool = True,
                 cache_control: Any = default_cache_control) -> StaticSite:
        """The StaticSite a route with these arguments uses (built now: configuration errors surface here)."""
        return _site(path, default_filename, strategy, manifest, dotfiles, precompressed, cache_control)

    def compute_etag(self) -> Optional[str]:
        return None  # the site tags the file; a response it sends without a tag has none

    def check_etag_header(self) -> bool:
        return False  # the site has evaluated every precondition already

    async def get(self, path: str, include_body: bool = True) -> None:
        request = self.request
        # compress_response would gzip the file on the fly under the identity's tag (and gzip 206s):
        # static files are compressed ahead of time instead (precompressed sidecars, own tags).
        self._transforms = [t for t in self._transforms if not isinstance(t, tornado.web.GZipContentEncoding)]
        reply = await self.site.respond_async(request.method or "GET", path, request.headers, request.query)
        try:
            if not reply.found:
                raise tornado.web.HTTPError(404)
            self.clear_header("Content-Type")
            self.set_status(reply.status)
            for name, value in reply.headers:
                self.set_header(name, value)
            if reply.status in (200, 206, 304) and "v" in request.query_arguments and reply.etag is not None:
                self.set_header("Cache-Control", IMMUTABLE)  # static_url() names this version
            if isinstance(reply.body, FileBody):
                for chunk in reply.body.chunks():
                    self.write(chunk)
                    await self.flush()
            elif reply.body:
                self.write(reply.body)
        except tornado.iostream.StreamClosedError:
            return  # the client went away
        finally:
            reply.close()

    async def post(self, path: str) -> None:
        await self.get(path)

    put = patch = delete = options = post  # the site answers 405 with Allow (or 404 for no file)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 405:
            self.set_header("Allow", ALLOW)
        super().write_error(status_code, **kwargs)
