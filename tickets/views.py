"""Staff ticket pages: one ticket, the small views that change it, and canned responses.

Each action view checks the form, calls one service and redirects back to the ticket; when the
service refuses, the ticket page is shown again with the message and what was typed. An htmx
request gets the page's ``workspace`` partial instead of a redirect, so the technician stays
where they are and the header, timeline, timers and side panel all show the change.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.models import Asset
from msp_portal.accounts.selectors import staff_for_client
from msp_portal.core.access import staff_required
from msp_portal.core.db import joins_in_written_order
from msp_portal.core.htmx import render_page_or_partial
from msp_portal.core.tenancy import get_for_user

from . import selectors, services
from .attachments import (
    attachment_for_user,
    attachment_response,
    prefetch_timeline_attachments,
)
from .forms import (
    AssetLinkForm,
    AssignForm,
    CannedResponseForm,
    MessageForm,
    PriorityForm,
    QueueCategoryForm,
    StatusForm,
    TimeEntryForm,
)
from .models import CannedResponse, Ticket
from .selectors import (
    asset_checks,
    canned_may_edit,
    canned_may_share,
    canned_responses_for,
    client_open_tickets,
    sla_timer_views,
    ticket_time_entries,
    ticket_timeline,
)

PAGE = "tickets/ticket_detail.html"
#: How many of the client's other open tickets the side panel lists.
OTHER_TICKETS = 5


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
        "contract__sla_policy",
        "merged_into",
    )
    with joins_in_written_order():
        return get_for_user(queryset, request.user, number=number)


def _client_assets(ticket: Ticket, user):
    """The assets a ticket of this client may be linked to."""
    assets = Asset.objects.for_user(user).filter(client_id=ticket.client_id)
    return assets.only("pk", "client_id", "name").order_by("name", "pk")


def _render_detail(request: HttpRequest, ticket: Ticket, **forms) -> HttpResponse:
    """The ticket page (its ``workspace`` partial for htmx); ``forms`` replaces blank forms
    with bound ones after a refusal."""
    user = request.user
    closed = ticket.status == Ticket.Status.CLOSED
    assignee = "me" if ticket.assignee_id == user.pk else ticket.assignee_id or ""
    entries, total = ticket_time_entries(ticket, user)
    timeline = ticket_timeline(ticket, user)
    prefetch_timeline_attachments(timeline, user)
    others = client_open_tickets(ticket, user, limit=OTHER_TICKETS)
    context = {
        "ticket": ticket,
        "closed": closed,
        "timeline": timeline,
        "timers": sla_timer_views(ticket, user),
        "time_entries": entries,
        "time_total": total,
        "checks": asset_checks(ticket.asset, user),
        "other_tickets": others[:OTHER_TICKETS],
        "more_other_tickets": len(others) > OTHER_TICKETS,
        "canned_responses": list(canned_responses_for(user).only("pk", "title")),
        "message_form": MessageForm(closed=closed),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "assign_form": AssignForm(
            staff=staff_for_client(ticket.client_id), me=user, initial={"assignee": str(assignee)}
        ),
        "priority_form": PriorityForm(initial={"impact": ticket.impact, "urgency": ticket.urgency}),
        "fields_form": QueueCategoryForm(
            initial={"queue": ticket.queue_id, "category": ticket.category_id}
        ),
        "asset_form": AssetLinkForm(
            assets=_client_assets(ticket, user), initial={"asset": ticket.asset_id}
        ),
        "time_form": TimeEntryForm(),
        **forms,
    }
    return render_page_or_partial(request, PAGE, "workspace", context)


def _done(request: HttpRequest, ticket: Ticket, message: str) -> HttpResponse:
    """After a change: the fresh workspace for htmx, else back to the page (POST-redirect-GET)."""
    messages.success(request, message)
    if request.htmx:
        return _render_detail(request, _get_ticket(request, ticket.number))
    return redirect(ticket)


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
    return _done(
        request, ticket, _("Internal note added.") if internal else _("Reply sent to the client.")
    )


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
    return _done(
        request, ticket, _("Status: %(status)s.") % {"status": ticket.get_status_display()}
    )


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
        return _done(request, ticket, _("The ticket is now unassigned."))
    return _done(request, ticket, _("Assigned to %(name)s.") % {"name": assignee})


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
    return _done(request, ticket, _("Time logged."))


@require_POST
@staff_required
def ticket_priority(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, priority_form=form)
    try:
        ticket = services.ticket_change_priority(
            ticket=ticket, by=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        return _refused(request, ticket, error, priority_form=form)
    return _done(
        request, ticket, _("Priority: %(priority)s.") % {"priority": ticket.get_priority_display()}
    )


@require_POST
@staff_required
def ticket_fields(request: HttpRequest, number: int) -> HttpResponse:
    """Queue and category, in one form: one timeline entry per field that changed."""
    ticket = _get_ticket(request, number)
    form = QueueCategoryForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, fields_form=form)
    try:
        services.ticket_update(ticket=ticket, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _refused(request, ticket, error, fields_form=form)
    return _done(request, ticket, _("Queue and category saved."))


@require_POST
@staff_required
def ticket_asset(request: HttpRequest, number: int) -> HttpResponse:
    """Link one of the client's assets to the ticket, or unlink it (an empty choice)."""
    ticket = _get_ticket(request, number)
    form = AssetLinkForm(request.POST, assets=_client_assets(ticket, request.user))
    if not form.is_valid():
        return _invalid(request, ticket, asset_form=form)
    asset = form.cleaned_data["asset"]
    try:
        services.ticket_update(ticket=ticket, by=request.user, asset=asset)
    except ValidationError as error:
        return _refused(request, ticket, error, asset_form=form)
    if asset is None:
        return _done(request, ticket, _("No asset is linked any more."))
    return _done(request, ticket, _("Asset linked: %(asset)s.") % {"asset": asset})


