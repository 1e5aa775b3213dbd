"""The static-file core: from (method, URL path, request headers) to the response to send.

Framework-free and with no network I/O: frontends (Tornado, ASGI, WSGI) translate their request
into :meth:`StaticSite.respond` / :meth:`StaticSite.respond_async` and send the :class:`Reply`.

The rules, each in one place:

- The file is opened beneath the root by descriptor (:mod:`.walk`); only regular files are
  served, dotfiles and dot-directories are 404 unless ``dotfiles=True``. A directory is served by
  its index file when the URL ends in ``/``; without the slash it gets a 301 to the slash form.
- Tag, Last-Modified and body all come from that one open file. A file changed less than one
  second before the response (Apache's rule: timestamps are coarse, so a second write in the same
  tick would go unseen) gets no validator and ``Cache-Control: no-store``; so does one that
  changes while it is hashed. If the file changes while it is sent, :class:`FileChanged` stops the
  body before its last bytes, so no client ever holds a complete response whose tag is not the
  tag of its bytes.
- Content strategies hash each file version once, larger files in worker threads, concurrent
  requests sharing one computation (:mod:`.tagging`); a manifest supplies tags precomputed
  elsewhere while the file's size and mtime still match.
- Preconditions and Range follow RFC 9110 (13.2.2, 14); 304 keeps ETag, Cache-Control and Vary
  (15.4.5), 412 and 416 carry no Content-Type or caching headers.
"""

from __future__ import annotations

import asyncio
import os
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Optional, Union

from .._types import StrPath
from ..conditional import Headers, evaluate_preconditions, honour_range, request_fields
from ..errors import ConfigError
from ..etag import ETag
from ..files import clock_ns, identity, is_stable
from ..httpdate import format_http_date
from ..registry import StrategySpec, get_strategy
from ..strategy import Strategy
from . import policy
from .encodings import acceptable_codings
from .manifest import Manifest, load_manifest
from .ranges import UNSATISFIABLE, parse_range
from .tagging import TagJobs
from .walk import NotFound, Opened, open_beneath

__all__ = ["StaticSite", "Reply", "FileBody", "FileChanged", "DEFAULT_STRATEGY", "ALLOW"]

DEFAULT_STRATEGY = "xxh3-128"
ALLOW = "GET, HEAD"
# The request fields the site reads; the first four are the preconditions.
FIELDS = ("If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range",
          "Accept-Encoding")
_PRECONDITIONS = frozenset(FIELDS[:4])
_QUERY_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))  # printable ASCII stays; controls are escaped
MAX_PATH = 4096  # longer URL paths are 404 without touching the file system
CacheControl = Union[str, Callable[[str], Optional[str]], None]


class FileChanged(Exception):
    """The file changed (or shrank) while its body was being sent: end the connection without the
    last bytes, so the client does not keep the body under a tag it does not have."""


class FileBody:
    """*length* bytes of an open file from *offset*, read with ``pread`` in chunks.

    Before the last chunk is handed over the file's stat is compared with the one the tag and
    headers were made from; a difference raises :class:`FileChanged`.
    """

    CHUNK = 256 << 10

    def __init__(self, fd: int, offset: int, length: int, stat_identity: tuple[int, ...]) -> None:
        self.fd, self.offset, self.length, self._identity = fd, offset, length, stat_identity

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        offset, remaining = self.offset, self.length
        while remaining > 0:
            chunk = os.pread(self.fd, min(size, remaining), offset)
            if not chunk:
                raise FileChanged("the file shrank while it was sent")
            offset += len(chunk)
            remaining -= len(chunk)
            if remaining <= 0 and identity(os.fstat(self.fd)) != self._identity:
                raise FileChanged("the file changed while it was sent")
            yield chunk

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def read_now(fd: int, first: int, length: int, st: os.stat_result) -> Optional[bytes]:
    """*length* bytes of the open file *fd* from *first*, read before any header is sent: None
    when the file is no longer the one *st* describes (changed, or shrank), so that the caller
    can still drop the validators made from *st*. Small bodies go this way: a change found
    while a body is sent can only cut it short (:class:`FileBody`)."""
    body = os.pread(fd, length, first)
    if len(body) != length or identity(os.fstat(fd)) != identity(st):
        return None
    return body


