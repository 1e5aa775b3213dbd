"""The WSGI and ASGI adapters answer exactly as the sans-IO core does, on generated requests and
responses: same status, same header set, same body."""

from __future__ import annotations

import asyncio

from hypothesis import event, given, settings
from hypothesis import strategies as st

from etagcore import get_strategy
from etagcore.integrations import asgi, wsgi
from etagcore.response import BUFFER, FLUSH, PASS, ConditionalResponse, Policy, Reply

SHA1 = get_strategy("sha1")
MAX_BODY = 64
POLICY = Policy(SHA1, MAX_BODY)
TAGS = ['"v1"', 'W/"v1"', "*", '"x"', "junk", '"v1", "x"']
DATES = ["Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 2094 08:49:37 GMT", "nonsense"]

requests = st.fixed_dictionaries({}, optional={
    "If-None-Match": st.sampled_from(TAGS + ["BODYTAG"]), "If-Match": st.sampled_from(TAGS + ["BODYTAG"]),
    "If-Modified-Since": st.sampled_from(DATES), "If-Unmodified-Since": st.sampled_from(DATES),
})
responses = st.tuples(
    st.sampled_from([200, 200, 200, 404, 206]),
    st.fixed_dictionaries({}, optional={
        "ETag": st.sampled_from(['"v1"', "v1", 'W/"v1"']),
        "Content-Type": st.sampled_from(["text/html", "text/event-stream"]),
        "Content-Length": st.sampled_from(["LEN", "3", "200"]),
        "Last-Modified": st.sampled_from(DATES[:2]),
        "Cache-Control": st.just("max-age=60"),
        "Content-Encoding": st.sampled_from(["gzip", "identity"]),
    }),
    st.lists(st.binary(max_size=40), max_size=4),
)


def concrete(request, response):
    status, headers, chunks = response
    body = b"".join(chunks)
    body_tag = str(SHA1.tag(body))
    request = {k: body_tag if v == "BODYTAG" else v for k, v in request.items()}
    headers = [(k, str(len(body)) if v == "LEN" else v) for k, v in headers.items()]
    return request, status, headers, chunks


def core(method, request, status, headers, chunks):
    """(status, header dict, body) as the core decides; passing through keeps the app's response."""
    conditional = ConditionalResponse(POLICY, method, request)
    action = conditional.start(status, headers)
    if action is BUFFER:
        for chunk in chunks:
            if conditional.feed(chunk) is FLUSH:
                action = PASS
                break
        else:
            action = conditional.finish()
    if action is PASS:
        return status, dict(headers), b"".join(chunks)
    assert isinstance(action, Reply)
    if action.passthrough:
        return action.status, dict(action.headers), b"".join(chunks)
    return action.status, dict(action.headers), b"".join(action.body or [])


def through_wsgi(method, request, status, headers, chunks):
    def app(environ, start_response):
        start_response(f"{status} X", headers)
        return list(chunks)

    environ = {"REQUEST_METHOD": method, "wsgi.version": (1, 0),
               **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in request.items()}}
    seen = {}

    def start_response(status_line, response_headers, exc_info=None):
        seen.update(status=int(status_line.split()[0]), headers=dict(response_headers))

    body = b"".join(wsgi.ETagMiddleware(app, strategy=SHA1, max_body=MAX_BODY)(environ, start_response))
    return seen["status"], seen["headers"], body


def through_asgi(method, request, status, headers, chunks):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode(), v.encode()) for k, v in headers]})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})
        if not chunks:
            await send({"type": "http.response.body", "body": b""})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "headers": [(k.lower().encode(), v.encode()) for k, v in request.items()]}
    asyncio.run(asgi.ETagMiddleware(app, strategy=SHA1, max_body=MAX_BODY)(scope, None, send))
    start = sent[0]
    return (start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]))


def lowered(result):
    status, headers, body = result
    return status, {k.lower(): v for k, v in headers.items()}, body


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["GET", "HEAD"]), requests, responses)
def test_adapters_answer_as_the_core(method, request, response):
    request, status, headers, chunks = concrete(request, response)
    expected = lowered(core(method, request, status, headers, chunks))
    event(f"{expected[0]}, {'tagged' if 'etag' in expected[1] else 'untagged'}")
    assert lowered(through_wsgi(method, request, status, headers, chunks)) == expected
    assert lowered(through_asgi(method, request, status, headers, chunks)) == expected
