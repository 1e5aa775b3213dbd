"""Starlette and FastAPI: :func:`with_etag` decides 304/412 from a validator before an endpoint
runs; :class:`ETagMiddleware` and :class:`StaticFiles` are the ASGI ones, re-exported here.

    @app.get("/items/{id}")                      # FastAPI (or Route("/items/{id}", item) in Starlette)
    @with_etag(item_version)                     # item_version(request) -> ETag | str | None
    async def item(id: int, db=Depends(get_db)): ...

    app.add_middleware(ETagMiddleware, strategy="xxh3-128")   # added last = outermost
    app.mount("/static", StaticFiles(directory="static"))

FastAPI still reads the endpoint's own signature (dependencies, validation, OpenAPI): the
decorator only adds a ``Request`` and a ``Response`` parameter when the endpoint lacks them, and
FastAPI keeps such parameters out of the schema. With a compressor, put the ETag middleware
outside it (``add_middleware(GZipMiddleware)`` first, then ``ETagMiddleware``).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any, Optional, TypeVar, Union

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..conditional import evaluate_preconditions
from ..etag import ETag
from ..response import checked_validator, validator_reply, validator_tag
from .asgi import ETagMiddleware, StaticFiles

__all__ = ["with_etag", "ETagMiddleware", "StaticFiles"]

Tag = Union[ETag, str, None]
Validator = Callable[[Request], Union[Tag, Awaitable[Tag]]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

# Parameters added to a FastAPI endpoint's signature when it has no Request / Response of its own.
_REQUEST = "_etagcore_request"
_RESPONSE = "_etagcore_response"


def with_etag(validator: Validator) -> Callable[[Endpoint], Endpoint]:
    """Validator-first for a Starlette endpoint or a FastAPI path operation.

    ``validator(request)`` (a plain or an async function) returns the current representation's
    tag, or None when there is none (then ``If-Match: *`` fails and ``If-None-Match: *`` passes,
    as for a PUT that creates). A failed precondition answers 304 (GET/HEAD, with the ETag) or 412
    (any method, no validators) and the endpoint does not run. Otherwise the endpoint runs and a
    200 to GET/HEAD gets the validator's tag unless it set its own: on the Response it returns, or
    for a plain value FastAPI serializes, on the Response FastAPI injects.

    A plain validator runs where the endpoint runs: in the threadpool for a ``def`` endpoint (the
    decorated endpoint stays a ``def``), on the event loop for an ``async def`` one; make it
    ``async`` if it waits on I/O. In FastAPI it runs after parameter validation (a bad parameter
    is still a 422), and ``request.path_params`` holds the raw strings.

    A validator that returns anything but an ETag, its header text or None (or a malformed tag)
    is the app's bug: a ``TypeError`` / ``InvalidETagError`` on every request to the endpoint (a
    500), never only on conditional ones. Generator endpoints (streams) are refused here.

    Put it below the route decorator (``@app.get(...)`` first): the route must register the
    decorated function, not the one underneath.
    """
    if not callable(validator):
        raise TypeError(f"with_etag: the validator must be callable, not {type(validator).__name__}")
    validator_is_async = is_async_callable(validator)

    def decorate(endpoint: Endpoint) -> Endpoint:
        if inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint):
            raise TypeError(f"with_etag: {endpoint.__name__} is a generator (a stream): it has no validator")
        signature, own_request, own_response = _signature(endpoint)
        endpoint_is_async = is_async_callable(endpoint)

        def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Request, Optional[Response]]:
            """The request and FastAPI's injected response; the parameters we added are removed."""
            if _REQUEST in kwargs or (own_request is not None and own_request in kwargs):  # FastAPI
                request = kwargs.pop(_REQUEST) if own_request is None else kwargs[own_request]
                response = kwargs.pop(_RESPONSE) if own_response is None else kwargs[own_response]
                return request, response
            for arg in args:  # Starlette: the request is positional (a function or an HTTPEndpoint method)
                if isinstance(arg, Request):
                    return arg, None
            raise TypeError(f"with_etag: {endpoint.__name__} was called without a Request")

        if endpoint_is_async or validator_is_async:
            @functools.wraps(endpoint)
            async def conditional_endpoint(*args: Any, **kwargs: Any) -> Any:
                request, injected = arguments(args, kwargs)
                tag: Any = validator(request)
                if _awaitable(tag):
                    tag = await tag
                current = checked_validator(tag)
                failed = _precondition_reply(request, current)
                if failed is not None:
                    return failed
                if endpoint_is_async:
                    result = await endpoint(*args, **kwargs)
                else:
                    result = await run_in_threadpool(endpoint, *args, **kwargs)
                return _tagged(request, current, result, injected)

            wrapper: Callable[..., Any] = conditional_endpoint
        else:
            @functools.wraps(endpoint)
            def sync_conditional_endpoint(*args: Any, **kwargs: Any) -> Any:
                request, injected = arguments(args, kwargs)
                tag: Any = validator(request)
                if _awaitable(tag):
                    if inspect.iscoroutine(tag):
                        tag.close()
                    raise TypeError("with_etag: the validator returned an awaitable; declare it `async def`")
                current = checked_validator(tag)
                failed = _precondition_reply(request, current)
                if failed is not None:
                    return failed
                return _tagged(request, current, endpoint(*args, **kwargs), injected)

            wrapper = sync_conditional_endpoint
        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        return typing.cast(Endpoint, wrapper)

    return decorate


