"""Each ticket's full-text document, stored (PostgreSQL only): subject, description and every
reply and note, kept current by triggers.

Searching messages in their own index meant, for a common word ("sauvegarde" matches 160,000
messages of 7.6 million), reading every match to sort them: seconds per search. With one
document per ticket the queue's search is a single condition on the ticket row, which the
planner can check while walking the open tickets in urgency order, or look up in the GIN index
for a rare word; either costs milliseconds. SQLite keeps its LIKE search (tickets.queue).

Filling the column rewrites every ticket row (2 min 13 s at 1,000,000 tickets and 7.6 million
events on the 2-core development machine); until autovacuum has passed -- or after
``VACUUM (ANALYZE) tickets_ticket`` -- the open-ticket counts cannot use index-only scans and
the dashboard is slower.
"""

from django.db import migrations

DOCUMENT_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_search_document(
    p_ticket bigint, p_subject text, p_description text
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT to_tsvector('simple'::regconfig,
        COALESCE(p_subject, '') || ' ' || COALESCE(p_description, '') || ' ' ||
        COALESCE((SELECT string_agg(e.body, ' ' ORDER BY e.id) FROM tickets_ticketevent e
                  WHERE e.ticket_id = p_ticket AND e.kind IN ('reply', 'note')), ''))
$$;
"""

TICKET_TRIGGER = """
CREATE OR REPLACE FUNCTION tickets_ticket_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := tickets_search_document(NEW.id, NEW.subject, NEW.description);
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS tickets_ticket_search_document ON tickets_ticket;
CREATE TRIGGER tickets_ticket_search_document
    BEFORE INSERT OR UPDATE OF subject, description ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_document();
"""

EVENT_TRIGGER = """
CREATE OR REPLACE FUNCTION tickets_event_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.kind IN ('reply', 'note') THEN
        UPDATE tickets_ticket t
           SET search_document = tickets_search_document(t.id, t.subject, t.description)
         WHERE t.id = OLD.ticket_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.kind IN ('reply', 'note') AND (
        TG_OP = 'INSERT' OR OLD.kind NOT IN ('reply', 'note') OR NEW.ticket_id <> OLD.ticket_id
    ) THEN
        UPDATE tickets_ticket t
           SET search_document = tickets_search_document(t.id, t.subject, t.description)
         WHERE t.id = NEW.ticket_id;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tickets_event_search_document ON tickets_ticketevent;
CREATE TRIGGER tickets_event_search_document
    AFTER INSERT OR DELETE OR UPDATE OF body, kind, ticket_id ON tickets_ticketevent
    FOR EACH ROW EXECUTE FUNCTION tickets_event_search_document();
"""

#: Tickets with messages, then those without (set-based: one pass over the events).
FILL = (
    """
    UPDATE tickets_ticket t
       SET search_document = to_tsvector('simple'::regconfig,
           COALESCE(t.subject, '') || ' ' || COALESCE(t.description, '') || ' ' || m.bodies)
      FROM (SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS bodies
              FROM tickets_ticketevent WHERE kind IN ('reply', 'note') AND body IS NOT NULL
             GROUP BY ticket_id) m
     WHERE m.ticket_id = t.id
    """,
    """
    UPDATE tickets_ticket
       SET search_document = to_tsvector('simple'::regconfig,
           COALESCE(subject, '') || ' ' || COALESCE(description, ''))
     WHERE search_document IS NULL
    """,
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS search_document tsvector"
    )
    schema_editor.execute(DOCUMENT_FUNCTION)
    schema_editor.execute(TICKET_TRIGGER)
    schema_editor.execute(EVENT_TRIGGER)
    for statement in FILL:
        schema_editor.execute(statement)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS ticket_search_document ON tickets_ticket "
        "USING gin (search_document)"
    )
    schema_editor.execute("DROP INDEX IF EXISTS ticket_search_fts")
    schema_editor.execute("DROP INDEX IF EXISTS event_message_fts")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS tickets_event_search_document ON tickets_ticketevent"
    )
    schema_editor.execute("DROP TRIGGER IF EXISTS tickets_ticket_search_document ON tickets_ticket")
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_event_search_document()")
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_ticket_search_document()")
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_search_document(bigint, text, text)")
    schema_editor.execute("ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_document")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS ticket_search_fts ON tickets_ticket USING gin "
        "(to_tsvector('simple'::regconfig, "
        "COALESCE(subject, '') || ' ' || COALESCE(description, '')))"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS event_message_fts ON tickets_ticketevent USING gin "
        "(to_tsvector('simple'::regconfig, COALESCE(body, ''))) WHERE kind IN ('reply', 'note')"
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_mail_in")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
