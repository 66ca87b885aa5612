"""Every change to a ticket and to its SLA clock.

``tickets.py`` holds one function per ticket action; ``sla.py`` keeps the stored SLA timers
in step with the timeline and runs the sweep that escalates them. Callers import from here:
``from tickets import services; services.ticket_open(...)``.
"""

from .merge import ticket_merge
from .sla import sla_escalations_send, sla_rebuild, sla_refresh, sla_sweep
from .tickets import (
    attachment_add,
    contract_for,
    ticket_add_message,
    ticket_add_note,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_history_pseudonymise,
    ticket_log_time,
    ticket_open,
    ticket_record_monitoring_event,
    ticket_reply,
    ticket_update,
)

__all__ = [
    "attachment_add",
    "contract_for",
    "sla_escalations_send",
    "sla_rebuild",
    "sla_refresh",
    "sla_sweep",
    "ticket_add_message",
    "ticket_add_note",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_change_status",
    "ticket_history_pseudonymise",
    "ticket_log_time",
    "ticket_merge",
    "ticket_open",
    "ticket_record_monitoring_event",
    "ticket_reply",
    "ticket_update",
]
