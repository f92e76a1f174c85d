"""The environment of the embedded deployment (`make run`) for subprocesses started by tests:
local settings, an SQLite file and the filesystem broker in a temporary folder, no Redis."""

from __future__ import annotations

import os
from pathlib import Path


def embedded_env(tmp_path: Path) -> dict[str, str]:
    broker = tmp_path / "broker"
    (broker / "messages").mkdir(parents=True)
    (broker / "control").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    # Explicit values rather than deletions: a developer's .env must not switch the broker.
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'civicdesk.sqlite3'}",
        REDIS_URL="",
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_DIR=str(broker),
        CELERY_TASK_ALWAYS_EAGER="false",
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env
