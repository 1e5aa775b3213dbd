"""The README's examples, read from README.md itself: each is the ```python block that follows an
``<!-- example: NAME -->`` line, so the tests run exactly what users read."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def example(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {re.escape(name)} -->\n```python\n(.*?)\n```\n", text, re.S)
    if found is None:
        raise LookupError(f"README.md has no example named {name!r}")
    return found.group(1) + "\n"
