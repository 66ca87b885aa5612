"""The audit log: append-only, visible to MSP administrators only, exportable as safe CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from msp_portal.core.audit import audit_record
from msp_portal.core.models import AuditEntry, AuditLogIsAppendOnly
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:core_auditentry_changelist"
EXPORT = "admin:core_auditentry_export"


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def entries(admin_user, tech, acme, globex):
    return {
        "login": audit_record(actor=tech, action="login", client_id=None),
        "acme": audit_record(
            actor=admin_user, action="check.updated", client_id=acme.pk, data={"name": "Mail"}
        ),
        "globex": audit_record(actor=admin_user, action="check.deleted", client_id=globex.pk),
        "formula": audit_record(
            actor=None,
            action="login_failed",
            data={"email": '=HYPERLINK("http://evil.test")'},
        ),
    }


# -- Append-only --------------------------------------------------------------------------------


def test_an_entry_cannot_be_changed_through_save(entries):
    entry = entries["acme"]
    entry.action = "nothing.happened"

    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()

    entry.refresh_from_db()
    assert entry.action == "check.updated"


def test_an_entry_cannot_be_deleted(entries):
    with pytest.raises(AuditLogIsAppendOnly):
        entries["acme"].delete()

    assert AuditEntry.objects.filter(pk=entries["acme"].pk).exists()


def test_bulk_updates_and_deletes_are_refused(entries):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(action="login").update(action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == 4
    assert AuditEntry.objects.filter(action="login").count() == 1


def test_deleting_the_actor_keeps_the_entry_without_them(tech, acme):
    someone = factories.UserFactory(email="leaver@msp.test")
    entry = audit_record(actor=someone, action="login", client_id=acme.pk)

    someone.delete()

    entry.refresh_from_db()
    assert entry.actor_id is None
    assert entry.action == "login"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_postgresql_refuses_raw_updates_and_deletes(entries):
    pk = entries["acme"].pk
    for sql in (
        "UPDATE core_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])

    assert AuditEntry.objects.get(pk=pk).action == "check.updated"


# -- The admin ----------------------------------------------------------------------------------


def test_an_admin_sees_the_log_filtered_by_action_actor_client_and_date(
    client, admin_user, tech, acme, entries
):
    client.force_login(admin_user)
    url = reverse(CHANGELIST)

    assert client.get(url).status_code == 200
    by_action = client.get(url, {"action": "check.deleted"})
    assert list(by_action.context["cl"].result_list) == [entries["globex"]]
    by_actor = client.get(url, {"actor__id__exact": tech.pk})
    assert list(by_actor.context["cl"].result_list) == [entries["login"]]
    by_client = client.get(url, {"client__id__exact": acme.pk})
    assert list(by_client.context["cl"].result_list) == [entries["acme"]]
    day = timezone.localdate(entries["acme"].at)
    by_date = client.get(url, {"at__year": day.year, "at__month": day.month, "at__day": day.day})
    assert by_date.context["cl"].result_count == AuditEntry.objects.count()
    assert reverse(EXPORT) in client.get(url).content.decode()


def test_the_admin_cannot_add_change_or_delete_entries(client, admin_user, entries):
    client.force_login(admin_user)
    pk = entries["acme"].pk
    before = AuditEntry.objects.count()

    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    change = reverse("admin:core_auditentry_change", args=[pk])
    assert client.post(change, {"action": "forged"}).status_code == 403
    delete = reverse("admin:core_auditentry_delete", args=[pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
    )
    assert bulk.status_code in {200, 302}

    entry = AuditEntry.objects.get(pk=pk)
    assert entry.action == "check.updated"
    assert AuditEntry.objects.count() == before


def test_the_filtered_export_is_csv_with_formulas_neutralised_and_is_itself_audited(
    client, admin_user, entries
):
    client.force_login(admin_user)

    response = client.get(reverse(EXPORT), {"action": "login_failed"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    header, *rows = csv_rows(response)
    assert header[:3] == ["id", "at", "action"]
    assert [r[0] for r in rows] == [str(entries["formula"].pk)]
    details = rows[0][header.index("details")]
    assert "HYPERLINK" in details
    assert not details.startswith(("=", "+", "-", "@"))
    record = AuditEntry.objects.get(action="audit.exported")
    assert record.actor == admin_user
    assert record.data["count"] == 1
    assert "login_failed" in record.data["filters"]


def test_an_export_with_a_bogus_filter_goes_back_to_the_list(client, admin_user, entries):
    client.force_login(admin_user)

    response = client.get(reverse(EXPORT), {"at__gte": "not-a-date"})

    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="audit.exported").exists()


def test_a_formula_in_any_column_is_neutralised(client, admin_user):
    audit_record(actor=admin_user, action="=cmd|' /C calc'!A0", data={})
    client.force_login(admin_user)

    header, *rows = csv_rows(client.get(reverse(EXPORT)))

    actions = [r[header.index("action")] for r in rows]
    assert "'=cmd|' /C calc'!A0" in actions
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_export_selected_action_exports_only_the_selection(client, admin_user, entries):
    client.force_login(admin_user)
    chosen = [entries["acme"].pk, entries["globex"].pk]

    response = client.post(
        reverse(CHANGELIST), {"action": "export_selected", "_selected_action": chosen}
    )

    assert response.status_code == 200
    _header, *rows = csv_rows(response)
    assert sorted(int(r[0]) for r in rows) == sorted(chosen)
    assert AuditEntry.objects.filter(action="audit.exported", actor=admin_user).count() == 1


@pytest.mark.parametrize("who", ["manager", "tech", "acme_admin", "acme_user"])
def test_nobody_else_sees_or_exports_the_log(client, request, who, entries):
    client.force_login(request.getfixturevalue(who))

    for url in (reverse(CHANGELIST), reverse(EXPORT)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    assert not AuditEntry.objects.filter(action="audit.exported").exists()
