"""The heartbeat endpoint a client's backup job, cron job or script calls when it has run.

``/ping/<token>`` records a success, ``/ping/<token>/fail`` a failure. The token is the secret
(the URL is the credential, as with healthchecks.io): no session, no CSRF, any method a
script's one-liner uses (``curl -fsS -m 10 --retry 5 https://.../ping/<token>``). An unknown
token answers 404 and says nothing more. A short body sent with the ping (an exit code, the
last lines of a log) is kept with the result.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .engine import heartbeat_record

MAX_BODY = 1000


def _ping(request: HttpRequest, token: str, *, ok: bool) -> HttpResponse:
    if len(token) > 64:
        return HttpResponse("not found\n", status=404, content_type="text/plain")
    body = request.body[:MAX_BODY].decode("utf-8", "replace").strip() if request.body else ""
    check = heartbeat_record(token=token, ok=ok, message=body)
    if check is None:
        return HttpResponse("not found\n", status=404, content_type="text/plain")
    return HttpResponse("OK\n", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST", "PUT"])
def ping(request: HttpRequest, token: str) -> HttpResponse:
    return _ping(request, token, ok=True)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST", "PUT"])
def ping_fail(request: HttpRequest, token: str) -> HttpResponse:
    return _ping(request, token, ok=False)
