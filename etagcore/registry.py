"""Strategy names -> factories: built-ins (imported lazily), registered ones, entry-point plug-ins.

A spec is a name (``"sha1"``), a spec string (``"blake3:bits=256,encoding=base64url"``), a
mapping (``{"name": "stat", "format": "nginx"}``), an already built strategy, or None for the
``ETAGCORE_STRATEGY`` environment variable (default ``sha1``).
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
import threading
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any, Union

from .errors import ConfigError, MissingDependencyError, UnknownStrategyError
from .strategy import Strategy

__all__ = ["get_strategy", "available_strategies", "register_strategy", "strategy_factory", "StrategySpec"]

ENTRY_POINT_GROUP = "etagcore.strategies"
ENV_VAR = "ETAGCORE_STRATEGY"
DEFAULT = "sha1"

StrategySpec = Union[str, Mapping[str, Any], Strategy, None]
Factory = Callable[..., Strategy]

# name -> (module, attribute, the package the module needs)
_BUILTINS: dict[str, tuple[str, str, str | None]] = {
    "sha1": ("etagcore.strategies.sha1", "SHA1Strategy", None),
    "blake3": ("etagcore.strategies.blake3", "Blake3Strategy", "blake3"),
    "xxh3-64": ("etagcore.strategies.xxhash", "XXH3_64Strategy", "xxhash"),
    "xxh3-128": ("etagcore.strategies.xxhash", "XXH3_128Strategy", "xxhash"),
    "xxh64": ("etagcore.strategies.xxhash", "XXH64Strategy", "xxhash"),
    "stat": ("etagcore.strategies.stat", "StatStrategy", None),
}
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.+-]*")

_lock = threading.Lock()
_registered: dict[str, Factory] = {}
_plugins: dict[str, metadata.EntryPoint] | None = None


def _entry_points() -> dict[str, metadata.EntryPoint]:
    global _plugins
    if _plugins is None:
        found = {ep.name.lower(): ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
        _plugins = {name: ep for name, ep in found.items() if name not in _BUILTINS}
    return _plugins


def available_strategies() -> list[str]:
    """Sorted names of every strategy: built-in, registered and installed plug-ins."""
    with _lock:
        return sorted(set(_BUILTINS) | set(_registered) | set(_entry_points()))


def register_strategy(name: str, factory: Factory, *, replace: bool = False) -> None:
    """Register *factory* (called with the spec's options as keyword arguments) under *name*.

    Names are lowercase: letters, digits and ``_ . + -``. An existing name (built-in,
    registered or plug-in) is replaced only with ``replace=True``.
    """
    if not isinstance(name, str) or _NAME_RE.fullmatch(name) is None:
        raise ConfigError(
            f"invalid strategy name {name!r}: use lowercase letters, digits and '_.+-', starting with a letter or digit"
        )
    if not callable(factory):
        raise ConfigError(f"strategy factory for {name!r} must be callable, not {type(factory).__name__}")
    with _lock:
        taken = name in _registered or name in _BUILTINS or name in _entry_points()
        if taken and not replace:
            raise ConfigError(f"strategy {name!r} is already registered; pass replace=True to replace it")
        _registered[name] = factory


def strategy_factory(name: str) -> Factory:
    """The factory registered under *name* (imports a built-in or plug-in on first use)."""
    key = name.strip().lower()
    with _lock:
        factory = _registered.get(key)
        plugin = None if factory is not None or key in _BUILTINS else _entry_points().get(key)
    if factory is not None:
        return factory
    if key in _BUILTINS:
        module, attr, package = _BUILTINS[key]
        try:
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        except ImportError as exc:
            raise MissingDependencyError(
                f"strategy {key!r} needs the {package!r} package, which could not be imported ({exc}); "
                f"install it with: pip install {package}  (it is a dependency of etagcore, so "
                "`pip install --force-reinstall etagcore` also restores it)"
            ) from exc
    if plugin is not None:
        try:
            return plugin.load()  # type: ignore[no-any-return]
        except ImportError as exc:
            dist = plugin.dist.name if plugin.dist else "its distribution"
            raise MissingDependencyError(
                f"strategy {key!r} comes from the plug-in {dist}, which failed to import ({exc}); "
                f"reinstall it with its dependencies: pip install {dist}"
            ) from exc
    names = available_strategies()
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise UnknownStrategyError(f"unknown strategy {name!r}{hint} Available: {', '.join(names)}")


def parse_spec(text: str) -> tuple[str, dict[str, str]]:
    """Split ``"name:key=value,key=value"`` into the name and its options (as text)."""
    name, _, rest = text.partition(":")
    name = name.strip()
    if not name:
        raise ConfigError(f"strategy spec {text!r} has no name; expected 'name' or 'name:key=value,...'")
    options: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ConfigError(f"strategy spec {text!r}: expected key=value, got {item!r}")
        if key in options:
            raise ConfigError(f"strategy spec {text!r}: option {key!r} is given twice")
        options[key] = value.strip()
    return name, options


def _build(name: str, options: Mapping[str, Any]) -> Strategy:
    factory = strategy_factory(name)
    key = name.strip().lower()
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins have no signature: let the call decide
        signature = None
    if signature is not None:
        try:
            signature.bind(**options)
        except TypeError:
            params = [p.name for p in signature.parameters.values() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
            unknown = [k for k in options if k not in params]
            raise ConfigError(
                f"strategy {key!r} has no option {', '.join(map(repr, unknown or list(options)))}; "
                f"its options: {', '.join(params) or 'none'}"
            ) from None
    try:
        strategy = factory(**options)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"strategy {key!r} rejected its options {dict(options)!r}: {exc}") from exc
    if not isinstance(strategy, Strategy):
        raise ConfigError(
            f"the factory for strategy {key!r} returned {type(strategy).__name__}, which lacks the "
            "Strategy methods new(), tag() and tag_file() and the name attribute"
        )
    return strategy


def get_strategy(spec: StrategySpec = None) -> Strategy:
    """Build a strategy from a name, spec string, mapping, strategy object, or None (environment)."""
    if spec is None:
        text = os.environ.get(ENV_VAR, "").strip()
        if not text:
            return _build(DEFAULT, {})
        try:
            return _build(*parse_spec(text))
        except ConfigError as exc:
            raise type(exc)(f"{ENV_VAR}={text!r}: {exc}") from exc
    if isinstance(spec, str):
        return _build(*parse_spec(spec))
    if isinstance(spec, Mapping):
        options = dict(spec)
        name = options.pop("name", None)
        if not isinstance(name, str):
            raise ConfigError(f"strategy mapping needs a 'name' string, got {spec!r}")
        bad_keys = [k for k in options if not isinstance(k, str)]
        if bad_keys:
            raise ConfigError(f"strategy option names must be strings, got {bad_keys!r}")
        return _build(name, options)
    if isinstance(spec, Strategy):
        return spec
    raise ConfigError(
        f"cannot build a strategy from {type(spec).__name__}; give a name, a 'name:key=value' string, "
        "a mapping with 'name', a strategy object, or None"
    )
