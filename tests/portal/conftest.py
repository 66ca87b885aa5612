"""Portal tests: English pages, a clean cache (rate limits count in it) and small uploads."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True)
def _english_and_clean_cache(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    yield
    cache.clear()


def text_file(name: str = "error.txt", content: bytes = b"Error 0x80070005 at startup\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")
