"""Wires the C builds; all metadata is in pyproject.toml. See src_c/build_c.py."""

import sys

sys.path.insert(0, "src_c")
from build_c import cmdclass  # noqa: E402

from setuptools import Extension, setup  # noqa: E402

setup(
    cffi_modules=["src_c/build_matcher.py:ffibuilder"],
    ext_modules=[
        Extension("etagcore._gather", ["src_c/gather.c"], extra_compile_args=["-O2"]),
        Extension("etagcore._etag", ["src_c/etag_base.c", "src_c/stat_tag.c", "src_c/pages.c", "src_c/sha1.c"], extra_compile_args=["-O2"]),
        Extension("etagcore._fields", ["src_c/fields.c"], extra_compile_args=["-O2"]),
        Extension("etagcore._response", ["src_c/response.c", "src_c/preconditions.c", "src_c/asgi_send.c"], extra_compile_args=["-O2"]),
    ],
    cmdclass=cmdclass,
)
