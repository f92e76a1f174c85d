"""`LANGUAGES` from the environment (R1.9): fi, sv and en always, Romanian (or another) may be added."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each case starts Django in a new process (the setting is read at import): about 4 s each.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
PRINT = ("import django; django.setup(); from django.conf import settings; "
         "print(','.join(code for code, _name in settings.LANGUAGES))")


def _languages(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("LANGUAGES", None)
    if value is not None:
        env["LANGUAGES"] = value
    return subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize(("value", "expected"), [(None, "fi,sv,en"), ("fi,sv,en,ro", "fi,sv,en,ro"),
                                                  ("en,fi,sv", "en,fi,sv")])
def test_the_languages_come_from_the_environment(value: str | None, expected: str) -> None:
    result = _languages(value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.parametrize("value", ["sv,en,ro"])
def test_finnish_swedish_and_english_cannot_be_left_out(value: str) -> None:
    result = _languages(value)
    assert result.returncode != 0
    assert "LANGUAGES must list fi, sv, en" in result.stderr
