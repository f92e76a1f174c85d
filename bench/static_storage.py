"""Production's static files storage for the HTTP benchmark, minus the rewriting of source-map comments.

`make assets` copies some vendored scripts without their `.map` files, and the manifest storage then
stops `collectstatic` at the `//# sourceMappingURL=` comment. Pages still resolve every `{% static %}`
through the manifest, hashed and compressed, exactly as in production; only those comments keep the
unhashed name.
"""

from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage

_CSS_EXTENSION, _CSS_PATTERNS = HashedFilesMixin.patterns[0]


class BenchStaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = ((_CSS_EXTENSION, tuple(p for p in _CSS_PATTERNS if "sourceMappingURL" not in str(p))),)
