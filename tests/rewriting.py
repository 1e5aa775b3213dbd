"""A writer for the consistency tests: same-size in-place rewrites of a file in bursts, with pauses
long enough for the file to settle and be tagged again, so rewrites also land while a tagged
version is being read or sent."""

from __future__ import annotations

import threading
import time


def rewrite_in_bursts(path, versions: list[bytes], stop: threading.Event, pieces: int = 1) -> None:
    """Until *stop*: for 0.3 s rewrite *path* in place with the next of *versions* (each in *pieces*
    writes), then pause 1.2 s."""
    size = len(versions[0])
    cuts = [size * k // pieces for k in range(pieces + 1)]
    i = 0
    with open(path, "r+b", buffering=0) as f:
        while not stop.is_set():
            burst_end = time.monotonic() + 0.3
            while time.monotonic() < burst_end:
                f.seek(0)
                for start, end in zip(cuts, cuts[1:]):
                    f.write(versions[i % 2][start:end])
                i += 1
            stop.wait(1.2)