def _awaitable(tag: Any) -> bool:
    return tag is not None and type(tag) is not str and type(tag) is not ETag and inspect.isawaitable(tag)


def _precondition_reply(request: Request, tag: Optional[ETag]) -> Optional[Response]:
    scope = request.scope  # the raw ASGI pairs: half the cost of building request.headers
    outcome = evaluate_preconditions(scope["method"], scope["headers"], etag=tag, exists=tag is not None)
    if outcome is None:
        return None
    reply = validator_reply(outcome, tag, binary=True)
    response = Response(status_code=reply.status)
    response.raw_headers = reply.headers
    return response


def _tagged(request: Request, tag: Optional[ETag], result: Any, injected: Optional[Response]) -> Any:
    """The endpoint's result with the validator's tag on a 200 to GET/HEAD that has none."""
    method = request.scope["method"]
    if tag is None or (method != "GET" and method != "HEAD"):
        return result
    if isinstance(result, Response):
        if result.status_code == 200:
            _set_tag(result, tag)
    elif injected is not None:  # a plain value FastAPI serializes: its headers come from `injected`
        status = injected.status_code or getattr(request.scope.get("route"), "status_code", None) or 200
        if status == 200:
            _set_tag(injected, tag)
    return result


def _set_tag(response: Response, tag: ETag) -> None:
    raw = response.raw_headers  # what response.headers edits, without building a view
    sent = validator_tag(tag, raw)
    if sent is not None:
        raw.append((b"etag", sent.header_bytes()))


def _signature(endpoint: Callable[..., Any]) -> tuple[inspect.Signature, Optional[str], Optional[str]]:
    """The endpoint's signature for FastAPI, with a Request and a Response parameter added when it
    has none, and the names of the ones it has (FastAPI injects each kind under one name only)."""
    try:
        signature = inspect.signature(endpoint, eval_str=True)
    except NameError:  # annotations only importable under TYPE_CHECKING: FastAPI falls back alike
        signature = inspect.signature(endpoint)
    own_request = own_response = None
    for name, parameter in signature.parameters.items():
        annotation = parameter.annotation
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        if isinstance(annotation, type):
            if issubclass(annotation, Request):
                own_request = name
            elif issubclass(annotation, Response):
                own_response = name
    parameters = list(signature.parameters.values())
    for name in (_REQUEST, _RESPONSE):
        if name in signature.parameters:
            raise TypeError(f"with_etag: {endpoint.__name__} already has a parameter named {name}")
    added = []
    if own_request is None:
        added.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    if own_response is None:
        added.append(inspect.Parameter(_RESPONSE, inspect.Parameter.KEYWORD_ONLY, annotation=Response))
    at = len(parameters)
    if parameters and parameters[-1].kind is inspect.Parameter.VAR_KEYWORD:
        at -= 1  # keyword-only parameters go before **kwargs
    parameters[at:at] = added
    return signature.replace(parameters=parameters), own_request, own_response
