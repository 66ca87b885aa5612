"""Every change to a ticket and to its SLA clock.

``tickets.py`` holds one function per ticket action; ``sla.py`` keeps the stored SLA timers
in step with the timeline and runs the sweep that escalates them. Callers import from here:
``from tickets import services; services.ticket_open(...)``.
"""

from .client_actions import (
    may_confirm_resolution,
    may_reopen,
    reopen_deadline,
    ticket_confirm_resolution,
    ticket_open_with_files,
    ticket_reopen,
)
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
    tickets_auto_close,
)

__all__ = [
    "attachment_add",
    "contract_for",
    "may_confirm_resolution",
    "may_reopen",
    "reopen_deadline",
    "sla_escalations_send",
    "sla_rebuild",
    "sla_refresh",
    "sla_sweep",
    "ticket_add_message",
    "ticket_add_note",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_change_status",
    "ticket_confirm_resolution",
    "ticket_history_pseudonymise",
    "ticket_log_time",
    "ticket_merge",
    "ticket_open",
    "ticket_open_with_files",
    "ticket_record_monitoring_event",
    "ticket_reopen",
    "ticket_reply",
    "ticket_update",
    "tickets_auto_close",
]
