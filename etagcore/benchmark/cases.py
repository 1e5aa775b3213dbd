"""What is measured: bodies (contiguous or in chunks) and the subjects that tag them.

A subject is etagcore or a peer a user would otherwise reach for, for one algorithm:
``library call`` (the hash library on a contiguous body), ``update loop`` (a Python loop of
``update()`` over the chunks), ``join + hash`` (``b"".join`` then one call), Tornado's
``compute_etag`` and Werkzeug's ``generate_etag`` (both SHA-1). For a file: etagcore's
``tag_file`` (its digest cache emptied before each call), the library over an mmap of the file,
and the command-line tool (``sha1sum``, ``b3sum``, ``xxhsum``) where it is installed. Every
subject returns the hex digest it computed, so a run can check that all of them agree before
timing anything.
"""

from __future__ import annotations

import hashlib
import mmap
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import blake3
import xxhash

from ..files import digest_cache
from ..registry import get_strategy

KiB, MiB = 1 << 10, 1 << 20
ALGORITHMS = ("sha1", "blake3", "xxh3-128", "xxh3-64", "xxh64")
CHUNK_SIZES = (16, 64, 256, 4 * KiB, 64 * KiB)


@dataclass(frozen=True)
class Plan:
    """Which bodies a run measures."""

    name: str
    contiguous: tuple[int, ...]  # body sizes, one buffer
    chunked_total: int  # body size for the chunked layouts
    chunk_sizes: tuple[int, ...] = CHUNK_SIZES
    small: tuple[int, ...] = (0, 100, 1 * KiB)  # latency of small bodies, as one chunk
    min_time: float = 0.2  # seconds of calls per case (at least 3 calls)
    file_bytes: int = 0  # a file of this size, tagged from disk (0: none)


QUICK = Plan("quick", contiguous=(1 * KiB, 1 * MiB, 16 * MiB), chunked_total=16 * MiB, min_time=0.15,
             file_bytes=64 * MiB)
FULL = Plan("full", contiguous=(1 * KiB, 1 * MiB, 64 * MiB, 256 * MiB), chunked_total=64 * MiB, min_time=0.5,
            file_bytes=1024 * MiB)
PLANS = {"quick": QUICK, "full": FULL}


def make_body(size: int) -> bytes:
    """Deterministic, not compressible-looking, and fresh (not shared with another body)."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def split(body: bytes, chunk: int) -> list[bytes]:
    """The body as a list of separate bytes objects, the way a handler's write buffer holds it."""
    return [body[i : i + chunk] for i in range(0, len(body), chunk)]


# The hash library's own constructor and hex digest for each algorithm (etagcore's defaults).
_LIBRARY: dict[str, tuple[Callable[..., Any], Callable[[Any], str]]] = {
    "sha1": (hashlib.sha1, lambda h: h.hexdigest()),
    "blake3": (lambda data=b"": blake3.blake3(data, max_threads=blake3.blake3.AUTO), lambda h: h.hexdigest(16)),
    "xxh3-128": (xxhash.xxh3_128, lambda h: h.hexdigest()),
    "xxh3-64": (xxhash.xxh3_64, lambda h: h.hexdigest()),
    "xxh64": (xxhash.xxh64, lambda h: h.hexdigest()),
}


@dataclass(frozen=True)
class Subject:
    """One way of tagging a body; ``bind(body)`` returns the zero-argument call that is timed."""

    algorithm: str
    name: str
    bind: Callable[[Any], Callable[[], str]]
    layouts: frozenset[str]  # "contiguous", "chunked"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.algorithm})"


def _etagcore(algorithm: str) -> Subject:
    strategy = get_strategy(algorithm)
    return Subject(algorithm, "etagcore", lambda body: lambda: strategy.tag(body).opaque,
                   frozenset({"contiguous", "chunked"}))


def _library_call(algorithm: str) -> Subject:
    new, hexdigest = _LIBRARY[algorithm]
    return Subject(algorithm, "library call", lambda body: lambda: hexdigest(new(body)), frozenset({"contiguous"}))


