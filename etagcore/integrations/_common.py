"""What the WSGI and ASGI middlewares share: strategy resolution and the header rules of 304/412."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ConfigError, UnsupportedBodyError
from ..registry import get_strategy
from ..strategy import Strategy

DEFAULT_MAX_BODY = 8 << 20

# RFC 9110 15.4.5: a 304 carries the fields a 200 would have had for caching (ETag, Date, Vary,
# Cache-Control, Expires, Content-Location) but no representation metadata; these are dropped.
NOT_MODIFIED_DROPPED = frozenset(
    {"content-type", "content-length", "content-encoding", "content-language", "content-range",
     "content-md5", "last-modified", "transfer-encoding"}
)


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


def kept_on_304(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The header lines of a 200 that stay on its 304 (RFC 9110 15.4.5)."""
    return [(name, value) for name, value in headers if name.lower() not in NOT_MODIFIED_DROPPED]
