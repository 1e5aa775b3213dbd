"""The exception hierarchy: one root, specific leaves that also subclass the builtin users expect."""

from __future__ import annotations

__all__ = [
    "EtagcoreError",
    "ConfigError",
    "UnknownStrategyError",
    "MissingDependencyError",
    "InvalidETagError",
    "UnsupportedBodyError",
    "FileChangingError",
]


class EtagcoreError(Exception):
    """Root of every error etagcore raises on purpose."""


class ConfigError(EtagcoreError, ValueError):
    """A strategy spec, option or registration is wrong; the message names what and why."""


class UnknownStrategyError(ConfigError, LookupError):
    """No strategy is registered under the requested name."""


class MissingDependencyError(ConfigError, ImportError):
    """A strategy needs a package that is not installed; the message says what to install."""


class InvalidETagError(EtagcoreError, ValueError):
    """Text or an opaque value that is not an RFC 9110 entity-tag."""


class UnsupportedBodyError(EtagcoreError, TypeError):
    """The strategy cannot tag this kind of input (e.g. the ``stat`` strategy given a body)."""


class FileChangingError(EtagcoreError, OSError):
    """A file kept changing while it was read, so no tag describes its bytes."""