def _update_loop(algorithm: str) -> Subject:
    new, hexdigest = _LIBRARY[algorithm]

    def bind(chunks: list[bytes]) -> Callable[[], str]:
        def run() -> str:
            h = new()
            for chunk in chunks:
                h.update(chunk)
            return hexdigest(h)

        return run

    return Subject(algorithm, "update loop", bind, frozenset({"chunked"}))


def _join_then_hash(algorithm: str) -> Subject:
    new, hexdigest = _LIBRARY[algorithm]
    return Subject(algorithm, "join + hash", lambda chunks: lambda: hexdigest(new(b"".join(chunks))),
                   frozenset({"chunked"}))


def _tornado() -> Subject:
    import tornado.web

    compute_etag = tornado.web.RequestHandler.compute_etag

    def bind(body: Any) -> Callable[[], str]:
        handler = SimpleNamespace(_write_buffer=body if isinstance(body, list) else [body])
        return lambda: compute_etag(handler).strip('"')  # type: ignore[arg-type,union-attr]

    return Subject("sha1", "tornado compute_etag", bind, frozenset({"contiguous", "chunked"}))


def _werkzeug() -> Subject:
    from werkzeug.http import generate_etag

    def bind(body: Any) -> Callable[[], str]:
        if isinstance(body, list):  # it takes one buffer: a chunked body must be joined first
            return lambda: generate_etag(b"".join(body))
        return lambda: generate_etag(body)

    return Subject("sha1", "werkzeug generate_etag", bind, frozenset({"contiguous", "chunked"}))


def _tag_file(algorithm: str) -> Subject:
    strategy = get_strategy(algorithm)

    def bind(path: str) -> Callable[[], str]:
        def run() -> str:
            digest_cache.clear()  # a file tagged for the first time, not a cache hit
            return strategy.tag_file(path).opaque

        return run

    return Subject(algorithm, "etagcore", bind, frozenset({"file"}))


def _library_on_mmap(algorithm: str) -> Subject:
    new, hexdigest = _LIBRARY[algorithm]

    def bind(path: str) -> Callable[[], str]:
        def run() -> str:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return hexdigest(new(mapped))

        return run

    return Subject(algorithm, "library on mmap", bind, frozenset({"file"}))


# The command-line tool for each algorithm: the command, and the digest's place in its output line.
TOOLS = {
    "sha1": (["sha1sum"], 0),
    "blake3": (["b3sum", "--length", "16", "--no-names"], 0),
    "xxh3-128": (["xxhsum", "-H2"], 0),
    "xxh3-64": (["xxhsum", "-H3"], -1),  # BSD style: "XXH3 (path) = digest"
    "xxh64": (["xxhsum", "-H1"], 0),
}


def _tool(algorithm: str) -> Subject | None:
    command, field = TOOLS[algorithm]
    if shutil.which(command[0]) is None:
        return None

    def bind(path: str) -> Callable[[], str]:
        return lambda: subprocess.run([*command, path], check=True, capture_output=True, text=True).stdout.split()[field]

    return Subject(algorithm, command[0], bind, frozenset({"file"}))


def missing_tools(algorithms: tuple[str, ...] = ALGORITHMS) -> list[str]:
    """The command-line tools for these algorithms that are not installed (their rows are skipped)."""
    return sorted({TOOLS[a][0][0] for a in algorithms if shutil.which(TOOLS[a][0][0]) is None})


def subjects(algorithms: tuple[str, ...] = ALGORITHMS) -> list[Subject]:
    """Every subject for these algorithms, etagcore first."""
    found = []
    for algorithm in algorithms:
        if algorithm not in _LIBRARY:
            raise ValueError(f"unknown algorithm {algorithm!r}; choose from {', '.join(ALGORITHMS)}")
        found += [_etagcore(algorithm), _library_call(algorithm), _update_loop(algorithm), _join_then_hash(algorithm)]
        if algorithm == "sha1":
            found += [_tornado(), _werkzeug()]
        found += [_tag_file(algorithm), _library_on_mmap(algorithm)]
        tool = _tool(algorithm)
        if tool is not None:
            found.append(tool)
    return found
