"""Framework-free static files: resolve beneath a root by file descriptor, tag the bytes that are
sent, answer preconditions and ranges. The frontends in :mod:`etagcore.integrations` are thin
adapters over :class:`StaticSite`; ``etagcore manifest`` writes what :func:`load_manifest` reads.
"""

from .manifest import Manifest, build_manifest, load_manifest
from .policy import default_cache_control
from .site import DEFAULT_STRATEGY, FileBody, FileChanged, Reply, StaticSite

__all__ = ["StaticSite", "Reply", "FileBody", "FileChanged", "Manifest", "build_manifest", "load_manifest",
           "default_cache_control", "DEFAULT_STRATEGY"]
