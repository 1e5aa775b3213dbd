"""Flask: the :class:`ETag` extension tags responses, answers their preconditions and gives
``send_file`` responses etagcore file tags; :func:`with_etag` answers 304/412 before a view runs.

    etag = ETag(app)            # or ETag().init_app(app); config: ETAGCORE_STRATEGY, ETAGCORE_MAX_BODY

The Flask object stays the Flask object: the extension is the app's last ``after_request`` hook,
which translates the finished :class:`flask.Response` into the sans-IO core
(:class:`etagcore.response.ConditionalResponse`) and writes the core's answer back into it.

- Buffered bodies (a list, as every ``return "..."`` or ``jsonify`` view gives) of 200 responses
  to GET/HEAD are tagged from their bytes. Flask runs the GET view for a HEAD and keeps its body
  until Werkzeug drops it on sending, so a HEAD gets GET's tag. An ETag the app set itself is kept.
- Streamed responses (generators, ``stream_with_context``) are left alone, unbuffered.
- ``send_file`` / ``send_from_directory``: Werkzeug has already tagged the file with
  ``"<mtime>-<size>-<adler32 of path>"`` and answered 304/412/206 from that tag. Those answers are
  undone and decided again by etagcore: the tag comes from the response's own open file
  (``fstat`` of its descriptor, :func:`etagcore.files.tag_open_file`), so do Last-Modified and
  Content-Length; preconditions are decided by the core, ranges by
  :func:`etagcore.honour_range` and sent from that same file, cut short if it changes meanwhile.
  A file that is not regular, changed within the last second, or is not a plain file object
  read from its start (a ``GzipFile`` sends other bytes than its descriptor's) keeps Werkzeug's
  answer. Werkzeug itself answers 416 inside ``send_file``, before any hook, to a Range it
  cannot serve (several ranges, ``bytes=5-1``), unless an If-Range made it ignore the Range.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from typing import Any, Optional, TypeVar, Union

import flask
import werkzeug.wsgi
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from ..conditional import evaluate_preconditions, honour_range
from ..errors import ConfigError, InvalidETagError
from ..etag import ETag as EntityTag
from ..files import identity, plain_file_fd, tag_open_file
from ..httpdate import format_http_date
from ..registry import StrategySpec, get_strategy
from ..response import (FLUSH, PASS, ConditionalResponse, Policy, Reply, checked_validator, validator_reply,
                        validator_tag)
from ..static.ranges import UNSATISFIABLE, parse_range
from ..static.site import FileBody, read_now
from ..static.site import _last_modified as file_last_modified
from ._common import DEFAULT_MAX_BODY, DEFAULT_STRATEGY, body_strategy, check_max_body

__all__ = ["ETag", "with_etag"]

View = TypeVar("View", bound=Callable[..., Any])
Validator = Callable[..., Union[EntityTag, str, None]]

# The tag Werkzeug's send_file makes: f'"{mtime}-{size}-{adler32(path)}"' (mtime a float).
_WERKZEUG_FILE_TAG = re.compile(r'"-?[0-9]+(?:\.[0-9]+)?-[0-9]+-[0-9]+"')
# Werkzeug wraps a file body it answered 206 to in this (private) class; without it, we cannot
# undo its 206s, and leave such responses as Werkzeug made them.
_RangeWrapper: Any = getattr(werkzeug.wsgi, "_RangeWrapper", None)
# The statuses Werkzeug's make_conditional turns a file's 200 into.
_FILE_STATUSES = frozenset({200, 206, 304, 412})


class ETag:
    """The Flask extension: ``ETag(app)`` or ``ETag()`` then :meth:`init_app`.

    *strategy* (any :func:`etagcore.get_strategy` spec that can tag bodies, used for bodies and
    files; default ``xxh3-128``, ``sha1`` gives the very tags of Werkzeug's ``add_etag()``) and
    *max_body* (the largest body buffered and tagged, default 8 MiB) override the app's
    ``ETAGCORE_STRATEGY`` and ``ETAGCORE_MAX_BODY``. A wrong value raises
    :class:`etagcore.ConfigError` naming the setting, in :meth:`init_app`.
    """

    def __init__(self, app: Optional[flask.Flask] = None, *, strategy: StrategySpec = None,
                 max_body: Optional[int] = None) -> None:
        self.strategy = strategy
        self.max_body = max_body
        if app is not None:
            self.init_app(app)

    def init_app(self, app: flask.Flask) -> None:
        """Check the settings, register in ``app.extensions["etagcore"]`` and add the hook that
        runs after every other ``after_request`` function of the app (blueprints' included)."""
        if "etagcore" in app.extensions:
            raise RuntimeError("an etagcore ETag extension is already registered on this Flask app")
        policy = self.policy_for(app.config)
        app.extensions["etagcore"] = self
        # Flask runs a scope's hooks last-registered first: index 0 runs after all others, also
        # after hooks registered later, so the tag describes the body as it leaves the app.
        app.after_request_funcs.setdefault(None, []).insert(0, _responder(policy))

    def policy_for(self, config: Any) -> Policy:
        """The :class:`~etagcore.response.Policy` for an app with this *config* (explicit
        arguments first)."""
        if self.strategy is not None:
            spec, key = self.strategy, "ETag(strategy=...)"
        else:
            spec, key = config.get("ETAGCORE_STRATEGY") or DEFAULT_STRATEGY, "ETAGCORE_STRATEGY"
        try:
            resolved = get_strategy(spec)
        except ConfigError as exc:
            raise type(exc)(f"{key}={spec!r}: {exc}") from None
        if self.max_body is not None:
            max_body, size_key = self.max_body, "ETag(max_body=...)"
        else:
            max_body, size_key = config.get("ETAGCORE_MAX_BODY", DEFAULT_MAX_BODY), "ETAGCORE_MAX_BODY"
        return Policy(body_strategy(resolved, key), check_max_body(max_body, size_key))


def _responder(policy: Policy) -> Callable[[flask.Response], flask.Response]:
    def tag_response(response: flask.Response) -> flask.Response:
        environ = flask.request.environ  # one context lookup: they cost ~1 us each
        method = environ["REQUEST_METHOD"]
        if method != "GET" and method != "HEAD":
            return response
        body = response.response
        if type(body) is not list:
            return _file_response(policy, response, environ, method, body)
        conditional = ConditionalResponse(policy, method, environ)
        headers = list(response.headers)
        if len(body) == 1 and type(body[0]) is bytes:  # what Response.set_data() makes
            action = conditional.whole(response.status_code, headers, body[0])
            if type(action) is str:
                if action is not PASS:
                    response.headers["ETag"] = action
                return response
            return _write(response, action)
        action = conditional.start(response.status_code, headers)
        if action is PASS:
            return response
        if isinstance(action, Reply):
            return _write(response, action)
        for chunk in body:
            if conditional.feed(chunk.encode() if type(chunk) is str else chunk) is FLUSH:
                return response  # over max_body: as it is
        return _write(response, conditional.finish())

    return tag_response


def _write(response: flask.Response, reply: Reply) -> flask.Response:
    """The core's reply into *response*: a 200 keeps its body (dropped for HEAD by Werkzeug)."""
    response.headers[:] = reply.headers  # one call (Headers() or add() per field cost more)
    if reply.status != 200:
        response.status_code = reply.status
        response.response = []
        response.direct_passthrough = False
    return response


# -- send_file ---------------------------------------------------------------------------------

def _file_response(policy: Policy, response: flask.Response, environ: dict[str, Any], method: str,
                   body: Any) -> flask.Response:
    """A response whose body is an open file (send_file) is decided again from that file;
    anything else that is not a list (a generator, BytesIO) passes as it is."""
    if response.status_code not in _FILE_STATUSES:
        return response
    wrapper = body.iterable if _RangeWrapper is not None and type(body) is _RangeWrapper else body
    file = getattr(wrapper, "file", None)  # Werkzeug's FileWrapper
    if file is None:
        file = getattr(wrapper, "filelike", None)  # wsgiref's and gunicorn's wsgi.file_wrapper
        if file is None:
            return response
    fd = plain_file_fd(file)  # None: part-read, a GzipFile (fileno() is the compressed file), BytesIO
    if fd is None:
        return response
    try:
        st = os.fstat(fd)
    except OSError:
        return response
    # Undo what Werkzeug's make_conditional decided from its own tag.
    response.status_code = 200
    response.response = wrapper
    headers = response.headers
    headers.pop("Content-Range", None)
    own = headers.get("ETag")
    if not stat.S_ISREG(st.st_mode):
        headers.pop("ETag", None)
        headers.pop("Last-Modified", None)
        return response
    tag: Union[EntityTag, str, None] = own
    if own is None or _WERKZEUG_FILE_TAG.fullmatch(own):
        try:
            tag = tag_open_file(policy.strategy, fd, st)
        except OSError:  # unreadable while hashed: no validator (sending will tell the rest)
            tag = None
    size = st.st_size
    headers["Content-Length"] = str(size)
    if tag is None:  # changing: no validator (Werkzeug's date came from a stat before the open)
        headers.pop("ETag", None)
        headers.pop("Last-Modified", None)
    else:
        headers["ETag"] = str(tag)
        headers["Last-Modified"] = format_http_date(file_last_modified(st, time.time_ns()))
        action = ConditionalResponse(policy, method, environ).start(200, list(headers))
        if isinstance(action, Reply):
            if not action.passthrough:
                wrapper.close()
                return _write(response, action)
            headers[:] = action.headers  # with the tag the core gave it
    first, length = 0, size
    if headers.get("Accept-Ranges") == "bytes":  # send_file(conditional=True) allows ranges
        current = _parsed(headers.get("ETag"))
        if honour_range(method, environ, etag=current, last_modified=headers.get("Last-Modified")):
            wanted = parse_range(environ["HTTP_RANGE"], size)
            if wanted is UNSATISFIABLE:  # Werkzeug's own 416, as send_file raises it
                wrapper.close()
                refusal = RequestedRangeNotSatisfiable(length=size).get_response(environ)
                response.status_code, response.headers = refusal.status_code, refusal.headers
                response.response, response.direct_passthrough = refusal.response, False
                return response
            if isinstance(wanted, tuple):
                first, length = wanted[0], wanted[1] - wanted[0] + 1
                response.status_code = 206
                headers["Content-Range"] = f"bytes {first}-{wanted[1]}/{size}"
                headers["Content-Length"] = str(length)
    if method != "GET":
        return response
    if length > FileBody.CHUNK:  # sent in chunks, the stat checked before the last: cut short on a change
        response.response = _FileChunks(FileBody(fd, first, length, identity(st)), wrapper)
        return response
    data = read_now(fd, first, length, st)  # small: read before the headers, as the static core does
    if data is None:  # changed since it was tagged: no validator, the whole file as it is now
        data = os.pread(fd, os.fstat(fd).st_size, 0)
        response.status_code = 200
        for name in ("ETag", "Last-Modified", "Content-Range"):
            headers.pop(name, None)
        headers["Content-Length"] = str(len(data))
    wrapper.close()
    response.response = [data]
    return response


def _parsed(text: Optional[str]) -> Optional[EntityTag]:
    if text is None:
        return None
    try:
        return EntityTag.parse(text)
    except InvalidETagError:
        return None


class _FileChunks:
    """The file's bytes read from its descriptor with ``pread`` (raising
    :class:`~etagcore.static.FileChanged` before the last chunk if it changed since it was
    tagged); ``close()`` closes the file through Werkzeug's wrapper, which owns it."""

    __slots__ = ("_body", "_wrapper")

    def __init__(self, body: FileBody, wrapper: Any) -> None:
        self._body, self._wrapper = body, wrapper

    def __iter__(self) -> Iterator[bytes]:
        return self._body.chunks()

    def close(self) -> None:
        self._wrapper.close()


# -- validator-first views ---------------------------------------------------------------------

def with_etag(validator: Validator) -> Callable[[View], View]:
    """Validator-first: decide 304/412 before the view runs.

    ``validator`` takes the view's arguments and returns the current representation's tag
    (:class:`etagcore.ETag` or its header text), or None when there is none (then ``If-Match: *``
    fails and ``If-None-Match: *`` passes, as for a PUT that creates). Failed preconditions answer
    304 (GET/HEAD) or 412 (any method) without calling the view; otherwise a GET/HEAD 200 without
    an ETag of its own gets the validator's. Async validators and views work as Flask runs them::

        @app.get("/items/<int:id>")
        @with_etag(lambda id: f'"{version_of(id)}"')
        def item(id): ...
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def conditional_view(*args: Any, **kwargs: Any) -> Any:
            app = flask.current_app
            tag = checked_validator(app.ensure_sync(validator)(*args, **kwargs))
            request = flask.request
            method = request.method
            outcome = evaluate_preconditions(method, request.environ, etag=tag, exists=tag is not None)
            if outcome is not None:
                reply = validator_reply(outcome, tag)
                return app.response_class(status=reply.status, headers=reply.headers)
            result = app.ensure_sync(view)(*args, **kwargs)
            if tag is None or (method != "GET" and method != "HEAD"):
                return result
            response = app.make_response(result)
            if response.status_code == 200:
                sent = validator_tag(tag, list(response.headers))
                if sent is not None:
                    response.headers["ETag"] = str(sent)
            return response

        return conditional_view  # type: ignore[return-value]

    return decorate
