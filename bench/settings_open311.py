"""Production settings for the Open311 load benchmark (bench/open311_load.sh), plus a `hello` view.

Everything comes from config.settings.production (DEBUG off, Redis cache and broker, PostgreSQL
pool); the script sets SECRET_KEY, REDIS_URL, DATABASE_URL and rate limits above the load.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_open311"
STATIC_ROOT = VAR_DIR / "bench-static"  # noqa: F405
# The load comes from one address; wrk over loopback sends no Host the production list would take.
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
