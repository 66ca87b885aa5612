"""Who may open which pages: MSP staff pages and client portal pages never mix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed-in MSP staff only; anyone else signed in gets a 404, as if the page did not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_msp_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def client_required(view: View) -> View:
    """Signed-in client users only; MSP staff are sent to their own home page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_msp_staff:
            return redirect("home")
        if not (request.user.is_client_side and request.user.client_id):
            raise Http404
        return view(request, *args, **kwargs)

    return login_required(wrapper)
