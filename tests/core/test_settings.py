"""A bad setting stops start-up with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(tmp_path, **env) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"}
    }
    environ.update({"VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50, **env})
    environ = {k: v for k, v in environ.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**environ, "DJANGO_SETTINGS_MODULE": "msp_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/portal"),
        ("CELERY_BROKER_URL", "ftp://example.test"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("DATABASE_CONN_MAX_AGE", "a minute"),
        ("LANGUAGE_CODE", "de"),
        ("LOG_LEVEL", "LOUD"),
        ("SECURE_COOKIES", "perhaps"),
        ("CACHE_URL", "memcached://127.0.0.1:11211"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, variable, value):
    result = start(tmp_path, **{variable: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]


def test_secret_key_is_required_outside_debug(tmp_path):
    result = start(tmp_path, SECRET_KEY=None)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_installation_key_file_is_used_when_the_environment_has_none(tmp_path):
    (tmp_path / "secret_key").write_text("k" * 50 + "\n")

    result = start(tmp_path, SECRET_KEY=None)

    assert result.returncode == 0, result.stderr


def test_debug_runs_without_a_secret_key(tmp_path):
    result = start(tmp_path, SECRET_KEY=None, DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_good_values_start(tmp_path):
    result = start(
        tmp_path,
        DEBUG="false",
        DATABASE_URL="postgres://portal:secret@db.example.test:5432/portal",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        TIME_ZONE="America/Montreal",
        ALLOWED_HOSTS="portal.example.test, 127.0.0.1",
    )

    assert result.returncode == 0, result.stderr


def test_every_variable_read_by_the_settings_is_documented():
    import re

    source = (ROOT / "msp_portal" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read - documented == set()
    assert len(read) > 15  # the pattern still finds the settings' reads
