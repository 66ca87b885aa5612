"""Staff ticket pages: the filtered list, one ticket, and the small views that change it.

Each action view checks the form, calls one service and redirects back to the ticket; when the
service refuses, the ticket page is shown again with the message and what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from msp_portal.accounts.selectors import staff_for_client
from msp_portal.core.access import staff_required
from msp_portal.core.tenancy import get_for_user

from . import services
from .attachments import (
    attachment_for_user,
    attachment_response,
    prefetch_timeline_attachments,
)
from .forms import AssignForm, MessageForm, StatusForm, TimeEntryForm
from .models import Ticket
from .selectors import (
    sla_timer_views,
    ticket_time_entries,
    ticket_timeline,
)


def _get_ticket(request: HttpRequest, number: int) -> Ticket:
    queryset = Ticket.objects.select_related(
        "client",
        "contact",
        "asset",
        "contract",
        "queue",
        "category",
        "assignee",
        "created_by",
        "sla_snapshot",
    )
    return get_for_user(queryset, request.user, number=number)


def _render_detail(request: HttpRequest, ticket: Ticket, **forms) -> HttpResponse:
    """The ticket page; ``forms`` replaces blank forms with bound ones after a refusal."""
    closed = ticket.status == Ticket.Status.CLOSED
    assignee = "me" if ticket.assignee_id == request.user.pk else ticket.assignee_id or ""
    entries, total = ticket_time_entries(ticket, request.user)
    timeline = ticket_timeline(ticket, request.user)
    prefetch_timeline_attachments(timeline, request.user)
    context = {
        "ticket": ticket,
        "closed": closed,
        "timeline": timeline,
        "timers": sla_timer_views(ticket, request.user),
        "time_entries": entries,
        "time_total": total,
        "message_form": MessageForm(closed=closed),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "assign_form": AssignForm(
            staff=staff_for_client(ticket.client_id),
            me=request.user,
            initial={"assignee": str(assignee)},
        ),
        "time_form": TimeEntryForm(),
        **forms,
    }
    return render(request, "tickets/ticket_detail.html", context)


def _refused(request: HttpRequest, ticket: Ticket, error: ValidationError, **forms) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return _render_detail(request, ticket, **forms)


def _invalid(request: HttpRequest, ticket: Ticket, **forms) -> HttpResponse:
    messages.error(request, _("Nothing was saved: please correct the form below."))
    return _render_detail(request, ticket, **forms)


@require_GET
@staff_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_detail(request, _get_ticket(request, number))


@require_POST
@staff_required
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = MessageForm(request.POST, request.FILES, closed=ticket.status == Ticket.Status.CLOSED)
    if not form.is_valid():
        return _invalid(request, ticket, message_form=form)
    internal = form.cleaned_data["visibility"] == MessageForm.INTERNAL
    try:
        services.ticket_add_message(
            ticket=ticket,
            body=form.cleaned_data["body"],
            author=request.user,
            internal=internal,
            files=form.cleaned_data["attachments"],
        )
    except ValidationError as error:
        return _refused(request, ticket, error, message_form=form)
    messages.success(
        request, _("Internal note added.") if internal else _("Reply sent to the client.")
    )
    return redirect(ticket)


@require_GET
@staff_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A ticket's file, for staff who may see that client: always a download, never a page."""
    return attachment_response(attachment_for_user(request.user, pk))


@require_POST
@staff_required
def ticket_status(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, status_form=form)
    try:
        ticket = services.ticket_change_status(ticket=ticket, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _refused(request, ticket, error, status_form=form)
    messages.success(request, _("Status: %(status)s.") % {"status": ticket.get_status_display()})
    return redirect(ticket)


@require_POST
@staff_required
def ticket_assign(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = AssignForm(request.POST, staff=staff_for_client(ticket.client_id), me=request.user)
    if not form.is_valid():
        return _invalid(request, ticket, assign_form=form)
    assignee = form.cleaned_data["assignee"]
    try:
        services.ticket_assign(ticket=ticket, assignee=assignee, by=request.user)
    except ValidationError as error:
        return _refused(request, ticket, error, assign_form=form)
    if assignee is None:
        messages.success(request, _("The ticket is now unassigned."))
    else:
        messages.success(request, _("Assigned to %(name)s.") % {"name": assignee})
    return redirect(ticket)


@require_POST
@staff_required
def ticket_log_time(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, time_form=form)
    try:
        services.ticket_log_time(ticket=ticket, technician=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _refused(request, ticket, error, time_form=form)
    messages.success(request, _("Time logged."))
    return redirect(ticket)
