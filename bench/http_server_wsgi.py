"""WSGI entry point for the HTTP benchmark's gunicorn servers (`SERVER=gunicorn-sync bench/http_pages.sh`).

The project serves ASGI only (config/asgi.py; `WSGI_APPLICATION = None`, no config/wsgi.py). This is
Django's own WSGI handler on the benchmark's settings, so that a WSGI server can be measured against
uvicorn on the same pages, database and settings. Django's `WSGIHandler` runs the same synchronous
middleware chain and view as `civicdesk.core.asgi_handler.SyncChainASGIHandler` does in its one
thread hop, without the event loop and the hop; websockets (Channels) are not served here.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_http")
application = get_wsgi_application()