# -- canned responses ----------------------------------------------------------------------


@require_GET
@staff_required
def canned_insert(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    """A canned response filled from the ticket, added after what is already typed (``body``).

    htmx swaps only the message field; without JavaScript the page comes back with it filled.
    """
    ticket = _get_ticket(request, number)
    canned = get_object_or_404(canned_responses_for(request.user), pk=pk)
    text = selectors.canned_fill(canned.body, ticket=ticket, technician=request.user)
    typed = request.GET.get("body", "").rstrip()
    closed = ticket.status == Ticket.Status.CLOSED
    form = MessageForm(initial={"body": f"{typed}\n\n{text}" if typed else text}, closed=closed)
    if request.htmx:
        response = render(request, f"{PAGE}#reply_body", {"message_form": form})
        response["Vary"] = "HX-Request"
        return response
    return _render_detail(request, ticket, message_form=form)


def _canned_for_edit(request: HttpRequest, pk: int) -> CannedResponse:
    """A response the user may see (else 404) and change (else 403: they can see it anyway)."""
    canned = get_object_or_404(canned_responses_for(request.user), pk=pk)
    if not canned_may_edit(request.user, canned):
        raise PermissionDenied
    return canned


def _canned_save(request: HttpRequest, form: CannedResponseForm) -> CannedResponse:
    canned = form.save(commit=False)
    if "shared" in form.fields:
        canned.owner = None if form.cleaned_data["shared"] else request.user
    elif canned.pk is None:
        canned.owner = request.user
    canned.save()
    return canned


@staff_required
def canned_list(request: HttpRequest) -> HttpResponse:
    """The technician's own canned responses and the shared ones, with a form to add one."""
    may_share = canned_may_share(request.user)
    form = CannedResponseForm(request.POST or None, may_share=may_share)
    if request.method == "POST":
        if form.is_valid():
            canned = _canned_save(request, form)
            messages.success(request, _("Canned response “%(title)s” added.") % {"title": canned})
            return redirect("tickets:canned_list")
        messages.error(request, _("Nothing was saved: please correct the form below."))
    responses = list(canned_responses_for(request.user).select_related("owner"))
    for canned in responses:
        canned.may_edit = canned_may_edit(request.user, canned)
    context = {"responses": responses, "form": form, "placeholders": selectors.CANNED_PLACEHOLDERS}
    return render(request, "tickets/canned_list.html", context)


@staff_required
def canned_edit(request: HttpRequest, pk: int) -> HttpResponse:
    canned = _canned_for_edit(request, pk)
    may_share = canned_may_share(request.user)
    form = CannedResponseForm(request.POST or None, instance=canned, may_share=may_share)
    if request.method == "POST":
        if form.is_valid():
            _canned_save(request, form)
            messages.success(request, _("Canned response “%(title)s” saved.") % {"title": canned})
            return redirect("tickets:canned_list")
        messages.error(request, _("Nothing was saved: please correct the form below."))
    context = {"canned": canned, "form": form, "placeholders": selectors.CANNED_PLACEHOLDERS}
    return render(request, "tickets/canned_edit.html", context)


@require_POST
@staff_required
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    canned = _canned_for_edit(request, pk)
    title = canned.title
    canned.delete()
    messages.success(request, _("Canned response “%(title)s” deleted.") % {"title": title})
    return redirect("tickets:canned_list")
