"""Periodic work: thin tasks that call one service each."""

from celery import shared_task
from django.conf import settings

from . import services
from .mailin.poll import mailboxes_poll


@shared_task(name="tickets.tasks.sla_sweep")
def sla_sweep() -> int:
    """Beat runs this every minute: escalate the timers whose instants have passed."""
    return services.sla_sweep().escalated


@shared_task(name="tickets.tasks.sla_send_escalations")
def sla_send_escalations() -> int:
    """Send recorded escalations; also re-driven by beat, so a lost send is retried."""
    return services.sla_escalations_send()


@shared_task(name="tickets.tasks.mail_poll")
def mail_poll() -> int:
    """Beat runs this every minute: read every active mailbox (tickets/mailin); returns the
    number of messages read. Each mailbox is claimed with a lease, so overlapping runs skip it."""
    return sum(result.fetched for result in mailboxes_poll().values())


@shared_task(name="tickets.tasks.tickets_auto_close")
def tickets_auto_close() -> int:
    """Beat runs this hourly: close tickets resolved TICKETS_AUTO_CLOSE_DAYS ago, unanswered."""
    return services.tickets_auto_close(days=settings.TICKETS_AUTO_CLOSE_DAYS)