@dataclass
class Reply:
    """What to send: status, header lines, and a body (None: no body, as for HEAD and 304).

    ``found`` is False when no file answered (a frontend that wraps an app falls through to it).
    The frontend must call :meth:`close` (or exhaust and close the body) when done.
    """

    status: int
    headers: list[tuple[str, str]]
    body: Union[FileBody, bytes, None] = None
    etag: Optional[ETag] = None
    found: bool = True
    path: str = ""  # the file's path under the root ("a/index.html"), for logs

    def close(self) -> None:
        if isinstance(self.body, FileBody):
            self.body.close()

    @property
    def reason(self) -> str:
        return _REASONS.get(self.status, "")


_REASONS = {200: "OK", 206: "Partial Content", 301: "Moved Permanently", 304: "Not Modified",
            404: "Not Found", 405: "Method Not Allowed", 412: "Precondition Failed",
            416: "Range Not Satisfiable", 503: "Service Unavailable"}


def _text(status: int, extra: list[tuple[str, str]] | None = None, *, head: bool = False,
          found: bool = True) -> Reply:
    body = f"{status} {_REASONS[status]}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *(extra or [])]
    return Reply(status, headers, None if head else body, found=found)


class _Selected:
    """An open file chosen to answer a request, waiting for its tag. *file* is *opened* or the
    precompressed sidecar chosen instead of it."""

    __slots__ = ("method", "headers", "opened", "file", "relpath", "coding", "now_ns")

    def __init__(self, method: str, headers: dict[str, list[Any]], opened: Opened, relpath: str) -> None:
        self.method, self.headers, self.relpath = method, headers, relpath
        self.opened = self.file = opened
        self.coding: Optional[str] = None
        self.now_ns = clock_ns()  # the clock file times come from (see etagcore.files)

    def close(self) -> None:
        if self.file is not self.opened:
            self.file.close()
        self.opened.close()


