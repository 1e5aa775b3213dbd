"""The ``etagcore`` command: ``tag``, ``strategies``, ``demo``, ``bench``, ``manifest``, ``serve``.

Exit status follows coreutils: 0 on success, 1 when some file could not be tagged (the others
are still printed), 2 for usage errors such as a bad ``--strategy``. Errors go to stderr.
"""

from __future__ import annotations

import argparse
import errno
import inspect
import io
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from . import __version__, _backend, matcher_backend
from .errors import EtagcoreError
from .etag import ETag
from .registry import available_strategies, get_strategy, strategy_factory
from .strategy import Strategy

PROG = "etagcore"
STREAM_CHUNK = 1 << 16


class WriteError(Exception):
    """Standard output could not be written (closed, full): coreutils' "write error", exit 1."""


def _err(line: str) -> None:
    """A message on stderr; none when stderr is closed (print would put it on stdout) or cannot
    be written (the command goes on, as coreutils' do)."""
    if sys.stderr is not None:
        try:
            print(line, file=sys.stderr)
        except OSError:
            pass


def _out(line: str) -> None:
    if sys.stdout is None:  # started with stdout closed
        raise WriteError(os.strerror(errno.EBADF))
    try:
        print(line)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise WriteError(exc.strerror or str(exc)) from None


def _stream_chunks(stream: BinaryIO) -> Iterator[bytes]:
    read = getattr(stream, "read1", stream.read)
    while chunk := read(STREAM_CHUNK):
        yield chunk


def _stream_capable(strategy: Strategy) -> None:
    if getattr(strategy, "tag_stat", None) is not None:
        raise EtagcoreError(f"the {strategy.name} strategy tags regular files by their metadata; a stream has none")


def _tag_stream(strategy: Strategy, stream: BinaryIO) -> ETag:
    _stream_capable(strategy)
    return strategy.tag(_stream_chunks(stream))


def _stdin() -> BinaryIO:
    if sys.stdin is None:  # started with stdin closed
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))
    return sys.stdin.buffer


def tag_path(strategy: Strategy, path: str) -> ETag:
    """The tag of what *path* names, as ``sha1sum`` reads it: ``-`` is standard input, a regular
    file is tagged through the digest cache, a FIFO or device (``/dev/stdin``, ``<(cmd)``) is
    read to its end. Raises OSError (a directory: EISDIR) or EtagcoreError."""
    if path == "-":
        return _tag_stream(strategy, _stdin())
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if stat.S_ISREG(mode):
        return strategy.tag_file(path)
    _stream_capable(strategy)  # before opening: a FIFO's open waits for a writer
    with open(path, "rb", buffering=0) as stream:
        return _tag_stream(strategy, stream)


def _line(tag: str, path: str) -> str:
    """``TAG  PATH`` as sha1sum writes it: a name holding a backslash or line break is escaped
    and the line starts with a backslash, so every name reads back from a list."""
    if "\\" in path or "\n" in path or "\r" in path:
        return f"\\{tag}  {_escape(path)}"
    return f"{tag}  {path}"


def _escape(path: str) -> str:
    return path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _unescape(path: str) -> str | None:
    """The name an escaped list entry spells, None when it is not one _escape() writes (a lone
    or unknown backslash escape: sha1sum -c calls that line improperly formatted)."""
    name = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), path)
    return name if _escape(name) == path else None


def _tag_or_report(strategy: Strategy, path: str) -> ETag | None:
    try:
        return tag_path(strategy, path)
    except OSError as exc:
        _err(f"{PROG}: {path}: {exc.strerror or exc}")
    except EtagcoreError as exc:
        _err(f"{PROG}: {path}: {exc}")
    return None


