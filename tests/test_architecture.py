"""The arrows of ARCHITECTURE.md: clients <- contracts <- tickets <- monitoring."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["clients", "contracts", "tickets", "monitoring"]
# What each app may import among the others (msp_portal.* may read them all).
ALLOWED = {
    "clients": set(),
    "contracts": {"clients"},
    "tickets": {"clients", "contracts"},
    "monitoring": {"clients", "contracts", "tickets"},
}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n.split(".")[0] for n in names} & set(APPS)
    return found


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_upstream_apps(app):
    wrong = {}
    for path in (ROOT / app).rglob("*.py"):
        extra = imported_apps(path) - ALLOWED[app] - {app}
        if extra:
            wrong[str(path.relative_to(ROOT))] = sorted(extra)

    assert wrong == {}


def test_only_tickets_services_write_ticket_events_and_timers():
    services = ROOT / "tickets" / "services"
    writers = []
    for path in ROOT.glob("*/**/*.py"):
        if {".venv", "tests", "migrations", "bench"} & set(path.parts) or path.parent == services:
            continue
        text = path.read_text()
        for model in ("TicketEvent", "SlaTimer", "SlaEscalation"):
            if f"{model}.objects.create" in text or f"{model}.objects.bulk" in text:
                writers.append(f"{path.relative_to(ROOT)}: {model}")

    assert writers == []
