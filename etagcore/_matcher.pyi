# Types of the cffi-built module etagcore._matcher (src_c/build_matcher.py).
from typing import Any

class _Lib:
    ETAGCORE_WEAK_LIST: int
    ETAGCORE_STRONG_LIST: int
    ETAGCORE_STRONG_ONE: int
    ETAGCORE_TORNADO: int
    ETAGCORE_ABSENT: int
    ETAGCORE_NO_MATCH: int
    ETAGCORE_MATCH: int
    ETAGCORE_MALFORMED_HEADER: int
    ETAGCORE_MALFORMED_CURRENT: int
    ETAGCORE_BAD_MODE: int
    def etagcore_match(self, header: bytes, header_len: int, current: Any, mode: int, /) -> int: ...

lib: _Lib
ffi: Any
