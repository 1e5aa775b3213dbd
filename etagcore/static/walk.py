"""Open a file beneath a root directory by file descriptor, so that containment is a property of
the opened file and not of a path string checked before the open.

Each component is opened with ``openat(dir_fd, name, O_NOFOLLOW)`` from the root's descriptor.
A symlink is read (``readlinkat``) and its target walked the same way: ``..`` pops back to the
parent descriptor and never above the root; an absolute target is followed only when it names a
place under the root's real path (and is then walked from the root's descriptor). Swapping a
directory for a symlink while a request runs therefore cannot lead outside: every step starts
from a descriptor that is already inside.

The last component is opened non-blocking (a FIFO does not hang the server) and checked with
``fstat``: only regular files and directories come back; anything else is :class:`NotFound`.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

__all__ = ["NotFound", "Opened", "open_beneath", "MAX_SYMLINKS"]

MAX_SYMLINKS = 40  # Linux's own limit per lookup
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
_LEAF_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | _CLOEXEC
_SYMLINK_ERRNOS = (errno.ELOOP, errno.ENOTDIR)  # what O_NOFOLLOW (| O_DIRECTORY) gives a symlink


class NotFound(Exception):
    """The path does not lead to a regular file or directory beneath the root (answer 404)."""


@dataclass
class Opened:
    """An open regular file or directory beneath the root. The caller closes :attr:`fd`."""

    fd: int
    st: os.stat_result
    owned_dirs: list[int]  #: directory descriptors of the walk to close with it (never the root's)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.st.st_mode)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self.close_dirs()

    def close_dirs(self) -> None:
        for fd in self.owned_dirs:
            os.close(fd)
        self.owned_dirs = []


def _hidden(name: str) -> bool:
    return name.startswith(".") and name not in (".", "..")


def open_beneath(root_fd: int, root_real: str, parts: list[str], *, dotfiles: bool = False) -> Opened:
    """Open ``root/parts[0]/parts[1]/...`` without ever leaving *root_fd*'s directory.

    *root_real* is the root's real path (to map absolute symlink targets back under the root).
    Components ``""`` and ``"."`` are skipped; ``..`` moves to the parent descriptor and fails at
    the root. Names starting with a dot are refused unless *dotfiles*, symlink targets included.
    Raises :class:`NotFound` for anything that is not a regular file or directory beneath the root.
    """
    pending = list(reversed(parts))  # a stack: the next component is last
    stack: list[int] = []  # directory descriptors below the root, innermost last
    links = 0
    try:
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                if not stack:
                    raise NotFound("'..' above the root")
                os.close(stack.pop())
                continue
            if not dotfiles and _hidden(name):
                raise NotFound("hidden name")
            here = stack[-1] if stack else root_fd
            last = not any(p not in ("", ".") for p in pending)
            try:
                fd = os.open(name, _LEAF_FLAGS if last else _DIR_FLAGS, dir_fd=here)
            except OSError as exc:
                if exc.errno not in _SYMLINK_ERRNOS:
                    raise NotFound(exc.strerror) from None
                target = _readlink(name, here)  # not a symlink: NotFound
                links += 1
                if links > MAX_SYMLINKS:
                    raise NotFound("too many symlinks") from None
                if target.startswith("/"):
                    if target != root_real and not target.startswith(root_real.rstrip("/") + "/"):
                        raise NotFound("absolute symlink out of the root") from None
                    target = target[len(root_real):]
                    while stack:
                        os.close(stack.pop())
                pending.extend(reversed(target.split("/")))
                continue
            if not last:
                stack.append(fd)
                continue
            try:
                st = os.fstat(fd)
            except OSError:
                os.close(fd)
                raise NotFound("fstat failed") from None
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                os.close(fd)
                raise NotFound("not a regular file")
            opened = Opened(fd, st, stack)
            stack = []
            return opened
        # Only "", "." and ".." components: the root itself, or a directory reached through "..".
        here = stack[-1] if stack else root_fd
        fd = os.dup(here)
        opened = Opened(fd, os.fstat(fd), stack)
        stack = []
        return opened
    except ValueError:  # NUL in a name, unencodable text
        raise NotFound("invalid name") from None
    finally:
        for fd in stack:
            os.close(fd)


def _readlink(name: str, dir_fd: int) -> str:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError as exc:
        raise NotFound(exc.strerror) from None
