"""Full-text search indexes (PostgreSQL only) and the stored SLA summary of existing tickets.

The index expressions are exactly what ``tickets.selectors`` asks for through Django's
SearchVector, so the planner uses them; SQLite has no GIN and searches with LIKE instead.
"""

from django.db import migrations

TICKET_FTS = (
    "CREATE INDEX IF NOT EXISTS ticket_search_fts ON tickets_ticket USING gin "
    "(to_tsvector('simple'::regconfig, COALESCE(subject, '') || ' ' || COALESCE(description, '')))"
)
EVENT_FTS = (
    "CREATE INDEX IF NOT EXISTS event_message_fts ON tickets_ticketevent USING gin "
    "(to_tsvector('simple'::regconfig, COALESCE(body, ''))) WHERE kind IN ('reply', 'note')"
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TICKET_FTS)
        schema_editor.execute(EVENT_FTS)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_search_fts")
        schema_editor.execute("DROP INDEX IF EXISTS event_message_fts")


def fill_sla_summary(apps, schema_editor):
    """Existing tickets get their rank from their stored timers (the sweep keeps it after)."""
    from django.utils import timezone

    Ticket = apps.get_model("tickets", "Ticket")
    SlaTimer = apps.get_model("tickets", "SlaTimer")
    now = timezone.now()
    timers: dict[int, list] = {}
    for timer in SlaTimer.objects.only("ticket_id", "state", "breached", "due_at", "warning_at"):
        timers.setdefault(timer.ticket_id, []).append(timer)
    stale = []
    for ticket in Ticket.objects.filter(pk__in=list(timers)).only("pk"):
        rows = timers[ticket.pk]
        running = [t for t in rows if t.state == "running"]
        dues = [t.due_at for t in running if t.due_at is not None]
        due = min(dues) if dues else None
        if any(t.breached for t in rows) or (due is not None and due < now):
            rank = 0
        elif any(t.warning_at is not None and t.warning_at <= now for t in running):
            rank = 1
        elif running:
            rank = 2
        elif any(t.state == "paused" for t in rows):
            rank, due = 3, None
        else:
            rank, due = 4, None
        ticket.sla_rank, ticket.sla_due_at = rank, due
        stale.append(ticket)
    Ticket.objects.bulk_update(stale, ["sla_rank", "sla_due_at"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_queue_sla_summary_saved_views")]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
        migrations.RunPython(fill_sla_summary, migrations.RunPython.noop),
    ]
