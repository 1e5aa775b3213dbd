"""Type aliases shared by the public modules."""

from __future__ import annotations

import os
import sys
from typing import Union

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:  # any object with the buffer protocol is accepted at run time (mmap, array, ...)
    Buffer = Union[bytes, bytearray, memoryview]

StrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__all__ = ["Buffer", "StrPath"]
