"""Portal ticket pages and actions: open, read, reply, confirm a resolution, reopen.

Every action re-reads the ticket through ``for_user`` (404 otherwise) and calls one service,
which checks again what the page offered: a button shown is a hint, never the permission.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from msp_portal.core.access import client_required
from msp_portal.core.tenancy import get_for_user
from tickets import services
from tickets.attachments import prefetch_timeline_attachments
from tickets.forms import ReplyForm
from tickets.models import Impact, Ticket, Urgency
from tickets.selectors import sla_timer_views, ticket_timeline

from .forms import ReopenForm, TicketOpenForm
from .selectors import priority_preview


def _reopen_days() -> int:
    return settings.PORTAL_REOPEN_DAYS


def _get_ticket(request: HttpRequest, number: int) -> Ticket:
    return get_for_user(
        Ticket.objects.select_related("client", "contact", "asset", "sla_snapshot"),
        request.user,
        number=number,
    )


def _form_errors(form, error: ValidationError) -> None:
    """A service's refusal shown on the form, on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _related_initial(request: HttpRequest) -> dict:
    """A follow-up of an older ticket the user can see: its reference in subject and text."""
    number = request.GET.get("related", "")
    if not number.isdigit():
        return {}
    old = Ticket.objects.for_user(request.user).filter(number=int(number)).first()
    if old is None:
        return {}
    return {
        "subject": _("Follow-up to %(ref)s: %(subject)s")
        % {"ref": old.reference, "subject": old.subject},
        "description": _("This refers to ticket %(ref)s.") % {"ref": old.reference} + "\n\n",
    }


def _int_choice(value, choices, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number in choices else default


@require_http_methods(["GET", "POST"])
@client_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = TicketOpenForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_open_with_files(
                    client=user.client,
                    subject=data["subject"],
                    description=data["description"],
                    source=Ticket.Source.PORTAL,
                    created_by=user,
                    category=data["category"],
                    impact=data["impact"],
                    urgency=data["urgency"],
                    asset=data["asset"],
                    cc_contacts=data["cc_contacts"],
                    files=data["attachments"],
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Ticket %(ref)s is open. We will get back to you.")
                    % {"ref": ticket.reference},
                )
                return redirect("portal:ticket_detail", number=ticket.number)
        if request.FILES:
            messages.warning(request, _("Please choose your files again before sending."))
    else:
        form = TicketOpenForm(user=user, initial=_related_initial(request))
    impact = _int_choice(form["impact"].value(), Impact.values, Impact.LOW)
    urgency = _int_choice(form["urgency"].value(), Urgency.values, Urgency.MEDIUM)
    context = {"form": form, "preview": priority_preview(user, impact, urgency)}
    return render(request, "portal/ticket_new.html", context)


@require_GET
@client_required
def priority_explain(request: HttpRequest) -> HttpResponse:
    """The derived priority for the impact and urgency chosen so far (htmx, on change)."""
    impact = _int_choice(request.GET.get("impact"), Impact.values, Impact.LOW)
    urgency = _int_choice(request.GET.get("urgency"), Urgency.values, Urgency.MEDIUM)
    preview = priority_preview(request.user, impact, urgency)
    response = render(request, "portal/ticket_new.html#priority", {"preview": preview})
    patch_vary_headers(response, ("HX-Request",))
    return response


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    form: ReplyForm | None = None,
    reopen_form: ReopenForm | None = None,
) -> HttpResponse:
    timeline = ticket_timeline(ticket, request.user)
    prefetch_timeline_attachments(timeline, request.user)
    days = _reopen_days()
    done = ticket.status in Ticket.DONE_STATUSES
    may_reopen = services.may_reopen(ticket, days=days)
    context = {
        "ticket": ticket,
        "closed": ticket.status == Ticket.Status.CLOSED,
        "timeline": timeline,
        "timers": sla_timer_views(ticket, request.user),
        "form": form or ReplyForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "may_confirm": services.may_confirm_resolution(ticket),
        "may_reopen": may_reopen,
        "reopen_deadline": services.reopen_deadline(ticket, days=days),
        "reopen_expired": done and not may_reopen,
        "reopen_days": days,
    }
    return render(request, "portal/ticket_detail.html", context)


@require_GET
@client_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_ticket(request, _get_ticket(request, number))


@require_POST
@client_required
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Your message was not sent: please correct it below."))
        return _render_ticket(request, ticket, form=form)
    try:
        services.ticket_add_message(
            ticket=ticket,
            body=form.cleaned_data["body"],
            author=request.user,
            files=form.cleaned_data["attachments"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _render_ticket(request, ticket, form=form)
    messages.success(request, _("Your message was sent."))
    return redirect("portal:ticket_detail", number=ticket.number)


@require_POST
@client_required
def ticket_confirm(request: HttpRequest, number: int) -> HttpResponse:
    """The client confirms the resolution: the ticket is closed."""
    ticket = _get_ticket(request, number)
    try:
        services.ticket_confirm_resolution(ticket=ticket, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Thank you: the ticket is closed."))
    return redirect("portal:ticket_detail", number=ticket.number)


@require_POST
@client_required
def ticket_reopen(request: HttpRequest, number: int) -> HttpResponse:
    """The problem is back: reopen within the window, with what is still wrong."""
    ticket = _get_ticket(request, number)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, reopen_form=form)
    try:
        services.ticket_reopen(
            ticket=ticket,
            by=request.user,
            reason=form.cleaned_data["reason"],
            days=_reopen_days(),
            at=timezone.now(),
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):  # about the reason: shown on the form, text kept
            _form_errors(form, error)
            return _render_ticket(request, ticket, reopen_form=form)
        for message in error.messages:  # no longer allowed: the page explains what to do
            messages.error(request, message)
        return redirect("portal:ticket_detail", number=ticket.number)
    messages.success(request, _("The ticket is open again; we will look at it."))
    return redirect("portal:ticket_detail", number=ticket.number)
