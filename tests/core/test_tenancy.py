"""Tenant isolation at the data layer: every tenant-owned model, every kind of user."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.http import Http404

from clients.models import Client
from contracts.models import BusinessCalendar, Contract, SLAPolicy
from msp_portal.core.tenancy import get_for_user
from tests import factories
from tickets import services
from tickets.models import Ticket, TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db


def tenant_models():
    """Every model that carries a direct client foreign key, so a new one is covered too."""
    return [
        m
        for m in apps.get_models()
        if any(
            f.name == "client" and f.is_relation and f.related_model is Client
            for f in m._meta.get_fields()
        )
        and m._meta.app_label != "core"  # the audit log is read in the admin only
        and m._meta.label != "accounts.User"
    ]


def test_the_fixture_covers_every_tenant_owned_model(acme_world):
    assert set(tenant_models()) - set(acme_world) == set()


def test_another_clients_user_sees_none_of_acmes_rows(acme_world, globex_user):
    for model, obj in acme_world.items():
        visible = model._default_manager.for_user(globex_user)
        assert not visible.filter(pk=obj.pk).exists(), model.__name__
        with pytest.raises(Http404):
            get_for_user(model, globex_user, pk=obj.pk)


def test_staff_see_every_clients_rows(acme_world, tech, manager, admin_user):
    for user in (tech, manager, admin_user):
        for model, obj in acme_world.items():
            assert get_for_user(model, user, pk=obj.pk) == obj


def test_a_restricted_technician_sees_only_the_clients_allowed(acme_world, globex):
    restricted = factories.UserFactory(role="technician", sees_all_clients=False)
    restricted.allowed_clients.set([globex])

    for model, obj in acme_world.items():
        assert not model._default_manager.for_user(restricted).filter(pk=obj.pk).exists()

    restricted.allowed_clients.add(acme_world[Client])
    assert get_for_user(Ticket, restricted, pk=acme_world[Ticket].pk)


def test_managers_see_every_client_even_when_marked_restricted(acme_world):
    manager = factories.UserFactory(role="manager", sees_all_clients=False)

    assert get_for_user(Ticket, manager, pk=acme_world[Ticket].pk)


def test_anonymous_and_inactive_users_see_nothing(acme_world, tech):
    from django.contrib.auth.models import AnonymousUser

    tech.is_active = False
    tech.save(update_fields=["is_active"])
    for user in (AnonymousUser(), tech, None):
        for model in acme_world:
            assert not model._default_manager.for_user(user).exists()


def test_a_client_user_sees_only_the_tickets_they_opened_requested_or_are_copied_on(
    acme, acme_user, acme_admin, tech
):
    colleague = factories.ContactFactory(client=acme)
    theirs = factories.open_ticket(acme, by=acme_user)
    requested = factories.open_ticket(acme, by=tech, contact=acme_user.contact)
    copied = factories.open_ticket(
        acme, by=tech, contact=colleague, cc_contacts=[acme_user.contact]
    )
    someone_elses = factories.open_ticket(acme, by=tech, contact=colleague)
    nobodys = factories.open_ticket(acme, by=tech)

    visible = set(Ticket.objects.for_user(acme_user))
    assert visible == {theirs, requested, copied}
    assert set(Ticket.objects.for_user(acme_admin)) == {
        theirs,
        requested,
        copied,
        someone_elses,
        nobodys,
    }


def test_a_client_user_without_a_contact_does_not_see_tickets_without_a_requester(acme, tech):
    user = factories.UserFactory(role="client_user", client=acme)
    factories.open_ticket(acme, by=tech)

    assert not Ticket.objects.for_user(user).exists()


def test_clients_never_see_internal_notes_or_internal_events(acme, acme_user, acme_admin, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_add_note(ticket=ticket, author=tech, body="Password is in the vault")
    services.ticket_assign(ticket=ticket, assignee=tech, by=tech)
    services.ticket_log_time(ticket=ticket, technician=tech, minutes=5, note="remote session")

    for user in (acme_user, acme_admin):
        kinds = set(TicketEvent.objects.for_user(user).values_list("kind", flat=True))
        assert kinds == {TicketEvent.Kind.CREATED}
    assert TicketEvent.objects.for_user(tech).count() == 4


def test_contracts_are_for_the_clients_administrators_only(acme, acme_user, acme_admin):
    contract = factories.ContractFactory(client=acme)

    assert list(Contract.objects.for_user(acme_admin)) == [contract]
    assert not Contract.objects.for_user(acme_user).exists()
    assert list(SLAPolicy.objects.for_user(acme_admin)) == [contract.sla_policy]
    assert list(BusinessCalendar.objects.for_user(acme_admin)) == [contract.calendar]
    assert not SLAPolicy.objects.for_user(acme_user).exists()


def test_shared_policies_show_only_through_the_clients_own_contracts(acme, globex, globex_user):
    factories.ContractFactory(client=acme)

    assert not SLAPolicy.objects.for_user(globex_user).exists()
    assert not BusinessCalendar.objects.for_user(globex_user).exists()


def test_time_entries_with_their_internal_notes_are_for_staff_only(
    acme, acme_user, acme_admin, tech
):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_log_time(ticket=ticket, technician=tech, minutes=30, note="internal")

    assert TimeEntry.objects.for_user(tech).count() == 1
    assert not TimeEntry.objects.for_user(acme_admin).exists()
    assert not TimeEntry.objects.for_user(acme_user).exists()


def test_get_for_user_answers_404_for_missing_and_malformed_ids(acme_admin):
    for lookup in ({"pk": 999999}, {"pk": "not-a-number"}):
        with pytest.raises(Http404):
            get_for_user(Ticket, acme_admin, **lookup)
