"""Production settings for the HTTP benchmark (bench/http_pages.sh), plus a `hello` view.

Everything comes from config.settings.production (DEBUG off, Redis cache, PostgreSQL pool,
manifest static storage); the script sets SECRET_KEY, REDIS_URL and DATABASE_URL. What differs:
bench/urls_http.py adds a plain hello-world view beside the product's URLs, so that the framework's
floor is measured by the same server in the same run; static files are collected into their own
folder, by production's storage minus the rewriting of source-map comments (bench/static_storage.py).
"""

from pathlib import Path

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_http"
# BENCH_STATIC_ROOT: a folder of one's own, so that two runs at once do not `collectstatic --clear` each other's.
STATIC_ROOT = Path(env.str("BENCH_STATIC_ROOT", default=str(VAR_DIR / "bench-static")))  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "bench.static_storage.BenchStaticFilesStorage"},
}

# A/B of the project's form renderer (civicdesk/core/form_renderer.py) against Django's own:
# BENCH_FORM_RENDERER=django bench/http_pages.sh
if env.str("BENCH_FORM_RENDERER", default="") == "django":  # noqa: F405
    FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
