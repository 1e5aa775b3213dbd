"""Make the C extensions optional: without a compiler, ``pip install`` still succeeds and
etagcore runs on its pure-Python backends. ``ETAGCORE_REQUIRE_C=1`` turns a failed C build
into a failed install (CI sets it, so CI always tests the C path)."""

import os
import sys

from setuptools.command.build_ext import build_ext


def _required() -> bool:
    return os.environ.get("ETAGCORE_REQUIRE_C", "").strip() not in ("", "0")


class optional_build_ext(build_ext):
    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # compiler missing or failing: any error from distutils
            if _required():
                raise
            print(
                f"WARNING: etagcore: building the C extension {ext.name} failed ({exc}); "
                "installing with the pure-Python backend instead (set ETAGCORE_REQUIRE_C=1 to make this an error)",
                file=sys.stderr,
            )


cmdclass = {"build_ext": optional_build_ext}
