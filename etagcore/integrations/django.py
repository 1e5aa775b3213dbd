"""Django: :class:`ConditionalGetMiddleware` tags responses and answers their preconditions;
:func:`condition`, :func:`etag` and :func:`last_modified` decide 304/412 before the view runs.
Drop-ins for ``django.middleware.http.ConditionalGetMiddleware`` and
``django.views.decorators.http``, with RFC 9110 matching (etagcore's core) underneath.

    MIDDLEWARE = [..., "etagcore.integrations.django.ConditionalGetMiddleware", ...]  # after GZipMiddleware
    ETAGCORE_STRATEGY = "xxh3-128"      # any strategy spec or mapping (the default)
    ETAGCORE_MAX_BODY = 8 << 20         # larger HttpResponse bodies are sent untagged

    @etag(lambda request, pk: Article.objects.values_list("version", flat=True).get(pk=pk))
    def article(request, pk): ...

The middleware is a thin adapter over :class:`etagcore.response.ConditionalResponse`: an
``HttpResponse`` is fed to it whole, a ``FileResponse`` is tagged from its own open file
(:func:`etagcore.files.tag_open_file`, none when the file changed within the last second), and a
``StreamingHttpResponse`` is never read. Responses marked ``Cache-Control: no-store`` are not tagged
(Django's rule); a tag the view set itself is used as it is.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import wraps
from typing import Any, Optional, TypeVar, Union

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]
from django.core.files.base import File  # type: ignore[import-untyped]
from django.http import HttpRequest, HttpResponse, HttpResponseBase  # type: ignore[import-untyped]
from django.template.response import SimpleTemplateResponse  # type: ignore[import-untyped]
from django.utils.http import http_date  # type: ignore[import-untyped]

from ..conditional import evaluate_preconditions
from ..errors import ConfigError, InvalidETagError
from ..etag import ETag
from ..files import identity, plain_file_fd, tag_open_file
from ..static.site import FileBody
from ..registry import get_strategy
from ..response import (BUFFER, DROPPED_ON_412, KEPT_ON_304, PASS, ConditionalResponse, Policy, Reply,
                        checked_validator)
from ..strategy import Strategy
from ._common import DEFAULT_MAX_BODY, DEFAULT_STRATEGY, body_strategy, check_max_body

__all__ = ["ConditionalGetMiddleware", "condition", "etag", "last_modified"]

GetResponse = Callable[[HttpRequest], Any]
Pairs = list[tuple[str, str]]
View = TypeVar("View", bound=Callable[..., Any])
EtagFunc = Callable[..., Union[ETag, str, None]]
LastModifiedFunc = Callable[..., Optional[datetime]]



def _strategy_setting() -> Strategy:
    spec = getattr(settings, "ETAGCORE_STRATEGY", DEFAULT_STRATEGY)
    if isinstance(spec, (str, Mapping)):
        try:
            spec = get_strategy(spec)
        except ConfigError as exc:
            raise ImproperlyConfigured(f"settings.ETAGCORE_STRATEGY: {exc}") from None
    elif not callable(getattr(spec, "tag", None)):
        raise ImproperlyConfigured("settings.ETAGCORE_STRATEGY must be a strategy spec string, a mapping or a "
                                   f"strategy object, not {spec!r}")
    try:
        return body_strategy(spec, "settings.ETAGCORE_STRATEGY")
    except ConfigError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def _max_body_setting() -> int:
    try:
        return check_max_body(getattr(settings, "ETAGCORE_MAX_BODY", DEFAULT_MAX_BODY), "settings.ETAGCORE_MAX_BODY")
    except ConfigError as exc:
        raise ImproperlyConfigured(str(exc)) from None


# Django keeps a response's headers in ``response.headers._store`` as {lower name: (name, value)}
# (CaseInsensitiveMapping, since Django 3.0). They are read and written there directly when it is
# there: the public mapping costs 2-4 us a response in key lookups and charset checks, more than
# the rest of this adapter. What is written is the core's answer: pairs read from the same store,
# plus an ETag and a Content-Length made of ASCII characters.
def _store(response: HttpResponseBase) -> Optional[dict[str, tuple[str, str]]]:
    store = getattr(response.headers, "_store", None)
    return store if type(store) is dict else None


def _no_store(response: HttpResponseBase, store: Optional[dict[str, tuple[str, str]]]) -> bool:
    """Django's rule: a response that must not be stored gets no tag."""
    if store is not None:
        pair = store.get("cache-control")
        value = None if pair is None else pair[1]
    else:
        value = response.get("Cache-Control")
    if not value:
        return False
    return any(part.strip().lower() == "no-store" for part in value.split(","))


