"""The Tornado server of the load benchmark (test_load_tornado.py): stock handlers and the same
handlers with ETagMixin, each writing a 1 MiB page in 4 KiB chunks. Prints its port, then serves."""

from __future__ import annotations

import asyncio
import sys

import tornado.web

from etagcore.integrations.tornado import ETagMixin

CHUNK = bytes(range(256)) * 16  # 4 KiB
CHUNKS = 256  # 1 MiB


class Page(tornado.web.RequestHandler):
    def get(self) -> None:
        for _ in range(CHUNKS):
            self.write(CHUNK)


class MixinPage(ETagMixin, Page):
    pass


async def main(strategy: str) -> None:
    app = tornado.web.Application([("/stock", Page), ("/mixin", MixinPage)], etag_strategy=strategy)
    server = app.listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "sha1"))