def _cmd_tag(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        strategy = get_strategy(args.strategy)
    except EtagcoreError as exc:
        parser.error(f"--strategy: {exc}")
    if args.check:
        return _check(strategy, args.files)
    status = 0
    for path in args.files:
        tag = _tag_or_report(strategy, path)
        if tag is None:
            status = 1
        else:
            _out(_line(str(tag), path))
    return status


def _check(strategy: Strategy, lists: Sequence[str]) -> int:
    """``sha1sum -c``: each line ``TAG  PATH`` of the lists (as ``tag`` prints them) checked
    again: ``PATH: OK`` or ``PATH: FAILED``; exit 1 on any failure or unreadable file."""
    failed = unreadable = malformed = checked = empty = 0
    for listing in lists:
        try:
            if listing == "-":
                text = _stdin().read()
            else:
                with open(listing, "rb") as f:
                    text = f.read()
        except OSError as exc:
            _err(f"{PROG}: {listing}: {exc.strerror or exc}")
            unreadable += 1
            continue
        lines = text.decode("utf-8", "surrogateescape").split("\n")  # names may hold any other character
        found = 0
        for line in lines[:-1] if lines[-1] == "" else lines:
            line = line[:-1] if line.endswith("\r") else line  # a list saved with CRLF
            escaped = line.startswith("\\")
            want, separator, spelled = (line[1:] if escaped else line).partition("  ")
            path = _unescape(spelled) if escaped else spelled
            if not separator or not path or not want.endswith('"') or "\0" in path:  # no name holds NUL
                malformed += 1 if line.strip() else 0
                continue
            found += 1
            checked += 1
            shown = "\\" + spelled if escaped else spelled  # as sha1sum -c: the name as the list spells it
            tag = _tag_or_report(strategy, path)
            if tag is None:
                unreadable += 1
                _out(f"{shown}: FAILED open or read")
            elif str(tag) == want:
                _out(f"{shown}: OK")
            else:
                failed += 1
                _out(f"{shown}: FAILED")
        if not found:
            _err(f"{PROG}: {listing}: no properly formatted tag lines found")
            empty += 1
    if malformed:
        _err(f"{PROG}: WARNING: {malformed} line{'s are' if malformed > 1 else ' is'} improperly formatted")
    if unreadable:
        _err(f"{PROG}: WARNING: {unreadable} listed file{'s' if unreadable > 1 else ''} could not be read")
    if failed:
        _err(f"{PROG}: WARNING: {failed} computed tag{'s' if failed > 1 else ''} did NOT match")
    return 1 if failed or unreadable or empty else 0


def _options_of(name: str) -> dict[str, str]:
    factory = strategy_factory(name)
    described = getattr(factory, "OPTIONS", None)
    if isinstance(described, dict):
        return described
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: "" if p.default is p.empty else f"default {p.default!r}" for p in params if p.kind is p.KEYWORD_ONLY}


