"""Built-in strategies, one module each; loaded lazily through :mod:`etagcore.registry`."""
