"""The reversibility export: all of one company's data, nothing of any other, built once."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from msp_portal.core.models import AuditEntry
from msp_portal.reports import services
from msp_portal.reports.archive import safe_member_name
from msp_portal.reports.models import ExportJob
from msp_portal.reports.tasks import export_build, exports_expire
from tests import factories
from tests.conftest import MARKER
from tickets import services as ticket_services
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db
PORTAL = "reports:portal_export"


@pytest.fixture
def acme_files(acme_world, tech):
    """Acme's world with a real attached file whose name tries to climb out of the archive,
    and an internal note."""
    ticket = acme_world[Ticket]
    attachment = Attachment(
        client=ticket.client, ticket=ticket, original_name=f"../../{MARKER}.txt", size=12
    )
    attachment.file.save("evil.txt", ContentFile(f"{MARKER} file".encode()), save=True)
    ticket_services.ticket_add_note(ticket=ticket, author=tech, body=f"{MARKER}-INTERNAL note")
    return {**acme_world, "file": attachment}


def start_and_build(client, url, data=None, capture=None):
    with capture(execute=True):
        response = client.post(url, data or {})
    assert response.status_code == 302
    return ExportJob.objects.order_by("-pk").first()


def archive_of(job) -> dict[str, str]:
    job.refresh_from_db()
    with job.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as zf:
        return {name: zf.read(name).decode("utf-8", "replace") for name in zf.namelist()}


def test_a_client_admin_exports_everything_of_their_company(
    client, settings, acme_files, acme_admin, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    client.force_login(acme_admin)

    job = start_and_build(client, reverse(PORTAL), capture=django_capture_on_commit_callbacks)

    assert job.status == ExportJob.Status.DONE
    assert job.progress == 100 and job.size > 0 and job.expires_at > timezone.now()
    files = archive_of(job)
    for name in ("sites", "contacts", "assets", "contracts", "tickets", "ticket_events",
                 "time_entries", "checks", "check_results", "check_state_changes",
                 "check_rollups", "sla_timers", "sla_targets", "business_hours",
                 "attachments", "maintenance_windows", "emails_sent",
                 "emails_received"):  # fmt: skip
        assert f"{name}.csv" in files and f"{name}.json" in files, name
    for name in ("sites", "contacts", "assets", "contracts", "tickets", "ticket_events", "checks",
                 "emails_sent", "emails_received"):  # fmt: skip
        assert MARKER in files[f"{name}.csv"], name
        assert MARKER in files[f"{name}.json"], name
    assert "## tickets.csv" in files["README.md"]
    assert "- `subject`: Subject" in files["README.md"]
    assert "- `sla_policy`: SLA policy (name)" in files["README.md"]
    # The attachment is inside, under a generated name that stays in its folder.
    number = acme_files[Ticket].number
    inside = [n for n in files if n.startswith(f"attachments/{number}/")]
    assert len(inside) == 1 and ".." not in inside[0]
    assert files[inside[0]] == f"{MARKER} file"
    # The public timeline, not the MSP's internal notes.
    assert f"{MARKER} reply" in files["ticket_events.csv"]
    assert "INTERNAL" not in "".join(files.values())
    assert AuditEntry.objects.filter(action="export.requested", client_id=job.client_id).exists()


def test_the_readme_is_in_the_requesters_language(
    client, settings, acme_world, acme_admin, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "fr"
    acme_admin.language = "fr"
    acme_admin.save(update_fields=["language"])
    client.force_login(acme_admin)

    job = start_and_build(client, reverse(PORTAL), capture=django_capture_on_commit_callbacks)

    assert job.language == "fr"
    readme = archive_of(job)["README.md"]
    assert "- `subject`: Objet" in readme
    assert "- `sla_policy`: Politique SLA (nom)" in readme


def test_the_archive_of_globex_holds_nothing_of_acme(
    client, acme_files, globex, globex_user, django_capture_on_commit_callbacks
):
    ticket = factories.open_ticket(globex, subject="Globex printer")
    Attachment(client=globex, ticket=ticket, original_name="g.txt").file.save(
        "g.txt", ContentFile(b"globex"), save=True
    )
    client.force_login(globex_user)

    job = start_and_build(client, reverse(PORTAL), capture=django_capture_on_commit_callbacks)

    files = archive_of(job)
    assert "Globex printer" in files["tickets.csv"]
    assert any(n.startswith(f"attachments/{ticket.number}/") for n in files)
    for name, text in files.items():
        assert MARKER not in text, name
        assert "Acme" not in text, name


def test_staff_may_include_internal_notes_on_purpose(
    client, acme_files, tech, django_capture_on_commit_callbacks
):
    client.force_login(tech)
    url = reverse("reports:client_export", args=["acme"])

    job = start_and_build(
        client, url, {"include_internal": "1"}, capture=django_capture_on_commit_callbacks
    )

    assert job.include_internal
    page = client.get(url).content.decode()
    assert 'name="include_internal"' in page
    assert reverse("reports:client_export_download", args=["acme", job.pk]) in page
    files = archive_of(job)
    assert f"{MARKER}-INTERNAL note" in files["ticket_events.csv"]
    assert "note" in files["time_entries.csv"].splitlines()[0]


def test_a_client_admin_cannot_ask_for_internal_notes(
    client, acme_files, acme_admin, django_capture_on_commit_callbacks
):
    client.force_login(acme_admin)

    job = start_and_build(
        client,
        reverse(PORTAL),
        {"include_internal": "1"},
        capture=django_capture_on_commit_callbacks,
    )

    assert not job.include_internal


def test_the_progress_partial_polls_while_the_job_runs(client, acme, acme_admin):
    job = ExportJob.objects.create(
        client=acme,
        requested_by=acme_admin,
        status="running",
        progress=40,
        step="tickets",
        heartbeat_at=timezone.now(),
    )
    client.force_login(acme_admin)

    response = client.get(reverse(PORTAL), headers={"HX-Request": "true"})

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert 'hx-trigger="every 2s"' in text
    assert 'value="40"' in text
    job.status, job.progress = "done", 100
    job.save(update_fields=["status", "progress"])
    assert (
        "every 2s"
        not in client.get(reverse(PORTAL), headers={"HX-Request": "true"}).content.decode()
    )


def test_building_twice_does_nothing_the_second_time(acme_world, acme_admin):
    job = ExportJob.objects.create(client=acme_world[Ticket].client, requested_by=acme_admin)

    assert export_build(job.pk) is True
    job.refresh_from_db()
    first = (job.file.name, job.finished_at)
    assert export_build(job.pk) is False
    job.refresh_from_db()
    assert (job.file.name, job.finished_at) == first
    assert export_build(999999) is False


def test_a_job_of_a_dead_worker_is_restarted(acme, acme_admin, settings):
    stale = timezone.now() - dt.timedelta(minutes=settings.EXPORT_STALE_MINUTES + 1)
    job = ExportJob.objects.create(
        client=acme, requested_by=acme_admin, status="running", heartbeat_at=stale
    )
    alive = ExportJob.objects.create(
        client=acme, requested_by=acme_admin, status="running", heartbeat_at=timezone.now()
    )

    assert export_build(alive.pk) is False  # a live worker has it
    assert export_build(job.pk) is True
    job.refresh_from_db()
    assert job.status == "done"


def test_one_export_at_a_time_per_company(acme, acme_admin):
    first = services.export_start(client=acme, by=acme_admin)
    second = services.export_start(client=acme, by=acme_admin)

    assert first.pk == second.pk


@pytest.mark.parametrize("who", ["acme_user", "globex_user"])
def test_a_client_user_or_another_company_cannot_start_or_download(
    client, request, acme_world, acme_admin, who, django_capture_on_commit_callbacks
):
    job = ExportJob.objects.create(client=acme_world[Ticket].client, requested_by=acme_admin)
    export_build(job.pk)
    client.force_login(request.getfixturevalue(who))
    count = ExportJob.objects.count()

    download = client.get(reverse("reports:portal_export_download", args=[job.pk]))
    staff_download = client.get(reverse("reports:client_export_download", args=["acme", job.pk]))

    assert download.status_code == 404
    assert staff_download.status_code == 404
    if who == "acme_user":
        assert client.get(reverse(PORTAL)).status_code == 404
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse(PORTAL)).status_code == 404
        assert ExportJob.objects.count() == count
    assert not AuditEntry.objects.filter(action="export.downloaded").exists()


def test_the_admin_downloads_the_archive_and_it_is_audited(client, acme_world, acme_admin):
    job = ExportJob.objects.create(client=acme_world[Ticket].client, requested_by=acme_admin)
    export_build(job.pk)
    client.force_login(acme_admin)

    response = client.get(reverse("reports:portal_export_download", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"PK")
    assert AuditEntry.objects.filter(action="export.downloaded", client_id=job.client_id).exists()


def test_staff_of_other_clients_get_404(client, acme_world, acme_admin, globex):
    job = ExportJob.objects.create(client=acme_world[Ticket].client, requested_by=acme_admin)
    export_build(job.pk)
    restricted = factories.UserFactory(role="technician", sees_all_clients=False)
    restricted.allowed_clients.set([globex])
    client.force_login(restricted)

    assert client.get(reverse("reports:client_export", args=["acme"])).status_code == 404
    assert client.post(reverse("reports:client_export", args=["acme"])).status_code == 404
    url = reverse("reports:client_export_download", args=["globex", job.pk])
    assert client.get(url).status_code == 404  # Acme's job through Globex's page


def test_expired_archives_are_deleted(acme, acme_admin):
    job = ExportJob.objects.create(client=acme, requested_by=acme_admin)
    export_build(job.pk)
    job.refresh_from_db()
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert exports_expire() == 1

    job.refresh_from_db()
    assert job.status == "expired" and not job.file
    assert not storage.exists(name)
    assert exports_expire() == 0


def test_member_names_cannot_escape_their_folder():
    for raw in ("../../etc/passwd", "..\\..\\boot.ini", "/abs/x", "..", "", "ĉâfé ☃.txt"):
        name = safe_member_name(raw)
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert name


def test_the_hourly_cleanup_and_a_new_request_restart_a_job_of_a_dead_worker(
    acme, acme_admin, settings, django_capture_on_commit_callbacks
):
    stale = timezone.now() - dt.timedelta(minutes=settings.EXPORT_STALE_MINUTES + 1)
    job = ExportJob.objects.create(
        client=acme, requested_by=acme_admin, status="running", heartbeat_at=stale
    )

    with django_capture_on_commit_callbacks(execute=True):
        exports_expire()

    job.refresh_from_db()
    assert job.status == "done"
    ExportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=stale)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.export_start(client=acme, by=acme_admin)
    assert again.pk == job.pk
    job.refresh_from_db()
    assert job.status == "done"
    assert ExportJob.objects.count() == 1


def test_a_failed_build_is_recorded_and_a_new_one_can_be_asked(acme, acme_admin, monkeypatch):
    job = ExportJob.objects.create(client=acme, requested_by=acme_admin)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_write_archive", explode)

    assert export_build(job.pk) is False
    job.refresh_from_db()
    assert job.status == "failed" and "disk full" in job.error
    assert services.export_start(client=acme, by=acme_admin).pk != job.pk


def test_a_job_whose_task_was_lost_is_queued_again_by_the_cleanup(
    acme, acme_admin, settings, django_capture_on_commit_callbacks
):
    lost = ExportJob.objects.create(
        client=acme,
        requested_by=acme_admin,
        created_at=timezone.now() - dt.timedelta(minutes=settings.EXPORT_STALE_MINUTES + 1),
    )
    fresh = ExportJob.objects.create(client=acme, requested_by=acme_admin)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        exports_expire()

    assert len(callbacks) == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, fresh.status) == ("done", "queued")
