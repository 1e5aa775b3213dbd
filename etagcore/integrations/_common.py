"""What the middlewares share: checking their configuration (the response rules are in etagcore.response)."""

from __future__ import annotations

from ..errors import ConfigError, UnsupportedBodyError
from ..registry import get_strategy
from ..strategy import Strategy

DEFAULT_MAX_BODY = 8 << 20
# The framework integrations' default (Django, Flask, aiohttp), as the static files'. The WSGI/ASGI
# middlewares and the Tornado mixin keep "sha1": Tornado's own tags.
DEFAULT_STRATEGY = "xxh3-128"


def body_strategy(strategy: str | Strategy, owner: str) -> Strategy:
    """*strategy* (a spec or a strategy object), checked to be able to tag response bodies."""
    resolved = get_strategy(strategy) if isinstance(strategy, str) else strategy
    try:
        resolved.tag(b"")
    except UnsupportedBodyError as exc:
        raise ConfigError(f"{owner}: strategy {resolved.name!r} cannot tag response bodies ({exc}); "
                          "use a content strategy such as 'sha1', 'xxh3-128' or 'blake3'") from None
    return resolved


def check_max_body(max_body: int, owner: str) -> int:
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 0:
        raise ConfigError(f"{owner}: max_body must be a byte count >= 0, not {max_body!r}")
    return max_body
