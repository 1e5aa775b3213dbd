"""Server integrations: Tornado (:mod:`.tornado`), WSGI (:mod:`.wsgi`), ASGI (:mod:`.asgi`) and the
static file server behind ``etagcore serve`` (:mod:`.static`)."""
