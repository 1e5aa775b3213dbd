"""src_c/fields.c under AddressSanitizer and UndefinedBehaviorSanitizer: built here with gcc,
driven in a child Python with random headers (hostile names, odd types, repeats, dicts that are
lists of pairs), every answer compared with the Python reference. Any memory error or undefined
behaviour aborts the child, failing the test."""

from __future__ import annotations

import pytest

import sanitized

DRIVER = r"""
import random, sys
import _fields
from etagcore._fields_py import pick as reference

rng = random.Random(int(sys.argv[1]))
NAMES = [(b"if-match", b"if-none-match", b"if-modified-since", b"if-unmodified-since"),
         (b"etag", b"content-type", b"content-length", b"last-modified", b"content-encoding"), (), (b"",)]
POOL = [b"etag", b"ETAG", b"If-None-Match", b"if-none-matcH", b"content-length", b"", b"\xff" * 13,
        "ETag", "If-Match", "\u00e9tag", "if-none-match\u0100", "Content-Type", ""]

def name():
    r = rng.random()
    if r < 0.6:
        return rng.choice(POOL)
    if r < 0.8:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
    if r < 0.97:
        return "".join(chr(rng.choice([rng.randrange(128), rng.randrange(0x110000 - 0xE000) + 0xE000]))
                       for _ in range(rng.randrange(0, 20)))
    return rng.choice([1, None, bytearray(b"etag"), memoryview(b"etag")])

def pair():
    r = rng.random()
    value = rng.choice([b"v", "v", ["a", "b"], None, 7])
    if r < 0.95:
        return (name(), value) if rng.random() < 0.8 else [name(), value]
    return rng.choice([(name(),), (name(), value, value), b"ab", "ab", None])

def answer(f, headers, names, repeated):
    try:
        return f(headers, names, repeated)
    except TypeError:
        return TypeError

for i in range(int(sys.argv[2])):
    pairs = [pair() for _ in range(rng.randrange(0, 24))]
    if rng.random() < 0.3:
        try:
            headers = dict(pairs)
        except (TypeError, ValueError):
            headers = pairs
    else:
        headers = pairs if rng.random() < 0.8 else tuple(pairs)
    names = rng.choice(NAMES)
    repeated = rng.choice([None, "R"])
    got, want = answer(_fields.pick, headers, names, repeated), answer(reference, headers, names, repeated)
    if got != want:
        sys.exit(f"differ on {headers!r} {names!r} {repeated!r}: C {got!r}, Python {want!r}")
print("ok", i + 1)
"""


@pytest.fixture(scope="module")
def sanitized_module(tmp_path_factory):
    return sanitized.build("fields.c", "_fields", tmp_path_factory.mktemp("asan"))


@pytest.mark.parametrize("seed", [1, 2])
def test_fields_c_is_memory_safe_and_agrees_with_python(sanitized_module, seed):
    result = sanitized.run(DRIVER, sanitized_module, str(seed), "12000")
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]
    assert result.stdout.startswith("ok 12000")
