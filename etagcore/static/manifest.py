"""Precomputed content tags of a directory tree, so that every process and machine serving a copy
of it sends the same tags without hashing each file first.

A manifest is JSON::

    {"format": "etagcore-manifest/1", "strategy": "xxh3-128:encoding=hex,weak=false",
     "files": {"css/app.css": {"etag": "\\"5c2b...\\"", "size": 1234, "mtime_ns": 1700000000000000000}}}

A record is used only while the served file still has the recorded size and mtime (what rsync
and make trust); otherwise the file is tagged live by the same strategy, which gives the same
tag for the same bytes. Only content strategies make sense here: ``stat`` tags differ between
machines by construction.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .._types import StrPath
from ..errors import ConfigError, FileChangingError
from ..etag import ETag
from ..files import STABLE_AFTER_NS, clock_ns, hash_fd, identity, is_stable
from ..registry import get_strategy
from ..strategy import Strategy
from .walk import NotFound, open_beneath

__all__ = ["Manifest", "build_manifest", "load_manifest", "FORMAT"]

FORMAT = "etagcore-manifest/1"


@dataclass(frozen=True)
class Manifest:
    """Tags by relative path ("a/b.css"), each with the size and mtime it was computed for."""

    strategy: Strategy
    records: dict[str, tuple[ETag, int, int]]

    def lookup(self, relpath: str, st: os.stat_result) -> ETag | None:
        """The recorded tag of *relpath* if the file still has the recorded size and mtime."""
        record = self.records.get(relpath)
        if record is None or record[1] != st.st_size or record[2] != st.st_mtime_ns:
            return None
        return record[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "strategy": self.strategy.spec,  # type: ignore[attr-defined]
            "files": {path: {"etag": str(tag), "size": size, "mtime_ns": mtime}
                      for path, (tag, size, mtime) in sorted(self.records.items())},
        }


def content_strategy(spec: Any, owner: str) -> Strategy:
    """*spec* resolved, refusing strategies that do not hash content."""
    strategy = get_strategy(spec)
    if hasattr(strategy, "tag_stat") or not hasattr(strategy, "spec"):
        raise ConfigError(f"{owner}: a manifest needs a content strategy such as 'xxh3-128', 'sha1' or "
                          f"'blake3', not {getattr(strategy, 'spec', strategy.name)!r}")
    options = getattr(strategy, "options", None)
    if not callable(options) or options() is None:  # its spec would not tell its instances apart
        raise ConfigError(f"{owner}: the {strategy.name!r} strategy gives no options() (see BaseStrategy.options), "
                          "so a manifest could not tell which of its configurations made the tags")
    return strategy


def _record(strategy: Strategy, fd: int, st: os.stat_result, relpath: str) -> tuple[ETag, int, int]:
    if not is_stable(st):  # a later write in the same tick would keep size and mtime
        time.sleep((STABLE_AFTER_NS - (clock_ns() - st.st_ctime_ns)) / 1e9 + 0.01)
        st = os.fstat(fd)
    tag = hash_fd(strategy, fd, st.st_size)
    if identity(os.fstat(fd)) != identity(st):
        raise FileChangingError(f"{relpath!r} changed while it was read; build the manifest again")
    return tag, st.st_size, st.st_mtime_ns


def _files(root: str, dotfiles: bool) -> Iterator[str]:
    for directory, dirs, names in os.walk(root):
        if not dotfiles:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
        dirs.sort()
        for name in sorted(names):
            if dotfiles or not name.startswith("."):
                yield os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/")


def build_manifest(root: StrPath, strategy: Any = "xxh3-128", *, dotfiles: bool = False) -> Manifest:
    """Tag every regular file under *root* (symlinks to files followed, FIFOs skipped)."""
    chosen = content_strategy(strategy, "build_manifest")
    top = os.fsdecode(root)
    if not os.path.isdir(top):
        raise NotADirectoryError(20, "Not a directory", top)
    records = {}
    real = os.path.realpath(top)
    root_fd = os.open(real, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for relpath in _files(top, dotfiles):
            try:  # what a server would open: symlinks out of the root, FIFOs, ... are left out
                opened = open_beneath(root_fd, real, relpath.split("/"), dotfiles=dotfiles)
            except NotFound:
                continue
            try:
                if not opened.is_dir:
                    records[relpath] = _record(chosen, opened.fd, opened.st, relpath)
            finally:
                opened.close()
    finally:
        os.close(root_fd)
    return Manifest(chosen, records)


def load_manifest(path: StrPath) -> Manifest:
    """Read a manifest written by ``etagcore manifest``; any problem is a :class:`ConfigError`."""
    name = os.fsdecode(path)
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read())
    except OSError as exc:
        raise ConfigError(f"manifest {name!r}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"manifest {name!r} is not valid JSON: {exc}") from None
    try:
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        strategy = content_strategy(data["strategy"], "manifest")
        records = {}
        for relpath, record in data["files"].items():
            size, mtime = record["size"], record["mtime_ns"]
            if not (isinstance(size, int) and isinstance(mtime, int) and isinstance(relpath, str)):
                raise ValueError(f"bad record for {relpath!r}")
            records[relpath] = (ETag.parse(record["etag"]), size, mtime)
    except ConfigError as exc:
        raise ConfigError(f"manifest {name!r}: {exc}") from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"manifest {name!r} is corrupt: {exc}") from None
    return Manifest(strategy, records)