class StaticSite:
    """Serve the files beneath *root* (see the module docstring for the rules).

    *strategy*: any :func:`etagcore.get_strategy` spec (default ``xxh3-128``; ``stat`` for
    Apache-style metadata tags; with a *manifest*, the manifest's). *index*: the file that serves
    a directory URL ending in ``/`` (None: no index, 404). *cache_control*: a header value, a
    function of the relative path returning one (or None for no header), or None; the default
    gives fingerprinted names (``app.3f9a1c2b.js``) a year of ``immutable`` and the rest
    ``no-cache``. *precompressed*: serve ``name.br`` / ``.zst`` / ``.gz`` sidecars to clients that
    accept them. *manifest*: a path written by ``etagcore manifest`` or a loaded
    :class:`~etagcore.static.manifest.Manifest`.
    """

    def __init__(
        self,
        root: StrPath,
        *,
        strategy: StrategySpec = None,
        index: Optional[str] = "index.html",
        dotfiles: bool = False,
        cache_control: CacheControl = policy.default_cache_control,
        precompressed: bool = True,
        manifest: Union[StrPath, Manifest, None] = None,
    ) -> None:
        self.root = os.path.realpath(os.fsdecode(root))
        try:
            self._root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise ConfigError(f"static root {os.fsdecode(root)!r}: {exc.strerror}") from None
        self.manifest = manifest if isinstance(manifest, Manifest) or manifest is None else load_manifest(manifest)
        self.strategy = self._choose_strategy(strategy)
        self.index = index
        self.dotfiles = dotfiles
        self.cache_control = cache_control
        self.precompressed = precompressed
        self._jobs = TagJobs()

    def _choose_strategy(self, spec: StrategySpec) -> Strategy:
        if self.manifest is None:
            return get_strategy(DEFAULT_STRATEGY if spec is None else spec)
        if spec is None:
            return self.manifest.strategy
        chosen = get_strategy(spec)
        if getattr(chosen, "spec", None) != getattr(self.manifest.strategy, "spec", None):
            raise ConfigError(f"strategy {getattr(chosen, 'spec', chosen.name)!r} differs from the manifest's "
                              f"{self.manifest.strategy.spec!r}: the tags would not agree")  # type: ignore[attr-defined]
        return chosen

    def close(self) -> None:
        """Release the root's descriptor and the hashing threads."""
        self._jobs.shutdown()
        if self._root_fd >= 0:
            os.close(self._root_fd)
            self._root_fd = -1

    # -- the two entry points ------------------------------------------------------------------

    def respond(self, method: str, path: str, headers: Headers, query: str = "") -> Reply:
        """The reply to *method* on URL *path* (percent-decoded, relative to the mount point).
        Blocks while a large file is hashed (in a worker thread)."""
        step = self._select(method, path, headers, query)
        if isinstance(step, Reply):
            return step
        selected, tag = step
        if isinstance(tag, Future):
            tag = tag.result()
        return self._reply(selected, tag)

    async def respond_async(self, method: str, path: str, headers: Headers, query: str = "") -> Reply:
        """:meth:`respond` for event loops: hashing a large file never blocks the loop."""
        step = self._select(method, path, headers, query)
        if isinstance(step, Reply):
            return step
        selected, tag = step
        if isinstance(tag, Future):
            try:  # shielded: one cancelled request must not cancel the job others share
                tag = await asyncio.shield(asyncio.wrap_future(tag))
            except BaseException:
                selected.close()
                raise
        return self._reply(selected, tag)

    # -- selection: which file answers ------------------------------------------------------------

    def _select(self, method: str, path: str, headers: Headers, query: str) -> Union[Reply, tuple[_Selected, Any]]:
        head = method == "HEAD"
        segments = path.split("/")
        if len(path) > MAX_PATH or ".." in segments:
            return _text(404, head=head, found=False)
        names = [s for s in segments if s not in ("", ".")]
        directory_form = not names or segments[-1] in ("", ".")
        if directory_form:
            if self.index is None:
                return _text(404, head=head, found=False)
            names.append(self.index)
        try:
            opened = open_beneath(self._root_fd, self.root, names, dotfiles=self.dotfiles)
        except NotFound:
            return _text(404, head=head, found=False)
        if opened.is_dir:
            opened.close()
            if directory_form:
                return _text(404, head=head, found=False)
            location = "./" + urllib.parse.quote(names[-1], errors="surrogateescape") + "/"
            if query:
                location += "?" + urllib.parse.quote(query, safe=_QUERY_SAFE, errors="surrogateescape")
            return _text(301, [("Location", location)], head=head)
        if method not in ("GET", "HEAD"):
            opened.close()
            return _text(405, [("Allow", ALLOW)], head=head)
        relpath = "/".join(names)
        selected = _Selected(method, request_fields(headers, FIELDS), opened, relpath)
        if self.precompressed:
            self._choose_sidecar(selected)
        return selected, self._tag(selected)

    def _choose_sidecar(self, selected: _Selected) -> None:
        accept = selected.headers.get("Accept-Encoding")
        if accept is None:
            return
        text = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in accept)
        base = selected.opened
        *parent, name = selected.relpath.split("/")
        for coding, suffix in acceptable_codings(text):
            try:  # next to the URL's name, walked from the root like any file (as nginx's gzip_static)
                side = open_beneath(self._root_fd, self.root, [*parent, name + suffix], dotfiles=self.dotfiles)
            except NotFound:
                continue
            # A sidecar older than the file it compresses is stale: the file was updated after it.
            if side.is_dir or side.st.st_mtime_ns < base.st.st_mtime_ns:
                side.close()
                continue
            selected.file, selected.coding = side, coding
            return

    def _tag(self, selected: _Selected) -> Any:
        """The file's tag, None (no validator), or a future of it."""
        file = selected.file
        if not is_stable(file.st, selected.now_ns):
            return None
        if self.manifest is not None and selected.coding is None:
            recorded = self.manifest.lookup(selected.relpath, file.st)
            if recorded is not None:
                return recorded
        tag_stat = getattr(self.strategy, "tag_stat", None)
        if tag_stat is not None:
            tag: ETag = tag_stat(file.st, selected.now_ns)
            if selected.coding is not None:  # metadata tags say nothing of the bytes: keep variants apart
                tag = ETag._trusted(f"{tag.opaque}-{selected.coding}", tag.weak)
            return tag
        return self._jobs.tag(self.strategy, file.fd, file.st)

    # -- the reply ----------------------------------------------------------------------------------

    def _reply(self, selected: _Selected, tag: Optional[ETag]) -> Reply:
        try:
            return self._build(selected, tag)
        finally:
            selected.close()  # a body has taken its descriptor over (see _build)

    def _build(self, selected: _Selected, tag: Optional[ETag], recheck: bool = True) -> Reply:
        method, request = selected.method, selected.headers
        st = selected.file.st
        size = st.st_size
        stable = tag is not None
        last_modified = _last_modified(st, selected.now_ns) if stable else None
        cache_control = self._cache_control(selected.relpath) if stable else policy.CHANGING

        validators: list[tuple[str, str]] = []
        if tag is not None:
            validators.append(("ETag", str(tag)))
        if last_modified is not None:
            validators.append(("Last-Modified", format_http_date(last_modified)))
        caching: list[tuple[str, str]] = []
        if cache_control:
            caching.append(("Cache-Control", cache_control))
        if self.precompressed:  # the choice of variant depends on Accept-Encoding (RFC 9110 12.5.5)
            caching.append(("Vary", "Accept-Encoding"))

        outcome = None
        if not _PRECONDITIONS.isdisjoint(request):
            outcome = evaluate_preconditions(method, request, etag=tag, last_modified=last_modified)
        if outcome == 304:
            # 15.4.5: the fields a 200 would have had for caching; Last-Modified only without a tag.
            kept = [v for v in validators if v[0] == "ETag"] or validators
            return Reply(304, [*kept, *caching], etag=tag, path=selected.relpath)
        if outcome == 412:
            return Reply(412, [("Content-Length", "0")], None if method == "HEAD" else b"", path=selected.relpath)

        headers = [("Content-Type", policy.content_type(selected.relpath.rpartition("/")[2]))]
        if selected.coding is not None:
            headers.append(("Content-Encoding", selected.coding))
        else:
            headers.append(("Accept-Ranges", "bytes"))
        headers += [*validators, *caching]
        status, first, length = 200, 0, size
        if "Range" in request and selected.coding is None and honour_range(method, request, etag=tag,
                                                                          last_modified=last_modified):
            ranges = request["Range"]
            wanted = parse_range(_text_of(ranges[0]), size) if len(ranges) == 1 else None
            if wanted is UNSATISFIABLE:
                return Reply(416, [("Content-Range", f"bytes */{size}"), ("Content-Length", "0")],
                             None if method == "HEAD" else b"", path=selected.relpath)
            if isinstance(wanted, tuple):
                first, last = wanted
                status, length = 206, last - first + 1
                headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
        headers.append(("Content-Length", str(length)))
        body: Union[FileBody, bytes, None] = None
        if method == "HEAD":
            pass
        elif length <= FileBody.CHUNK:  # read now: a change seen here still leaves the headers open
            fd = selected.file.fd
            body = read_now(fd, first, length, st) if recheck else os.pread(fd, length, first)
            if body is None:
                selected.file.st = os.fstat(fd)
                return self._build(selected, None, recheck=False)  # changing: no validator
            if len(body) != length:  # shrinking as we read it: ask the client to come back
                return _text(503, [("Retry-After", "1"), ("Cache-Control", policy.CHANGING)], head=method == "HEAD")
        else:
            body = FileBody(selected.file.fd, first, length, identity(st))
            selected.file.fd = -1  # the body owns it now
        return Reply(status, headers, body, etag=tag, path=selected.relpath)

    def _cache_control(self, relpath: str) -> Optional[str]:
        if callable(self.cache_control):
            return self.cache_control(relpath)
        return self.cache_control


def _last_modified(st: os.stat_result, now_ns: int) -> int:
    """Seconds: the later of mtime and ctime, never in the future. mtime alone can be set back
    (``cp -p``, ``rsync -t``, ``tar``) after the bytes changed, which would let If-Modified-Since
    and a date If-Range accept bytes the client does not have; ctime cannot be set back."""
    return min(max(st.st_mtime_ns, st.st_ctime_ns), now_ns) // 1_000_000_000


def _text_of(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)