def _set_headers(response: HttpResponseBase, pairs: Pairs,
                 store: Optional[dict[str, tuple[str, str]]] = None) -> None:
    """Make *response*'s headers exactly *pairs* (the core's answer); *store*: its header store
    when the caller has it already."""
    if store is None:
        store = _store(response)
    if store is not None:
        store.clear()
        for name, value in pairs:
            store[name.lower()] = (name, value)
        return
    headers = response.headers
    for name in list(headers):
        del headers[name]
    for name, value in pairs:
        headers[name] = value


def _set_tag(response: HttpResponseBase, value: str, store: Optional[dict[str, tuple[str, str]]] = None) -> None:
    if store is not None:
        store["etag"] = ("ETag", value)
    else:
        response.headers["ETag"] = value


def _apply(response: HttpResponseBase, reply: Reply,
           store: Optional[dict[str, tuple[str, str]]] = None) -> HttpResponseBase:
    """The core's Reply as a Django response: the same object with the core's tag (its framing,
    Content-Length included, stays Django's and the server's), or a bodiless 304/412."""
    if reply.status == response.status_code:
        for name, value in reversed(reply.headers):  # the core's tag, appended last as "ETag"
            if name == "ETag":
                _set_tag(response, value, store)
                break
        return response
    if not response.streaming:
        # The view's response becomes the bodiless 304/412 (cheaper than a new one). Its cookies
        # (kept apart from the headers in Django) stay, as the core keeps Set-Cookie.
        response.status_code = reply.status
        if _stored_content(response):  # where Django's own setters store these: they cost more
            response._reason_phrase, response._container = None, [b""]
        else:
            response.reason_phrase, response.content = None, b""
        _set_headers(response, reply.headers, store)
        return response
    # Not HttpResponseNotModified: its empty body makes wsgiref add "Content-Length: 0" (RFC 9110 8.6)
    answer = HttpResponse(b"", status=reply.status)
    _set_headers(answer, reply.headers)
    answer.cookies = response.cookies
    file = getattr(response, "file_to_stream", None)
    if file is not None:
        file.close()  # its body is not sent (not response.close(): that signals request_finished)
    return answer


def _opened_file(response: HttpResponseBase) -> Optional[tuple[int, os.stat_result]]:
    """The descriptor and fstat of the plain regular file a FileResponse sends whole from its
    start (Django ``File`` wrappers unwrapped), else None: a GzipFile has a fileno too, but
    sends other bytes."""
    filelike = getattr(response, "file_to_stream", None)
    while isinstance(filelike, File):
        filelike = filelike.file
    fd = plain_file_fd(filelike)
    if fd is None:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or response.get("Content-Length") != str(st.st_size):
        return None
    return fd, st