def _cmd_strategies(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    for name in available_strategies():
        try:
            options = _options_of(name)
            doc = (inspect.getdoc(strategy_factory(name)) or "").split("\n", 1)[0]
        except EtagcoreError as exc:
            _out(f"{name}\n    unavailable: {exc}")
            continue
        _out(f"{name}\n    {_plain(doc)}")
        for option, text in options.items():
            _out(f"    {option:<11} {_plain(text)}")
    return 0


def _plain(text: str) -> str:
    """Docstring markup as plain text: ``code`` and :role:`name` lose their marks."""
    return re.sub(r":\w+:`~?([^`]+)`", r"\1", text).replace("``", "")


def _demo_bodies() -> list[tuple[str, object]]:
    block = bytes(range(256)) * 4096  # 1 MiB
    return [
        ("empty body", b""),
        ("b'hello world'", b"hello world"),
        ("1 MiB, contiguous", block),
        ("1 MiB, 16 B chunks", [block[i : i + 16] for i in range(0, len(block), 16)]),
    ]


def _cmd_demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    _out(f"etagcore {__version__}, matcher backend: {matcher_backend()}\n")
    rows = [("strategy", "input", "etag", "time")]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "page.html")
        with open(path, "wb") as f:
            f.write(b"<!doctype html><title>etagcore</title><h1>hello</h1>\n" * 100)
        old = time.time() - 3600
        os.utime(path, (old, old))
        for name in available_strategies():
            strategy = get_strategy(name)
            inputs = [] if name == "stat" else _demo_bodies()
            for label, body in [*inputs, ("file page.html (5.4 KB)", None)]:
                start = time.perf_counter()
                tag = strategy.tag_file(path) if body is None else strategy.tag(body)  # type: ignore[arg-type]
                elapsed = time.perf_counter() - start
                rows.append((name, label, str(tag), f"{elapsed * 1e6:,.0f} us"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        _out("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _cmd_bench(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]

        from .benchmark import cases, report, run
    except ImportError as exc:
        _err(f"{PROG}: bench needs the bench extra ({exc.name} is missing): pip install 'etagcore[bench]'")
        return 2
    plan = cases.PLANS["full" if args.full else "quick"]
    algorithms = tuple(a.strip() for a in args.algorithms.split(",") if a.strip())
    unknown = [a for a in algorithms if a not in cases.ALGORITHMS]
    if unknown or not algorithms:
        parser.error(f"--algorithms: unknown {', '.join(unknown) or '(none given)'}; "
                     f"choose from {', '.join(cases.ALGORITHMS)}")
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as exc:
        _err(f"{PROG}: --output-dir {args.output_dir}: {exc.strerror or exc}")
        return 1
    _err(f"etagcore {__version__} bench ({plan.name}): {', '.join(algorithms)}; "
         f"matcher {matcher_backend()}, environment in the JSON")
    if missing := cases.missing_tools(algorithms):
        _err(f"note: {', '.join(missing)} not installed: their file rows are skipped")
    results = []
    with tqdm(total=run.count(plan, algorithms), unit="case", file=sys.stderr, dynamic_ncols=True, disable=None) as bar:
        for result in run.run(plan, algorithms, on_step=bar.set_description_str):
            results.append(result)
            bar.update()
    _out(report.to_text(results))
    json_path = os.path.abspath(os.path.join(args.output_dir, "bench.json"))
    png_path = os.path.abspath(os.path.join(args.output_dir, "bench.png"))
    try:
        report.write_json(json_path, plan, results)
        _out(f"\nresults: {json_path}")
        if not args.no_plot:
            report.plot(png_path, results, plan.name, time.strftime("%Y-%m-%d"))
            _out(f"plot:    {png_path}")
    except OSError as exc:
        _err(f"{PROG}: {exc.filename or args.output_dir}: {exc.strerror or exc}")
        return 1
    return 0


def _access_log(handler: Any) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    request = handler.request
    uri = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in request.uri or "")  # no log injection
    print(f"{stamp} {handler.get_status()} {request.method} {uri} {handler._headers.get('Etag', '-')} "
          f"{1000 * request.request_time():.1f}ms", flush=True)


def _cmd_serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        import tornado.ioloop
        import tornado.web

        from .integrations.tornado import StaticFileHandler
    except ImportError as exc:
        _err(f"{PROG}: serve needs Tornado ({exc.name} is missing): pip install 'etagcore[tornado]'")
        return 2
    if not os.path.isdir(args.directory):
        parser.error(f"DIR: not a directory: {args.directory}")
    try:
        strategy = get_strategy(args.strategy) if args.strategy else None
        route = {"path": args.directory, "default_filename": "index.html", "strategy": strategy,
                 "manifest": args.manifest, "dotfiles": args.dotfiles}
        site = StaticFileHandler.site_for(**route)
    except EtagcoreError as exc:
        parser.error(str(exc))
    app = tornado.web.Application([(r"/(.*)", StaticFileHandler, route)], log_function=_access_log)
    try:
        server = app.listen(args.port, address=args.host)
    except OSError as exc:
        _err(f"{PROG}: cannot listen on {args.host}:{args.port}: {exc.strerror}")
        return 1
    port = next(iter(server._sockets.values())).getsockname()[1]  # the real one when --port 0
    _out(f"etagcore serve: http://{args.host}:{port}/ -> {site.root} "
         f"(strategy {getattr(site.strategy, 'spec', site.strategy.name)}); Ctrl-C stops")
    sys.stdout.flush()
    tornado.ioloop.IOLoop.current().start()
    return 0


def _cmd_manifest(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import json

    from .static.manifest import build_manifest

    if not os.path.isdir(args.directory):
        parser.error(f"DIR: not a directory: {args.directory}")
    try:
        manifest = build_manifest(args.directory, args.strategy or "xxh3-128", dotfiles=args.dotfiles)
    except EtagcoreError as exc:
        if isinstance(exc, OSError):
            _err(f"{PROG}: {exc}")
            return 1
        parser.error(f"--strategy: {exc}")
    text = json.dumps(manifest.to_json(), indent=1) + "\n"
    if args.output in (None, "-"):
        _out(text.rstrip("\n"))
    else:
        try:
            _write_file(args.output, text)
        except OSError as exc:
            _err(f"{PROG}: {args.output}: {exc.strerror or exc}")
            return 1
    _err(f"{PROG}: {len(manifest.records)} files tagged with {manifest.strategy.spec}")  # type: ignore[attr-defined]
    return 0


def _write_file(path: str, text: str) -> None:
    """Write *text* to *path*: a regular file (or a new one) is replaced whole, so readers never see
    half of it; anything else (a device, a FIFO, /dev/stdout, a symlink to one) is written through."""
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        regular = True
    if not regular:
        with open(path, "w") as f:
            f.write(text)
        return
    real = os.path.realpath(path)  # a symlink to a regular file: replace its target, keep the link
    with open(real + ".tmp", "w") as f:
        f.write(text)
    os.replace(real + ".tmp", real)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return port


class _Parser(argparse.ArgumentParser):
    """argparse, except that help or version text that cannot be written is a write error
    (argparse drops the OSError and exits 0)."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if not message or file is not sys.stdout:
            super()._print_message(message, file)
            return
        try:
            sys.stdout.write(message)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise WriteError(exc.strerror or str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Fast, correct HTTP entity-tags.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__} ({_backends()})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tag = sub.add_parser("tag", help="print the entity-tag of files ('-' reads stdin)")
    tag.add_argument(
        "--strategy", "-s", default=None, metavar="SPEC",
        help="strategy spec, e.g. sha1, xxh3-128, 'blake3:bits=256', 'stat:format=nginx' "
        "(default: $ETAGCORE_STRATEGY, else sha1)",
    )
    tag.add_argument("--check", "-c", action="store_true",
                     help="read FILEs as lists printed by 'etagcore tag' and check each tag (as sha1sum -c)")
    tag.add_argument("files", nargs="+", metavar="FILE")
    tag.set_defaults(run=_cmd_tag, parser=tag)

    strategies = sub.add_parser("strategies", help="list the available strategies and their options")
    strategies.set_defaults(run=_cmd_strategies, parser=strategies)

    demo = sub.add_parser("demo", help="tag sample bodies and a file with every strategy and print a table")
    demo.set_defaults(run=_cmd_demo, parser=demo)

    bench = sub.add_parser("bench", help="compare strategies and peers on small, large and fragmented bodies")
    bench.add_argument("--full", action="store_true",
                       help="bodies up to 256 MiB and 64 MiB in chunks (default: the quick plan, up to 16 MiB)")
    bench.add_argument("--algorithms", default="sha1,blake3,xxh3-128,xxh3-64,xxh64", metavar="LIST",
                       help="comma-separated (default: all content hashes)")
    bench.add_argument("--output-dir", "-o", default="bench-results", metavar="DIR",
                       help="where bench.json and bench.png go (default: ./bench-results)")
    bench.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib needed)")
    bench.set_defaults(run=_cmd_bench, parser=bench)

    manifest = sub.add_parser("manifest", help="precompute the content tags of a directory tree (JSON), for serve "
                              "--manifest and the static frontends' manifest=")
    manifest.add_argument("directory", metavar="DIR")
    manifest.add_argument("--strategy", "-s", default=None, metavar="SPEC",
                          help="a content strategy (default: xxh3-128); the servers using the manifest must use it too")
    manifest.add_argument("--output", "-o", default=None, metavar="FILE", help="write here (default: stdout)")
    manifest.add_argument("--dotfiles", action="store_true", help="include names starting with '.'")
    manifest.set_defaults(run=_cmd_manifest, parser=manifest)

    serve = sub.add_parser("serve", help="serve a directory over HTTP with etagcore tags, preconditions and ranges")
    serve.add_argument("directory", metavar="DIR")
    serve.add_argument("--strategy", "-s", default=None, metavar="SPEC",
                       help="a content strategy such as xxh3-128 (default; hashed once per file version), "
                       "or 'stat' / 'stat:format=nginx' (Apache / nginx metadata tags)")
    serve.add_argument("--manifest", "-m", default=None, metavar="FILE",
                       help="tags precomputed by 'etagcore manifest' (files whose size or mtime changed are tagged live)")
    serve.add_argument("--dotfiles", action="store_true", help="serve names starting with '.' (default: 404)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", "-p", type=_port, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve.set_defaults(run=_cmd_serve, parser=serve)
    return parser


def _backends() -> str:
    """Which implementation each part runs on: C, or the pure-Python fallback."""
    from . import conditional, feed, response  # noqa: F401  (their imports load the extensions)

    parts = {"matcher": "_matcher", "chunks": "_gather", "tags": "_etag", "fields": "_fields", "responses": "_response"}
    return ", ".join(f"{part} {'C' if _backend.loaded.get(name) else 'Python'}" for part, name in parts.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        if sys.stdout is None:  # started with stdout closed: every command writes there
            raise WriteError(os.strerror(errno.EBADF))
        if isinstance(sys.stdout, io.TextIOWrapper):  # a name that is not UTF-8 goes out as its bytes, as sha1sum's
            sys.stdout.reconfigure(errors="surrogateescape")
        args = parser.parse_args(argv)
        status: int = args.run(args, args.parser)
        if sys.stdout is not None:
            sys.stdout.flush()  # a write error shows here, not in the exit flush
        return status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Like coreutils under `| head`: stop quietly; point stdout at devnull so the exit flush is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (WriteError, OSError) as exc:  # stdout closed or full: coreutils' "write error"
        _err(f"{PROG}: write error: {exc.strerror if isinstance(exc, OSError) else exc}")
        if sys.stdout is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
