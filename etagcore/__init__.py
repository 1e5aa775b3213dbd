"""etagcore: fast, correct HTTP entity-tags for Python servers.

    >>> import etagcore
    >>> s = etagcore.get_strategy("sha1")
    >>> str(s.tag(b"hello"))
    '"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"'
"""

from .errors import (
    ConfigError,
    EtagcoreError,
    FileChangingError,
    InvalidETagError,
    MissingDependencyError,
    UnknownStrategyError,
    UnsupportedBodyError,
)
from .conditional import evaluate_preconditions, honour_range
from .etag import ETag
from .match import if_match, if_none_match, if_range, matcher_backend
from .registry import available_strategies, get_strategy, register_strategy
from .strategy import BaseStrategy, Strategy, Tagger

__version__ = "0.1.0"

__all__ = [
    "ETag",
    "Strategy",
    "Tagger",
    "BaseStrategy",
    "get_strategy",
    "available_strategies",
    "register_strategy",
    "if_none_match",
    "if_match",
    "if_range",
    "matcher_backend",
    "evaluate_preconditions",
    "honour_range",
    "EtagcoreError",
    "ConfigError",
    "UnknownStrategyError",
    "MissingDependencyError",
    "InvalidETagError",
    "UnsupportedBodyError",
    "FileChangingError",
    "__version__",
]
