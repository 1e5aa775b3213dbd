"""Which precompressed sidecar (``app.js.br``, ``.zst``, ``.gz``) an Accept-Encoding allows.

    Accept-Encoding = #( codings [ weight ] )        ; RFC 9110 12.5.3
    weight          = OWS ";" OWS "q=" qvalue

A coding is acceptable when listed (or matched by ``*``) with a q-value above 0; ``identity`` is
always possible, so it is never refused here. Among acceptable codings the highest q wins, ties
going to the order of :data:`SIDECARS` (smallest files first).
"""

from __future__ import annotations

__all__ = ["SIDECARS", "acceptable_codings"]

SIDECARS = (("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz"))  # (content-coding, file suffix)
_KNOWN = {coding for coding, _ in SIDECARS}
MAX_HEADER = 4096


def _qvalue(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def acceptable_codings(header: str | None) -> list[tuple[str, str]]:
    """The sidecar (coding, suffix) pairs the client accepts, best first."""
    if not header or len(header) > MAX_HEADER:  # an absurd header gets the identity: cut, it could mislead
        return []
    weights: dict[str, float] = {}
    star = None
    for item in header.split(","):
        coding, *params = item.split(";")
        coding = coding.strip().lower()
        if coding == "x-gzip":
            coding = "gzip"
        if coding == "*":
            star = _qvalue(params)
        elif coding in _KNOWN:
            weights[coding] = _qvalue(params)
    ranked = []
    for order, (coding, suffix) in enumerate(SIDECARS):
        q = weights.get(coding, star if star is not None else 0.0)
        if q > 0:
            ranked.append((-q, order, coding, suffix))
    return [(coding, suffix) for _, _, coding, suffix in sorted(ranked)]
