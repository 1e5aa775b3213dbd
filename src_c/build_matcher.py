"""cffi (API mode) build of the header matcher: ``etagcore._matcher``.

API mode compiles a real CPython extension that calls etagcore_match directly; ABI mode
would go through libffi and costs about twice as much per call, which is most of the
cost of matching a short header.
"""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    #define ETAGCORE_WEAK_LIST ...
    #define ETAGCORE_STRONG_LIST ...
    #define ETAGCORE_STRONG_ONE ...
    #define ETAGCORE_TORNADO ...
    #define ETAGCORE_ABSENT ...
    #define ETAGCORE_NO_MATCH ...
    #define ETAGCORE_MATCH ...
    #define ETAGCORE_MALFORMED_HEADER ...
    #define ETAGCORE_MALFORMED_CURRENT ...
    #define ETAGCORE_BAD_MODE ...
    int etagcore_match(const char *header, size_t header_len, const char *current, int mode);
    """
)
# cffi wraps every call in Py_BEGIN/END_ALLOW_THREADS. Releasing and re-taking the GIL costs
# more than matching a typical header (measured: ~40% of a one-tag If-None-Match call), and a
# 1 MiB header is scanned in about a millisecond, so this module keeps the GIL.
KEEP_THE_GIL = """
#undef Py_BEGIN_ALLOW_THREADS
#undef Py_END_ALLOW_THREADS
#define Py_BEGIN_ALLOW_THREADS {
#define Py_END_ALLOW_THREADS }
"""

ffibuilder.set_source(
    "etagcore._matcher",
    '#include "matcher.h"\n' + KEEP_THE_GIL,
    sources=["src_c/matcher.c"],
    include_dirs=["src_c"],
    extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
