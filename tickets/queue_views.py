"""The ticket queue: the page a technician lives in, its saved views and bulk actions."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from msp_portal.core.access import staff_required
from msp_portal.core.htmx import render_page_or_partial

from .queue_forms import TicketFilterForm
from .selectors import ticket_search, tickets_for_user

PAGE_SIZE = 50


@require_GET
@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    form = TicketFilterForm(request.GET, user=request.user)
    tickets = ticket_search(tickets_for_user(request.user), user=request.user, **form.filters())
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "now": timezone.now()}
    return render_page_or_partial(request, "tickets/ticket_list.html", "rows", context)
