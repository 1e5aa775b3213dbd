"""Pure-Python :func:`pick`, the reference for ``src_c/fields.c`` (same results, always)."""

from __future__ import annotations

from typing import Any, Optional


def _ascii_lower(name: object) -> Optional[bytes]:
    if isinstance(name, bytes):
        return name.lower()  # bytes.lower() touches ASCII letters only
    if isinstance(name, str):
        return name.lower().encode("ascii") if name.isascii() else None
    raise TypeError(f"header names must be str or bytes, not {type(name).__name__}")


def pick(headers: Any, names: tuple[bytes, ...], repeated: Any = None, /) -> Optional[list[Any]]:
    """The values of the fields *names* (lowercase ASCII bytes) in *headers* (exactly a dict, list or
    tuple; a list or tuple holds (name, value) pairs), names compared ASCII case-insensitively. None when none is
    present; else a list as long as *names*, each item None (absent), the value, or for a
    repeated field *repeated* when given, else the list of its values in order."""
    if type(headers) is dict:
        pairs: Any = headers.items()
    elif type(headers) is list or type(headers) is tuple:
        pairs = headers
    else:
        raise TypeError(f"pick: headers must be a dict, list or tuple, not {type(headers).__name__}")
    index = {name: i for i, name in enumerate(names)}
    found: Optional[list[Any]] = None
    owned: set[int] = set()  # indexes holding a list of lines made here
    for pair in pairs:
        if not (type(pair) is tuple or type(pair) is list) or len(pair) != 2:
            raise TypeError(f"headers must be (name, value) pairs, not {type(pair).__name__}")
        name, value = pair
        i = index.get(_ascii_lower(name))  # type: ignore[arg-type]
        if i is None:
            continue
        if found is None:
            found = [None] * len(names)
        seen = found[i]
        if seen is None:
            found[i] = value
        elif repeated is not None:
            found[i] = repeated
        elif i in owned:
            seen.append(value)  # linear in the lines, however many
        else:
            found[i] = [*(seen if type(seen) is list else [seen]), value]
            owned.add(i)
    return found
