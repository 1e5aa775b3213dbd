"""Write the fuzzer's seed inputs: typical headers and 1 MiB hostile ones (not committed)."""

import pathlib
import sys

MIB = 1 << 20
SEEDS = {
    "one-tag": b'\x00\x03"a""a"',
    "list": b'\x00\x03"x", W/"a" ,, "b""a"',
    "star": b"\x00\x00*",
    "tornado": b'\x03\x05W/"a" "b" *W/"a"',
    "hostile-quotes": b"\x00\x03" + b'"' * MIB + b'"a"',
    "hostile-weak": b"\x00\x03" + b"W/" * (MIB // 2) + b'"a"',
    "hostile-commas": b"\x00\x03" + b",\t" * (MIB // 2) + b'"a"',
    "hostile-list": b"\x00\x03" + b'"a",' * (MIB // 4) + b'"a"',
    "hostile-open": b"\x03\x03W/\"" + b"a" * MIB + b'"a"',
    "hostile-stars": b"\x00\x03" + b"*" * MIB + b'"a"',
}

target = pathlib.Path(sys.argv[1])
target.mkdir(parents=True, exist_ok=True)
for name, data in SEEDS.items():
    (target / name).write_bytes(data)
