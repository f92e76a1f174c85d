"""The embedded default used by `make run`: SQLite, no Redis, filesystem broker."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    # Only for a developer's own machine; production refuses to start without SECRET_KEY.
    SECRET_KEY = "local-development-only-not-secret"
