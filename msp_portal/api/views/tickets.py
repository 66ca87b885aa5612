"""Tickets and what hangs off them. Every write calls one of ``tickets.services``.

A service's refusal (Django's ValidationError) is a 400 with its field errors, except when the
ticket is closed: then the request conflicts with the ticket's state and answers 409.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters as drf_filters
from rest_framework import generics, mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from msp_portal.core.tenancy import get_for_user
from tickets import services
from tickets.models import Attachment, SlaTimer, Ticket, TicketEvent, TimeEntry

from .. import filters, serializers
from ..exceptions import Conflict
from ..permissions import IsMspStaff
from .base import TenantViewSet

NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description=_("Ticket number."))
DESCRIPTIVE_FIELDS = ("subject", "queue", "category", "asset", "contact")


@contextmanager
def conflict_if_closed(ticket: Ticket) -> Iterator[None]:
    """Turn a service's refusal into 409 when it is the ticket's closed state that refused."""
    try:
        yield
    except ValidationError as error:
        closed = Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.CLOSED).exists()
        if closed and not hasattr(error, "error_dict"):
            raise Conflict(" ".join(error.messages)) from None
        raise


@extend_schema_view(
    list=extend_schema(summary=_("List tickets")),
    retrieve=extend_schema(summary=_("One ticket"), parameters=[NUMBER]),
    create=extend_schema(
        summary=_("Open a ticket"),
        description=_(
            'Opens the ticket through the same service as the pages (source "api"): the '
            "contract in force and its SLA are attached. Client users open tickets for their "
            "own company and may not set the assignee or the queue."
        ),
        request=serializers.TicketCreateSerializer,
        responses={201: serializers.TicketSerializer},
    ),
    partial_update=extend_schema(
        summary=_("Change a ticket"),
        description=_(
            "MSP staff only. Each part goes to its service and writes the timeline: subject, "
            "queue, category, asset and contact (ticket_update), impact and urgency, from "
            "which the priority follows (ticket_change_priority), assignee (ticket_assign), "
            "then status with an optional reason (ticket_change_status). All or nothing. "
            "A closed ticket answers 409."
        ),
        parameters=[NUMBER],
        request=serializers.TicketUpdateSerializer,
        responses={200: serializers.TicketSerializer},
    ),
)
class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    model = Ticket
    serializer_class = serializers.TicketSerializer
    lookup_field = "number"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = filters.TicketFilter
    ordering = "-created_at"
    ordering_fields = ["created_at", "updated_at", "number", "priority", "status"]
    may_conflict = True

    def get_permissions(self) -> list:
        if self.action == "partial_update":
            return [IsMspStaff()]
        return super().get_permissions()

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self._validated(serializers.TicketCreateSerializer, request)
        ticket = services.ticket_open(source=Ticket.Source.API, created_by=request.user, **data)
        body = serializers.TicketSerializer(ticket, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        ticket = self.get_object()
        data = self._validated(serializers.TicketUpdateSerializer, request)
        user = request.user
        with conflict_if_closed(ticket), transaction.atomic():
            changes = {name: data[name] for name in DESCRIPTIVE_FIELDS if name in data}
            if changes:
                ticket = services.ticket_update(ticket=ticket, by=user, **changes)
            if "impact" in data or "urgency" in data:
                ticket = services.ticket_change_priority(
                    ticket=ticket,
                    impact=int(data.get("impact", ticket.impact)),
                    urgency=int(data.get("urgency", ticket.urgency)),
                    by=user,
                )
            if "assignee" in data:
                ticket = services.ticket_assign(ticket=ticket, assignee=data["assignee"], by=user)
            if "status" in data:
                ticket = services.ticket_change_status(
                    ticket=ticket, status=data["status"], reason=data.get("reason", ""), by=user
                )
        ticket = self.get_object()
        return Response(serializers.TicketSerializer(ticket).data)

    def _validated(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class TicketChildView(generics.GenericAPIView):
    """A list or action under /tickets/{number}/, on a ticket the caller may see."""

    ordering = "id"
    ordering_fields = ["id"]
    filter_backends = [drf_filters.OrderingFilter]
    may_conflict = True

    def get_ticket(self) -> Ticket:
        return get_for_user(Ticket, self.request.user, number=self.kwargs["number"])

    def child_queryset(self, model: type[models.Model]) -> models.QuerySet:
        return model.objects.for_user(self.request.user).filter(ticket=self.get_ticket())


@extend_schema(summary=_("A ticket's timeline"), parameters=[NUMBER])
class TicketEventList(TicketChildView, generics.ListAPIView):
    """The timeline, oldest first; client users see public events only."""

    serializer_class = serializers.TicketEventSerializer
    ordering = "created_at"
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> models.QuerySet:
        return self.child_queryset(TicketEvent).select_related("author", "author_contact")


@extend_schema(
    summary=_("Reply to a ticket"),
    description=_(
        "A public message (ticket_reply). Staff: the first reply stamps the first response. "
        "Client: a reply reopens a ticket waiting on the client or resolved. A closed ticket "
        "answers 409."
    ),
    parameters=[NUMBER],
    request=serializers.MessageSerializer,
    responses={201: serializers.TicketEventSerializer},
)
class TicketReplyCreate(TicketChildView):
    serializer_class = serializers.MessageSerializer

    def post(self, request: Request, number: int) -> Response:
        ticket = self.get_ticket()
        message = self.get_serializer(data=request.data)
        message.is_valid(raise_exception=True)
        with conflict_if_closed(ticket):
            event = services.ticket_reply(
                ticket=ticket, body=message.validated_data["body"], author=request.user
            )
        body = serializers.TicketEventSerializer(event).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(
    summary=_("Add an internal note"),
    description=_("MSP staff only; never shown to the client (ticket_add_note)."),
    parameters=[NUMBER],
    request=serializers.MessageSerializer,
    responses={201: serializers.TicketEventSerializer},
)
class TicketNoteCreate(TicketChildView):
    serializer_class = serializers.MessageSerializer
    permission_classes = [IsMspStaff]

    def post(self, request: Request, number: int) -> Response:
        ticket = self.get_ticket()
        message = self.get_serializer(data=request.data)
        message.is_valid(raise_exception=True)
        with conflict_if_closed(ticket):
            event = services.ticket_add_note(
                ticket=ticket, body=message.validated_data["body"], author=request.user
            )
        body = serializers.TicketEventSerializer(event).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary=_("Time logged on a ticket"), parameters=[NUMBER]),
    post=extend_schema(
        summary=_("Log time on a ticket"),
        description=_("MSP staff only; logged as the caller (ticket_log_time)."),
        parameters=[NUMBER],
    ),
)
class TicketTimeEntryList(TicketChildView, generics.ListCreateAPIView):
    serializer_class = serializers.TimeEntrySerializer
    permission_classes = [IsMspStaff]
    ordering = "-id"
    ordering_fields = ["id", "work_date", "created_at"]

    def get_queryset(self) -> models.QuerySet:
        return self.child_queryset(TimeEntry)

    def perform_create(self, serializer) -> None:
        ticket = self.get_ticket()
        with conflict_if_closed(ticket):
            serializer.instance = services.ticket_log_time(
                ticket=ticket, technician=self.request.user, **serializer.validated_data
            )


@extend_schema(
    summary=_("A ticket's attachments"),
    description=_("Metadata only; files are downloaded from the ticket page for now."),
    parameters=[NUMBER],
)
class TicketAttachmentList(TicketChildView, generics.ListAPIView):
    serializer_class = serializers.AttachmentSerializer

    def get_queryset(self) -> models.QuerySet:
        return self.child_queryset(Attachment)


@extend_schema(
    summary=_("A ticket's SLA timers"),
    description=_("As last computed by the SLA engine (stored, not recomputed on read)."),
    parameters=[NUMBER],
)
class TicketSlaTimerList(TicketChildView, generics.ListAPIView):
    serializer_class = serializers.SlaTimerSerializer

    def get_queryset(self) -> models.QuerySet:
        return self.child_queryset(SlaTimer)
