"""The OpenAPI schema generates without warnings, and the docs are served without a CDN."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings_or_errors(tmp_path):
    out, err = StringIO(), StringIO()

    # --fail-on-warn turns any warning or error into a failure (SystemExit).
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"),
        stdout=out, stderr=err,
    )  # fmt: skip

    assert "warning" not in err.getvalue().lower() and "error" not in err.getvalue().lower()
    text = (tmp_path / "s.yaml").read_text()
    assert "/api/v1/tickets/{number}/replies/" in text
    assert "bearerAuth" in text


def test_the_schema_is_served_and_declares_bearer_auth(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    replies = schema["paths"]["/api/v1/tickets/{number}/replies/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "409", "429"} <= set(replies)


def test_the_docs_use_vendored_assets_only(client):
    with override_settings(DEBUG=False):
        response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    external = re.findall(r"""(?:src|href)=["'](https?:)?//[^"']+""", page)
    assert external == []
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page