class ConditionalGetMiddleware:
    """Tags GET/HEAD responses and answers If-None-Match / If-Match / date preconditions (RFC 9110).

    A drop-in for ``django.middleware.http.ConditionalGetMiddleware`` that runs in sync and async
    stacks. Settings, read once when Django builds the middleware: ``ETAGCORE_STRATEGY`` (a spec
    such as ``"xxh3-128"``, a mapping, or a strategy object; default ``"sha1"``) and
    ``ETAGCORE_MAX_BODY`` (default 8 MiB). An invalid value raises ``ImproperlyConfigured``.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        strategy = _strategy_setting()
        self.policy = Policy(strategy, _max_body_setting())
        self.file_policy = Policy(strategy, sys.maxsize)  # a file is tagged from disk, never buffered
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        return self.process_response(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        if response.streaming and getattr(response, "file_to_stream", None) is not None:
            # hashing a file is blocking I/O: off the event loop
            return await sync_to_async(self.process_response, thread_sensitive=False)(request, response)
        return self.process_response(request, response)

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        """The response to send for *request*: *response* (perhaps tagged), or a 304/412."""
        method = request.method
        if method != "GET" and method != "HEAD":
            return response
        store = getattr(response.headers, "_store", None)  # _store(response), in line (hot path)
        if type(store) is not dict:
            store = None
        if store is not None:
            headers = list(store.values())
            cache_control = "cache-control" in store
        else:
            headers, cache_control = list(response.items()), True
        if response.streaming or (cache_control and _no_store(response, store)):
            return self._unread(request, response, headers, store)
        if not _stored_content(response):
            return response  # its own content property: Django's WSGI handler sends other bytes than its ASGI one
        container = getattr(response, "_container", None)  # response.content without its copy and calls
        body = container[0] if type(container) is list and len(container) == 1 and type(container[0]) is bytes \
            else response.content
        action = ConditionalResponse(self.policy, method, request.META).whole(response.status_code, headers, body)
        if type(action) is str:
            if action is not PASS:
                if store is not None:  # _set_tag(), in line
                    store["etag"] = ("ETag", action)
                else:
                    response.headers["ETag"] = action
            return response
        return _apply(response, action, store)

    def _unread(self, request: HttpRequest, response: HttpResponseBase, headers: Pairs,
                store: Optional[dict[str, tuple[str, str]]]) -> HttpResponseBase:
        """A response whose body is not read here (a stream, a file, a no-store response): the
        view's own tag decides, else a file is tagged from its open file, else nothing is done."""
        is_file = response.streaming and getattr(response, "file_to_stream", None) is not None
        action = ConditionalResponse(self.file_policy if is_file else self.policy, request.method,
                                     request.META).start(response.status_code, headers)
        if action is PASS:
            return response
        if action is not BUFFER:
            return _apply(response, action)  # type: ignore[arg-type]
        if is_file and not _no_store(response, store):
            return self._file(request, response, headers)
        return response

    def _file(self, request: HttpRequest, response: HttpResponseBase, headers: Pairs) -> HttpResponseBase:
        opened = _opened_file(response)
        if opened is None:
            return response  # when in doubt, no validator
        fd, st = opened
        try:
            tag = tag_open_file(self.policy.strategy, fd, st)
        except OSError:
            tag = None
        if tag is None:
            return response
        value = str(tag)
        # Offered to the core as the response's own tag: it decides the preconditions and the 304/412.
        action = ConditionalResponse(self.file_policy, request.method, request.META).start(
            response.status_code, [*headers, ("ETag", value)])
        if action is not PASS and not (isinstance(action, Reply) and action.passthrough):
            return _apply(response, action) if isinstance(action, Reply) else response
        # The body read from that descriptor, its stat checked before the last bytes: a file
        # changed while sent is cut short rather than sent whole under the old tag (and
        # Django's handler no longer hands the file to wsgi.file_wrapper, which would not check).
        response.streaming_content = FileBody(fd, 0, st.st_size, identity(st)).chunks()
        if action is PASS:
            response.headers["ETag"] = value
            return response
        return _apply(response, action)  # type: ignore[arg-type]


_CONTENT = HttpResponse.content  # the property a subclass may override
_TEMPLATE_CONTENT = SimpleTemplateResponse.content


