"""API routes, mounted under /api/: v1 resources, the OpenAPI schema and its docs.

Swagger UI only: drf-spectacular's ReDoc page loads Google Fonts, and no page of ours may
depend on a CDN. The split view serves Swagger UI's start-up script as a file from this site,
so the strict script policy holds; its page carries an inline <style> and Swagger UI sets
styles itself, so that page alone may use inline styles.
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from .views import clients, contracts, monitoring, tickets, tokens

router = SimpleRouter()
router.register("clients", clients.ClientViewSet, basename="client")
router.register("sites", clients.SiteViewSet, basename="site")
router.register("contacts", clients.ContactViewSet, basename="contact")
router.register("assets", clients.AssetViewSet, basename="asset")
router.register("contracts", contracts.ContractViewSet, basename="contract")
router.register("sla-policies", contracts.SLAPolicyViewSet, basename="sla-policy")
router.register("calendars", contracts.BusinessCalendarViewSet, basename="calendar")
router.register("tickets", tickets.TicketViewSet, basename="ticket")
router.register("checks", monitoring.CheckViewSet, basename="check")
router.register("check-results", monitoring.CheckResultViewSet, basename="check-result")
router.register(
    "check-state-changes", monitoring.CheckStateChangeViewSet, basename="check-state-change"
)
router.register(
    "maintenance-windows", monitoring.MaintenanceWindowViewSet, basename="maintenance-window"
)
router.register("tokens", tokens.ApiTokenViewSet, basename="token")

ticket_routes = [
    path("events/", tickets.TicketEventList.as_view(), name="ticket-events"),
    path("replies/", tickets.TicketReplyCreate.as_view(), name="ticket-replies"),
    path("notes/", tickets.TicketNoteCreate.as_view(), name="ticket-notes"),
    path("time-entries/", tickets.TicketTimeEntryList.as_view(), name="ticket-time-entries"),
    path("attachments/", tickets.TicketAttachmentList.as_view(), name="ticket-attachments"),
    path("sla-timers/", tickets.TicketSlaTimerList.as_view(), name="ticket-sla-timers"),
]


@csrf_exempt  # it changes nothing, and must answer 404 (not a CSRF page) to any method
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown paths under /api/ answer in the API's error format, not with an HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/tickets/<str:number>/", include(ticket_routes)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    re_path(r"^(?P<rest>.*)$", not_found),
]
