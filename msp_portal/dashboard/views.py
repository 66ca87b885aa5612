"""The staff home page: the open tickets of the clients this person works for."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from tickets.selectors import status_counts, tickets_for_user

#: Rows per section; the ticket list, linked from each section, has the rest.
SECTION_SIZE = 50


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff see their open work; client users go to the portal."""
    user = request.user
    if user.is_client_side:
        return redirect("portal:home")
    if not user.is_msp_staff:
        raise Http404
    open_tickets = tickets_for_user(user).open().order_by("priority", "created_at", "pk")
    mine = open_tickets.filter(assignee=user)
    counts = status_counts(open_tickets)
    context = {
        "counts": counts,
        "open_count": sum(row["count"] for row in counts),
        "mine": mine[:SECTION_SIZE],
        "mine_count": mine.count(),
        "all_open": open_tickets[:SECTION_SIZE],
        "section_size": SECTION_SIZE,
    }
    return render(request, "dashboard/home.html", context)
