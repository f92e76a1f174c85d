"""Settings shared by every environment.

Every value that differs between deployments is read here, from environment variables, and
nowhere else; `.env.example` lists each one. The per-environment modules only change defaults.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A `.env` file beside manage.py is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute address of the site, for links in mail sent without a request (notification bundles).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    # modeltranslation must come before django.contrib.admin to patch its forms.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "django_htmx",
    "django_ratelimit",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "civicdesk.core",
    "civicdesk.organizations",
    "civicdesk.accounts",
    "civicdesk.privacy",
    "civicdesk.cases",
    "civicdesk.notifications",
    "civicdesk.intake",
    "civicdesk.knowledge",
    "civicdesk.portal",
    "civicdesk.api",
    "civicdesk.routing",
    "civicdesk.demo",
]

MIDDLEWARE = [
    # First: strips /embed/<organisation>/ before anything reads the path, and sets frame-ancestors last.
    "civicdesk.portal.embedding.PortalEmbedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Residents' pages without a language prefix follow the browser's language until one is chosen.
    "civicdesk.portal.browser_language.PortalBrowserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "civicdesk.core.middleware.RequestContextMiddleware",
    "civicdesk.core.middleware.ApplicationErrorMiddleware",
    "civicdesk.notifications.middleware.LastSeenMiddleware",
    # Turns django-ratelimit's Ratelimited into RATELIMIT_VIEW's translated 429.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

# The queue index's INCLUDE columns exist only on PostgreSQL; SQLite uses the index without them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
# Django's, with <select> options written in Python (same HTML; docs/benchmarks.md, HTTP section).
FORM_RENDERER = "civicdesk.core.form_renderer.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicdesk.notifications.context_processors.notification_badge",
                "civicdesk.cases.context_processors.workspace_navigation",
                "civicdesk.portal.embedding.portal_embed",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
# SQLite is the embedded default; production sets DATABASE_URL to PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'civicdesk.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Under ASGI, Django's persistent connections are not reused across requests; a connection
    # pool is (a new connection costs ~17 ms, docs/benchmarks.md). CONN_MAX_AGE must stay 0 with it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if env.bool("DATABASE_POOL", default=True):
        options["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": 10,
        }
    # Short OLTP queries lose more to JIT compilation than they gain (docs/benchmarks.md).
    options.setdefault("options", "-c jit=off")
    # The ORM's statements go to the server with their parameters apart (server-side binding), so a
    # statement's text is the same on every run, and psycopg prepares it after 5 runs on a connection:
    # the server plans the case page's ten-table read once per connection instead of on every page
    # (its PostgreSQL CPU went 18 -> 11 ms, docs/benchmarks.md). PgBouncer in transaction mode needs
    # 1.21+ with max_prepared_statements, else DATABASE_PREPARED_STATEMENTS=false (binding stays).
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        options["server_side_binding"] = True
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        options.setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# ModelBackend, with the session's user read by a kept statement (civicdesk/accounts/backends.py).
AUTHENTICATION_BACKENDS = ["civicdesk.accounts.backends.KeptUserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Redis, cache, Channels, Celery -------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    # Django's RedisCache with one client per connection pool instead of one per operation (ADR 0016);
    # django-ratelimit does not know the class by name, hence W001 silenced.
    CACHES = {"default": {"BACKEND": "civicdesk.core.redis_clients.ReusedClientRedisCache", "LOCATION": REDIS_URL}}
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001"]
    # Sessions are read from Redis and written through to the database, which stays the record: a
    # staff page saves its session query. Without Redis (one embedded process) they stay in the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # Pub/sub: an event is one PUBLISH per group, sent synchronously after commit (core.realtime, ADR 0016).
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Embedded default runs one web process, so a per-process cache is enough for rate limits.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# Embedded default: kombu's filesystem transport (no server). See docs/adr/0003.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "messages"),
        "data_folder_out": str(CELERY_BROKER_DIR / "messages"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes a worker's database connections (and, on PostgreSQL, its connection
# pool) around every task unless this is set; with it, the pool is dropped every 2 × N tasks and a task
# only hands its connection back to the pool (config/celery.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)
CELERY_TIMEZONE = "Europe/Helsinki"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "audit-verify-chain-nightly": {
        "task": "civicdesk.privacy.tasks.audit_verify_chain_task",
        "schedule": 24 * 60 * 60,
    },
    "notifications-email-bundles": {
        "task": "civicdesk.notifications.tasks.notifications_email_bundles_task",
        "schedule": 5 * 60,
    },
    "routing-service-levels-check": {
        "task": "civicdesk.routing.tasks.service_levels_check_task",
        "schedule": env.int("SERVICE_LEVELS_CHECK_SECONDS", default=300),
    },
    "routing-workflows-tick": {
        "task": "civicdesk.routing.tasks.workflows_tick_task",
        "schedule": env.int("WORKFLOWS_TICK_SECONDS", default=600),
    },
    "routing-classifiers-retrain-weekly": {
        "task": "civicdesk.routing.tasks.classifiers_retrain_all_task",
        "schedule": 7 * 24 * 60 * 60,
    },
    "intake-email-imap-poll": {
        "task": "civicdesk.intake.tasks.mailboxes_poll_task",
        "schedule": env.int("EMAIL_IMAP_POLL_SECONDS", default=60),
    },
    # Stored mail is handled by drains the receivers queue (core.drains); this one catches a lost trigger.
    "intake-email-drain": {
        "task": "civicdesk.intake.tasks.inbound_emails_drain_task",
        "schedule": 60,
    },
    # The safety net of the deferred contacts (ADR 0022): a lost trigger delays a contact, never loses it.
    "intake-accepted-contacts-drain": {
        "task": "civicdesk.intake.tasks.accepted_contacts_drain_task",
        "schedule": 30,
    },
    "intake-accepted-contacts-purge": {
        "task": "civicdesk.intake.tasks.accepted_contacts_purge_task",
        "schedule": 24 * 60 * 60,
    },
}

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="fi")
# The interface languages, from LANGUAGES=fi,sv,en (the default). Finnish, Swedish and English are
# always there (R1.9; the translated model fields' migrations have their columns); another is added
# by the steps in docs/guides/admin.md ("Adding a language"): its catalogue under locale/ and the
# migrations of its model-field columns, before it is listed here.
LANGUAGE_NAMES = {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English"), "ro": _("Romanian")}
LANGUAGES = [(code, LANGUAGE_NAMES.get(code, code)) for code in env.list("LANGUAGES", default=["fi", "sv", "en"])]
if not {"fi", "sv", "en", LANGUAGE_CODE} <= {code for code, _name in LANGUAGES}:
    raise ImproperlyConfigured("LANGUAGES must list fi, sv, en and LANGUAGE_CODE; others may be added.")
MODELTRANSLATION_DEFAULT_LANGUAGE = "fi"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("fi", "en", "sv")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Helsinki")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Attachments are never served from MEDIA_URL: only through permission-checked views.
MEDIA_URL = "/_media_not_served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Limits -------------------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=15 * 1024 * 1024)
ATTACHMENT_IMAGE_MAX_PIXELS = env.int("ATTACHMENT_IMAGE_MAX_PIXELS", default=40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
CASE_TEXT_MAX_CHARS = env.int("CASE_TEXT_MAX_CHARS", default=20_000)
CASES_PAGE_SIZE = 25
# Rate limits ("count/period", period s, m, h or d) for public endpoints.
LOGIN_RATE_LIMIT = env.str("LOGIN_RATE_LIMIT", default="20/m")
LOGIN_RATE_LIMIT_PER_USER = env.str("LOGIN_RATE_LIMIT_PER_USER", default="10/15m")
# The residents' contact form and tracking-page messages, per client address (and per case).
PORTAL_CONTACT_RATE_LIMIT = env.str("PORTAL_CONTACT_RATE_LIMIT", default="20/h")
PORTAL_MESSAGE_RATE_LIMIT = env.str("PORTAL_MESSAGE_RATE_LIMIT", default="30/h")
# The organisation whose form /contact/ shows when several are hosted (slug); empty: a choice.
PORTAL_DEFAULT_ORGANIZATION = env.str("PORTAL_DEFAULT_ORGANIZATION", default="")
# Origins (https://www.example.fi, https://*.example.fi) that may embed the residents' pages of an
# organisation whose own list (Organization.embed_origins) is empty; empty: none but the site itself.
PORTAL_EMBED_ORIGINS = env.list("PORTAL_EMBED_ORIGINS", default=[])
# Seconds the public map's data (portal:public_map_data) is cached, in the cache and by browsers.
PORTAL_MAP_CACHE_SECONDS = env.int("PORTAL_MAP_CACHE_SECONDS", default=60)
# Files a resident may send with one contact or message (each also within ATTACHMENT_MAX_BYTES).
CONTACT_FILES_MAX = env.int("CONTACT_FILES_MAX", default=5)
CONTACT_FILES_MAX_TOTAL_BYTES = env.int("CONTACT_FILES_MAX_TOTAL_BYTES", default=30 * 1024 * 1024)
# Seconds each web process keeps a topic's form (topic, questions, types) before reading it again.
PORTAL_FORM_CACHE_SECONDS = env.int("PORTAL_FORM_CACHE_SECONDS", default=30)
# Spam defence of the contact form (civicdesk/portal/form_guard.py): a form sent back sooner than
# the minimum (0: no time check at all) or later than the maximum age after it was shown is
# refused, and so is a message with more web addresses than the cap.
PORTAL_FORM_MIN_SECONDS = env.int("PORTAL_FORM_MIN_SECONDS", default=3)
PORTAL_FORM_MAX_AGE_SECONDS = env.int("PORTAL_FORM_MAX_AGE_SECONDS", default=24 * 60 * 60)
PORTAL_CONTACT_MAX_LINKS = env.int("PORTAL_CONTACT_MAX_LINKS", default=3)
# How the residents' form and Open311 POSTs make a case (ADR 0022): "deferred" checks the contact,
# stores it as an accepted contact and answers; a worker makes the case a moment later. "immediate"
# makes the case in the request. Contacts with files always take the immediate path.
CONTACT_WRITE_PATH = env.str("CONTACT_WRITE_PATH", default="deferred")
if CONTACT_WRITE_PATH not in {"deferred", "immediate"}:
    raise ImproperlyConfigured("CONTACT_WRITE_PATH must be deferred or immediate.")
# Days an accepted contact is kept after its case was made (then purged by the beat).
ACCEPTED_CONTACTS_KEEP_DAYS = env.int("ACCEPTED_CONTACTS_KEEP_DAYS", default=30)

# --- Open311 GeoReport v2 API (docs/open311.md) -------------------------------------------
# Reads (GET) per client address; posts per client address (each key also has its own limit, set
# in the admin). Same syntax as the other limits.
OPEN311_READ_RATE_LIMIT = env.str("OPEN311_READ_RATE_LIMIT", default="600/m")
OPEN311_POST_RATE_LIMIT = env.str("OPEN311_POST_RATE_LIMIT", default="60/m")
# Rows per page of GET requests (the `page_size` parameter may ask for up to OPEN311_PAGE_SIZE_MAX).
OPEN311_PAGE_SIZE = env.int("OPEN311_PAGE_SIZE", default=100)
OPEN311_PAGE_SIZE_MAX = env.int("OPEN311_PAGE_SIZE_MAX", default=1000)
# Files per posted request (`media`), each at most ATTACHMENT_MAX_BYTES.
OPEN311_MEDIA_MAX_FILES = env.int("OPEN311_MEDIA_MAX_FILES", default=5)
# Shown in discovery.json: who answers questions about the API, and how an application gets a key.
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")
OPEN311_KEY_SERVICE = env.str("OPEN311_KEY_SERVICE", default="")

REST_FRAMEWORK: dict[str, object] = {
    # The API has no sessions or users: reads are public, posts carry an api_key (civicdesk.api).
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "civicdesk.api.errors.open311_exception_handler",
}
SPECTACULAR_SETTINGS: dict[str, object] = {
    "TITLE": "CivicDesk Open311 GeoReport v2",
    "DESCRIPTION": "Open311 GeoReport v2 with the 6Aika/CitySDK extensions. See docs/open311.md.",
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Maps ------------------------------------------------------------------------------------
# Tile URL template for Leaflet maps ({z}/{x}/{y}); empty draws maps without a background.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")
RATELIMIT_VIEW = "civicdesk.core.views.rate_limited"

# --- Email --------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Seconds an SMTP connection may wait on the server; without it a hung server would hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Outgoing mail of a worker shares one SMTP session while it keeps coming; closed after this many idle seconds.
EMAIL_CONNECTION_KEEP_SECONDS = env.int("EMAIL_CONNECTION_KEEP_SECONDS", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CivicDesk <noreply@civicdesk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The email channel (issue 5, docs/subsystems/email.md).
EMAIL_SMTP_RECEIVER_HOST = env.str("EMAIL_SMTP_RECEIVER_HOST", default="127.0.0.1")
EMAIL_SMTP_RECEIVER_PORT = env.int("EMAIL_SMTP_RECEIVER_PORT", default=2525)
# Largest message taken (SMTP SIZE, IMAP); bigger ones are refused with an explaining bounce.
EMAIL_MAX_BYTES = env.int("EMAIL_MAX_BYTES", default=40 * 1024 * 1024)
# The raw message kept as evidence with each incoming mail, up to this many bytes.
EMAIL_RAW_MAX_BYTES = env.int("EMAIL_RAW_MAX_BYTES", default=2 * 1024 * 1024)
# Reply addresses are <local><separator>c-<token>@<domain> (plus-addressing).
EMAIL_REPLY_SEPARATOR = env.str("EMAIL_REPLY_SEPARATOR", default="+")
# Messages one sender may send to an organisation per hour before the rest are held.
EMAIL_SENDER_RATE_LIMIT_PER_HOUR = env.int("EMAIL_SENDER_RATE_LIMIT_PER_HOUR", default=30)
# authserv-ids of our own MTA; only its Authentication-Results count (empty: the topmost header).
EMAIL_TRUSTED_AUTHSERV_IDS = env.list("EMAIL_TRUSTED_AUTHSERV_IDS", default=[])
EMAIL_IMAP_POLL_SECONDS = env.int("EMAIL_IMAP_POLL_SECONDS", default=60)
# Configuration every new case reads (routing settings and rules, service levels, workflows, mail
# templates) is kept per process until anyone changes it (`core.config_generation`), and for at most
# this long, for changes made outside the application (SQL). 0 reads it for every case.
CONFIG_CACHE_SECONDS = env.int("CONFIG_CACHE_SECONDS", default=300)
# How long a worker keeps the list of an organisation's active classifier versions (a newly trained
# version is used within this time).
CLASSIFIER_ACTIVE_CACHE_SECONDS = env.int("CLASSIFIER_ACTIVE_CACHE_SECONDS", default=30)
# How long a worker keeps a mailbox's mapping (group, case type) before reading it again.
EMAIL_MAILBOX_CACHE_SECONDS = env.int("EMAIL_MAILBOX_CACHE_SECONDS", default=60)
EMAIL_IMAP_TIMEOUT_SECONDS = env.int("EMAIL_IMAP_TIMEOUT_SECONDS", default=30)
# Start the SMTP receiver with `make run` (the embedded default).
EMAIL_SMTP_RECEIVER_IN_RUN = env.bool("EMAIL_SMTP_RECEIVER_IN_RUN", default=True)

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Number of trusted reverse proxies in front of the app; the client IP for the audit log is
# taken from X-Forwarded-For only that many hops deep.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Where the real Helsinki feedback lies (for the demo city's texts and the benchmarks).
SHARED_DATA_DIR = Path(env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
