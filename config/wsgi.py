"""WSGI entry point: the staff and residents' pages over plain HTTP (gunicorn; ADR 0027).

Production serves HTTP through a WSGI server with one synchronous worker per core and the websocket
path `/ws/live/` through the ASGI application (`config/asgi.py`, uvicorn); the proxy in front sends
each to its own. Everything CivicDesk runs per request is synchronous, so WSGI is the shorter way to
it: no event loop and no thread hop per request (docs/benchmarks.md, staff pages, seventh round).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
