"""``stat``: tags from file metadata, byte-identical to Apache httpd 2.4 or nginx.

Apache 2.4 (``ap_make_etag``, FileETag): ``[W/]"[inode-][size-][mtime]"`` with the selected
components in that order, lowercase hex of the values as unsigned 64-bit integers, mtime in
microseconds, default components ``MTime Size``. The tag is weak unless the request time is
more than one second after the mtime (the file may still be changing within its mtime tick).

nginx (``ngx_http_set_etag``): ``"<mtime seconds, hex>-<size, hex>"``, printed with
``%xT-%xO``, i.e. lowercase hex of the signed values (a negative value gets a ``-``).
"""

from __future__ import annotations

import functools
import operator
import os
import stat as stat_module
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from .. import _backend, _options
from .._types import Buffer, StrPath
from ..errors import UnsupportedBodyError
from ..etag import ETag

__all__ = ["StatStrategy", "apache_etag", "nginx_etag"]

COMPONENTS = ("inode", "size", "mtime")  # Apache's output order
APACHE_DEFAULT = ("size", "mtime")  # FileETag MTime Size, the 2.4 default
_U64 = (1 << 64) - 1
_MASK = {"inode": 1, "size": 2, "mtime": 4}  # src_c/stat_tag.c's component bits
_etag = _backend.load_extension("_etag")
_USEC_PER_SEC = 1_000_000


def apache_etag(
    *, inode: int, size: int, mtime_us: int, now_us: int, components: Iterable[str] = APACHE_DEFAULT
) -> ETag:
    """Apache 2.4's ETag for a file with these stat values, made at *now_us* (microseconds)."""
    form, pick = _apache_form(tuple(name for name in COMPONENTS if name in set(components)))
    return _apache(form, pick, inode, size, mtime_us, now_us)


@functools.lru_cache(maxsize=8)
def _apache_form(components: tuple[str, ...]) -> tuple[str, Callable[[tuple[int, ...]], Any]]:
    """The %-format and the picker of (inode, size, mtime) for these components, in Apache's order."""
    return "-".join(["%x"] * len(components)), operator.itemgetter(*(COMPONENTS.index(c) for c in components))


def _apache(form: str, pick: Callable[[tuple[int, ...]], Any], inode: int, size: int, mtime_us: int,
            now_us: int) -> ETag:
    opaque = form % pick((inode & _U64, size & _U64, mtime_us & _U64))
    return ETag._trusted(opaque, not now_us - mtime_us > _USEC_PER_SEC)


def nginx_etag(*, size: int, mtime_s: int) -> ETag:
    """nginx's ETag for a file of *size* bytes modified at *mtime_s* (seconds)."""
    return ETag._trusted(f"{mtime_s:x}-{size:x}", False)


def _parse_components(value: object) -> tuple[str, ...]:
    allowed = "a list of inode, mtime, size (joined with '+' or spaces in a spec string), or all"
    items: Sequence[object]
    if isinstance(value, str):
        items = value.replace("+", " ").replace(",", " ").lower().split()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = [v.lower() if isinstance(v, str) else v for v in value]
    else:
        raise _options.bad_value("stat", "components", value, allowed)
    if list(items) == ["all"]:
        return COMPONENTS
    if not items or any(item not in COMPONENTS for item in items):
        raise _options.bad_value("stat", "components", value, allowed)
    return tuple(name for name in COMPONENTS if name in items)


class StatStrategy:
    """Tags files from ``stat()``: no content is read. Bodies cannot be tagged this way."""

    name: ClassVar[str] = "stat"
    OPTIONS: ClassVar[dict[str, str]] = {
        "format": "apache (default) or nginx",
        "components": "with format=apache: any of inode, mtime, size joined with '+', or all (default mtime+size)",
    }

    def __init__(self, *, format: str = "apache", components: str | Sequence[str] | None = None) -> None:
        self.format = _options.parse_choice(self.name, "format", format, ("apache", "nginx"))
        if components is not None and self.format != "apache":
            raise _options.bad_value(self.name, "components", components, "only with format=apache")
        self.components = APACHE_DEFAULT if components is None else _parse_components(components)
        self._form, self._pick = _apache_form(self.components)
        if _etag is not None:  # the same tag_file(), as one C call (src_c/stat_tag.c)
            mask = sum(_MASK[name] for name in self.components)
            self.tag_file = _etag.StatTag(  # type: ignore[method-assign]
                ETag, self.format == "nginx", mask, self._tag_file
            )

    @property
    def spec(self) -> str:
        if self.format == "nginx":
            return "stat:format=nginx"
        return "stat:format=apache,components=" + "+".join(self.components)

    def __repr__(self) -> str:
        return f"get_strategy({self.spec!r})"

    def _refuse(self) -> UnsupportedBodyError:
        return UnsupportedBodyError(
            "the 'stat' strategy tags files only (it reads their metadata): use tag_file(path), "
            "or a content strategy such as 'sha1' or 'xxh3-128' for response bodies"
        )

    def new(self) -> Any:
        raise self._refuse()

    def tag(self, body: Buffer | Iterable[Buffer], /) -> ETag:
        raise self._refuse()

    def tag_file(self, path: StrPath, /) -> ETag:
        """Tag the regular file at *path* (symlinks followed, as Apache and nginx do)."""
        return self._tag_file(path)

    def _tag_file(self, path: StrPath, /) -> ETag:
        st = os.stat(path)
        if not stat_module.S_ISREG(st.st_mode):
            raise OSError(f"not a regular file: {os.fsdecode(path)!r}")
        return self.tag_stat(st)

    def tag_stat(self, st: os.stat_result, now_ns: int | None = None) -> ETag:
        """Tag from a ``stat()`` result already at hand; *now_ns* defaults to ``time.time_ns()``."""
        if self.format == "nginx":
            return nginx_etag(size=st.st_size, mtime_s=st.st_mtime_ns // 1_000_000_000)
        now = time.time_ns() if now_ns is None else now_ns
        return _apache(self._form, self._pick, st.st_ino, st.st_size, st.st_mtime_ns // 1000, now // 1000)
