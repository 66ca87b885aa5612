"""The company's portal users, for its client administrators: invite, resend, (de)activate,
change role. Another company's users and MSP staff are not found here (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from msp_portal.accounts.models import User

from . import users
from .forms import InviteForm, RoleForm
from .views import client_admin_required


def _company_user(request: HttpRequest, pk: int) -> User:
    """One user of the administrator's own company, or 404 (missing and foreign look alike)."""
    return get_object_or_404(users.company_users(request.user), pk=pk)


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("portal:user_list")


@require_GET
@client_admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    people = users.company_users(request.user).order_by("-is_active", "full_name", "email")
    rows = [(person, users.invitation_pending(person)) for person in people]
    return render(request, "portal/user_list.html", {"rows": rows, "role_form": RoleForm()})


@require_http_methods(["GET", "POST"])
@client_admin_required
def user_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        try:
            person = users.portal_user_invite(by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("%(name)s is invited: an e-mail with a link to choose a password is on its way.")
                % {"name": person.full_name},
            )
            return redirect("portal:user_list")
    return render(request, "portal/user_invite.html", {"form": form})


@require_POST
@client_admin_required
def user_resend(request: HttpRequest, pk: int) -> HttpResponse:
    person = _company_user(request, pk)
    try:
        users.portal_user_resend_invitation(user=person, by=request.user, request=request)
    except ValidationError as error:
        return _refused(request, error)
    messages.success(
        request,
        _("A new invitation was sent to %(email)s; the previous link no longer works.")
        % {"email": person.email},
    )
    return redirect("portal:user_list")


def _set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    person = _company_user(request, pk)
    try:
        users.portal_user_set_active(user=person, by=request.user, active=active, request=request)
    except ValidationError as error:
        return _refused(request, error)
    if active:
        messages.success(request, _("%(name)s can sign in again.") % {"name": person})
    else:
        messages.success(
            request, _("%(name)s can no longer sign in and was signed out.") % {"name": person}
        )
    return redirect("portal:user_list")


@require_POST
@client_admin_required
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, False)


@require_POST
@client_admin_required
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, True)


@require_POST
@client_admin_required
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    person = _company_user(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose user or administrator."))
        return redirect("portal:user_list")
    try:
        users.portal_user_change_role(
            user=person, by=request.user, role=form.cleaned_data["role"], request=request
        )
    except ValidationError as error:
        return _refused(request, error)
    messages.success(request, _("%(name)s's role was changed.") % {"name": person})
    return redirect("portal:user_list")
