"""The signed-in user's own notification preferences (staff and portal users alike)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from msp_portal.core.htmx import render_page_or_partial

from . import services
from .forms import PreferencesForm


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Turn each kind of e-mail meant for one's role on or off; always request.user's own, so
    there is no id in the URL or the form to point at somebody else."""
    user = request.user
    form = PreferencesForm(request.POST or None, kinds=services.preferences_for(user))
    saved = False
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=user, choices=form.choices())
        if not request.htmx:
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notifications:preferences")
        saved = True
        form = PreferencesForm(kinds=services.preferences_for(user))
    context = {"form": form, "saved": saved}
    return render_page_or_partial(request, "notifications/preferences.html", "form", context)
