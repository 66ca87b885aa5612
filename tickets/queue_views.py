"""The ticket queue: the page a technician lives in, its saved views and bulk actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from clients.models import Client
from msp_portal.accounts.models import Role
from msp_portal.core.access import staff_required
from msp_portal.core.htmx import render_page_or_partial

from . import services
from .models import SavedView, Ticket
from .queue import attach_countdowns, capped_count, keyset_page, queue_rows, ticket_search
from .queue_forms import (
    PAGING_PARAMS,
    PRIORITY_AXES,
    BulkActionForm,
    SavedViewForm,
    TicketFilterForm,
)
from .selectors import tickets_for_user

PAGE_SIZE = 50


def builtin_views() -> list[dict]:
    """The views every technician starts with."""
    return [
        {"name": _("My open tickets"), "query": "assignee=me"},
        {"name": _("Unassigned"), "query": "assignee=unassigned"},
        {"name": _("Breaching in 2 h"), "query": "due_within=2"},
        {"name": _("Breached"), "query": "sla=breached"},
    ]


def _label_rows(rows: list[Ticket]) -> None:
    """Set what each row shows that the template would otherwise work out per row: the links,
    and the status and priority labels (``get_FOO_display`` rebuilds the choices at each call,
    which on fifty rows is a good share of the page's time)."""
    statuses = {value: str(label) for value, label in Ticket.Status.choices}
    priorities = {value: str(label) for value, label in Ticket._meta.get_field("priority").choices}
    client_urls: dict[int, str] = {}
    for ticket in rows:
        ticket.url = ticket.get_absolute_url()
        if ticket.client_id not in client_urls:
            client_urls[ticket.client_id] = ticket.client.get_absolute_url()
        ticket.client_url = client_urls[ticket.client_id]
        ticket.status_label = statuses.get(ticket.status, ticket.status)
        ticket.priority_label = priorities.get(ticket.priority, ticket.priority)


def _saved_views(user) -> list[SavedView]:
    return list(
        SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")[:100]
    )


def _filter_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for name in PAGING_PARAMS:
        query.pop(name, None)
    return query.urlencode()


@require_GET
@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """The queue: filters in the URL, most urgent first, a keyset page of rows.

    htmx asks for the ``rows`` partial when a filter changes or a page turns; a bookmark or a
    shared link gives the same view in full.
    """
    now = timezone.now()
    form = TicketFilterForm(request.GET, user=request.user)
    tickets, sort = ticket_search(
        queue_rows(tickets_for_user(request.user)), user=request.user, now=now, **form.filters()
    )
    page = keyset_page(
        tickets,
        sort,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=PAGE_SIZE,
    )
    attach_countdowns(page.rows, now)
    _label_rows(page.rows)
    count, more = capped_count(tickets)
    query = _filter_query(request)
    context = {
        "form": form,
        "page": page,
        "count": count,
        "count_more": more,
        "now": now,
        "query": query,
        "builtin_views": builtin_views(),
        "saved_views": _saved_views(request.user) if not request.htmx else [],
        "may_manage_shared": request.user.role in (Role.ADMIN, Role.MANAGER),
        "save_form": SavedViewForm(owner=request.user, initial={"query": query}),
        "bulk_form": BulkActionForm(user=request.user),
    }
    return render_page_or_partial(request, "tickets/ticket_list.html", "rows", context)


@require_GET
@staff_required
def client_options(request: HttpRequest) -> HttpResponse:
    """The client short names offered by the queue's client filter as one types."""
    q = request.GET.get("client", "").strip()[:60]
    clients = Client.objects.for_user(request.user).only("slug", "name").order_by("name")
    if q:
        clients = clients.filter(Q(name__icontains=q) | Q(slug__icontains=q))
    return render(request, "tickets/_client_options.html", {"clients": clients[:30]})


def _back_to_queue(request: HttpRequest, query: str = "") -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith(reverse("tickets:list")):
        target = reverse("tickets:list") + (f"?{query}" if query else "")
    return HttpResponseRedirect(target)


@require_POST
@staff_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST, owner=request.user)
    if form.is_valid():
        view = form.save()
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return HttpResponseRedirect(view.get_absolute_url())
    for field_errors in form.errors.values():
        for error in field_errors:
            messages.error(request, error)
    return _back_to_queue(request, form.data.get("query", ""))


@require_POST
@staff_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one's own view; a shared view may also be removed by a manager."""
    may_manage = request.user.role in (Role.ADMIN, Role.MANAGER)
    allowed = Q(owner=request.user) | (Q(shared=True) if may_manage else Q(pk__in=[]))
    view = SavedView.objects.filter(allowed, pk=pk).first()
    if view is None:
        raise Http404
    view.delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return _back_to_queue(request)


def _apply(action: str, ticket: Ticket, form: BulkActionForm, user) -> None:
    data = form.cleaned_data
    if action == BulkActionForm.ASSIGN:
        services.ticket_assign(ticket=ticket, assignee=data["assignee_user"], by=user)
    elif action == BulkActionForm.STATUS:
        services.ticket_change_status(ticket=ticket, status=data["status"], by=user)
    elif action == BulkActionForm.PRIORITY:
        impact, urgency = PRIORITY_AXES[data["priority"]]
        services.ticket_change_priority(ticket=ticket, impact=impact, urgency=urgency, by=user)


@require_POST
@staff_required
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected tickets, each through its service; a ticket the
    service refuses is named and the others still change."""
    form = BulkActionForm(request.POST, user=request.user)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, error)
        return _back_to_queue(request)
    numbers = form.cleaned_data["tickets"]
    tickets = list(tickets_for_user(request.user).filter(number__in=numbers).order_by("number"))
    if len(tickets) != len(set(numbers)):
        messages.error(request, _("Some selected tickets no longer exist or are not yours to see."))
        return _back_to_queue(request)
    action = form.cleaned_data["action"]
    if action == BulkActionForm.MERGE:
        try:
            target = services.ticket_merge(
                target=tickets[0], duplicates=tickets[1:], by=request.user, request=request
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return _back_to_queue(request)
        messages.success(
            request,
            _("%(count)d tickets merged into %(ref)s.")
            % {"count": len(tickets) - 1, "ref": target.reference},
        )
        return HttpResponseRedirect(target.get_absolute_url())
    done, refused = 0, []
    for ticket in tickets:
        try:
            with transaction.atomic():
                _apply(action, ticket, form, request.user)
        except ValidationError as error:
            refused.append(f"{ticket.reference}: {' '.join(error.messages)}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", done)
            % {"count": done},
        )
    for message in refused:
        messages.error(request, message)
    return _back_to_queue(request)
