"""The French catalogue ships complete and compiled."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES"


def test_every_french_message_is_translated():
    if not shutil.which("msgfmt"):
        pytest.skip("GNU gettext's msgfmt is not installed")
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(LOCALE / "django.po")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_compiled_catalogue_is_committed_and_used():
    from django.utils import translation

    assert (LOCALE / "django.mo").exists()
    with translation.override("fr"):
        assert translation.gettext("Service levels") == "Niveaux de service"


def test_translation_functions_are_imported_under_names_makemessages_extracts():
    """makemessages (xgettext) only finds calls to _, gettext, gettext_lazy, ngettext...:
    ``gettext_lazy as _lazy`` would leave every string it marks out of the catalogue."""
    import re

    root = LOCALE.parents[2]
    known = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext",
             "pgettext_lazy", "npgettext", "npgettext_lazy", "gettext_noop"}  # fmt: skip
    alias = re.compile(r"\b(\w*gettext\w*) as (\w+)")
    offenders = []
    for path in root.glob("**/*.py"):
        if any(part in {".venv", "var", "migrations", "tests", "bench"} for part in path.parts):
            continue
        for match in alias.finditer(path.read_text(encoding="utf-8")):
            if match.group(2) not in known:
                offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
    assert offenders == []
