"""Settings for the test pass: fast hashing, eager Celery, in-memory layers."""

from .base import *

DEBUG = False
SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = ["models.W040", "django_ratelimit.E003", "django_ratelimit.W001"]
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
# No tile server is reachable from tests; maps draw their markers without a background.
MAP_TILE_URL = ""
# Tests change topics between requests; the contact form reads its configuration every time.
PORTAL_FORM_CACHE_SECONDS = 0
# Tests post contact forms they did not fetch; the form-guard tests switch the time check on.
PORTAL_FORM_MIN_SECONDS = 0
# Tests change mailboxes between requests; each reads them anew.
EMAIL_MAILBOX_CACHE_SECONDS = 0
CLASSIFIER_ACTIVE_CACHE_SECONDS = 0
# On, as in production: every test that changes configuration through the application then checks
# that the change reaches the per-process caches at once (`core.config_generation`).
CONFIG_CACHE_SECONDS = 300