def _stored_content(response: HttpResponseBase) -> bool:
    """Whether *response*'s body is what Django's HttpResponse stores: its own content property,
    or a rendered template response's (TemplateResponse, generic views), which reads the same."""
    content = type(response).content
    return content is _CONTENT or (content is _TEMPLATE_CONTENT and response.is_rendered)


def _validator(value: Union[ETag, str, None]) -> Optional[ETag]:
    """An etag_func's answer as Django reads it: quoted, or unquoted and then quoted (strong)."""
    if isinstance(value, str):
        try:
            return ETag.parse(value)
        except InvalidETagError:
            value = f'"{value}"'
    return checked_validator(value)


def condition(etag_func: Optional[EtagFunc] = None,
              last_modified_func: Optional[LastModifiedFunc] = None) -> Callable[[View], View]:
    """``django.views.decorators.http.condition``, decided by RFC 9110 rules before the view runs.

    ``etag_func(request, *args, **kwargs)`` returns the current tag (quoted ``'"v1"'``/``'W/"v1"'``,
    unquoted ``'v1'`` taken as strong, or an :class:`~etagcore.ETag`), ``last_modified_func`` a
    datetime (naive means UTC); None from both means the resource does not exist. A failed
    precondition answers 304 (GET/HEAD) or 412 (any method) without calling the view; otherwise
    the view runs (sync or async) and a 200 to GET/HEAD gets the ETag and Last-Modified it lacks.
    """

    def decorator(func: View) -> View:
        def decide(request: HttpRequest, args: Any, kwargs: Any) -> tuple[Optional[HttpResponseBase], Pairs]:
            modified = last_modified_func(request, *args, **kwargs) if last_modified_func else None
            tag = _validator(etag_func(request, *args, **kwargs)) if etag_func else None
            validators: Pairs = []
            if tag is not None:
                validators.append(("ETag", str(tag)))
            if modified is not None:
                aware = modified if modified.tzinfo else modified.replace(tzinfo=timezone.utc)
                validators.append(("Last-Modified", http_date(aware.timestamp())))
            outcome = evaluate_preconditions(request.method or "GET", request.META, etag=tag, last_modified=modified,
                                             exists=tag is not None or modified is not None)
            if outcome is None:
                return None, validators
            # the core's header sets: a 304 keeps the validators a cache needs, a 412 none
            answer = HttpResponse(b"", status=outcome)  # no "Content-Length: 0" on a 304 (see _apply)
            if outcome == 304:
                _set_headers(answer, [(n, v) for n, v in validators if n.lower() in KEPT_ON_304])
            else:
                _set_headers(answer, [*((n, v) for n, v in validators if n.lower() not in DROPPED_ON_412),
                                      ("Content-Length", "0")])
            return answer, validators

        def finish(request: HttpRequest, response: HttpResponseBase, validators: Pairs) -> None:
            if response.status_code == 200 and request.method in ("GET", "HEAD"):
                for name, value in validators:
                    response.headers.setdefault(name, value)

        if iscoroutinefunction(func):
            @wraps(func)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
                answer, validators = decide(request, args, kwargs)
                if answer is not None:
                    return answer
                response = await func(request, *args, **kwargs)
                finish(request, response, validators)
                return response

            return async_view  # type: ignore[return-value]

        @wraps(func)
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            answer, validators = decide(request, args, kwargs)
            if answer is not None:
                return answer
            response = func(request, *args, **kwargs)
            finish(request, response, validators)
            return response

        return view  # type: ignore[return-value]

    return decorator


def etag(etag_func: EtagFunc) -> Callable[[View], View]:
    """``django.views.decorators.http.etag``: :func:`condition` with only an ETag function."""
    return condition(etag_func=etag_func)


def last_modified(last_modified_func: LastModifiedFunc) -> Callable[[View], View]:
    """``django.views.decorators.http.last_modified``: :func:`condition` with only a date function."""
    return condition(last_modified_func=last_modified_func)
