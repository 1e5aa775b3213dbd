"""Which implementation backs the hot paths: the compiled C extensions or pure Python.

``ETAGCORE_BACKEND`` is read once, at import: ``auto`` (default) uses C where it was built,
``python`` forces the pure-Python code (tests, debugging), ``c`` fails loudly without C.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from .errors import ConfigError

ENV_VAR = "ETAGCORE_BACKEND"
_CHOICES = ("auto", "c", "python")

choice = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
if choice not in _CHOICES:
    raise ConfigError(f"{ENV_VAR}={choice!r} is invalid; allowed: {', '.join(_CHOICES)}")


# Each extension asked for, and whether its C build is in use: {"_matcher": True, ...}.
loaded: dict[str, bool] = {}


def load_extension(name: str) -> ModuleType | None:
    """The compiled module ``etagcore.<name>``, or None when the backend is Python / it is missing."""
    loaded.setdefault(name, False)
    if choice == "python":
        return None
    try:
        module = importlib.import_module(f"etagcore.{name}")
        loaded[name] = True
        return module
    except ImportError:
        if choice == "c":
            raise ImportError(
                f"{ENV_VAR}=c but the C extension etagcore.{name} is not built; "
                "reinstall with a C compiler (ETAGCORE_REQUIRE_C=1 makes a failed build an error)"
            ) from None
        return None
