"""The static file server behind ``etagcore serve DIR``: a Tornado handler with etagcore tags,
RFC 9110 preconditions, single byte ranges with If-Range, and no way out of its root.

Paths are resolved with symlinks followed (``os.path.realpath``) and must stay inside the
root's real path, so ``..`` and symlinks pointing out of it are refused (404, as for a missing
file: the server does not tell which). A file that changes while it is tagged is served without
an ETag rather than with one that may not describe the bytes sent.
"""

from __future__ import annotations

import mimetypes
import os
import re
from typing import Any

import tornado.web

from ..conditional import evaluate_preconditions, honour_range
from ..etag import ETag
from ..httpdate import format_http_date
from ..strategy import Strategy

__all__ = ["StaticFileHandler", "make_app", "resolve", "parse_range"]

READ_SIZE = 64 << 10
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def resolve(root: str, url_path: str) -> str | None:
    """The real path of *url_path* under the real *root*, or None if it leads outside."""
    real_root = os.path.realpath(root)
    try:
        candidate = os.path.realpath(os.path.join(real_root, url_path.lstrip("/")))
    except ValueError:  # an embedded NUL byte
        return None
    if candidate != real_root and not candidate.startswith(real_root + os.sep):
        return None
    return candidate


def parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """One ``bytes=`` range of a *size*-byte file as (first, last) inclusive, None when the header
    is not a single byte range (serve the whole file: RFC 9110 14.2 lets a server ignore it), or
    False when the range cannot be satisfied (416)."""
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # invalid: ignore the header
    if start >= size:
        return False
    return start, end


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class StaticFileHandler(tornado.web.RequestHandler):
    """Serves the files under *root*, tagged by *strategy* (``stat`` or any content strategy)."""

    SUPPORTED_METHODS = ("GET", "HEAD")  # type: ignore[assignment]

    def initialize(self, root: str, strategy: Strategy) -> None:
        self.root = root
        self.strategy = strategy

    def compute_etag(self) -> str | None:
        return None  # tags come from the file, not the write buffer

    async def get(self, url_path: str) -> None:
        path = resolve(self.root, url_path)
        if path is not None and os.path.isdir(path):
            path = os.path.join(path, "index.html")
        try:
            if path is None:
                raise FileNotFoundError
            file = open(path, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
            raise tornado.web.HTTPError(404) from None
        with file:
            await self._send(path, file)

    async def head(self, url_path: str) -> None:
        await self.get(url_path)

    async def _send(self, path: str, file: Any) -> None:
        before = os.fstat(file.fileno())
        tag: ETag | None = self.strategy.tag_file(path)
        if _identity(os.stat(path)) != _identity(before):
            tag = None  # changed while we tagged it: no validator beats a wrong one
        size, mtime = before.st_size, int(before.st_mtime)
        method = self.request.method or "GET"
        if tag is not None:
            self.set_header("Etag", str(tag))
        self.set_header("Last-Modified", format_http_date(mtime))
        self.set_header("Accept-Ranges", "bytes")
        ctype, encoding = mimetypes.guess_type(path)
        self.set_header("Content-Type", "application/octet-stream" if encoding else ctype or "application/octet-stream")
        outcome = evaluate_preconditions(method, self.request.headers, etag=tag, last_modified=mtime)
        if outcome is not None:
            if outcome == 412:
                self.clear_header("Etag")
            self.set_status(outcome)
            return
        first, last = 0, size - 1
        if tag is not None and honour_range(method, self.request.headers, etag=tag, last_modified=mtime):
            wanted = parse_range(self.request.headers["Range"], size)
            if wanted is False:
                self.set_status(416)
                self.set_header("Content-Range", f"bytes */{size}")
                self.clear_header("Content-Type")
                return
            if wanted:
                first, last = wanted  # type: ignore[misc]
                self.set_status(206)
                self.set_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.set_header("Content-Length", max(0, last - first + 1))
        if method == "HEAD":
            return
        file.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = file.read(min(READ_SIZE, remaining))
            if not chunk:
                break  # truncated under us: the connection ends short, as the length says
            remaining -= len(chunk)
            self.write(chunk)
            await self.flush()


def make_app(root: str, strategy: Strategy, **settings: Any) -> tornado.web.Application:
    """A Tornado application serving *root* with :class:`StaticFileHandler`."""
    if not os.path.isdir(root):
        raise NotADirectoryError(f"not a directory: {root}")
    return tornado.web.Application(
        [(r"/(.*)", StaticFileHandler, {"root": root, "strategy": strategy})], **settings
    )
