"""On PostgreSQL, the database itself refuses to change or delete an audit entry.

The one update it lets through is the foreign keys becoming NULL, which is what deleting the
user or client they point to does (``on_delete=SET_NULL``). SQLite relies on the model guard.
"""

from django.db import migrations

CREATE = [
    """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit log is append-only: entries cannot be deleted';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
        OR NEW.at IS DISTINCT FROM OLD.at
        OR NEW.action IS DISTINCT FROM OLD.action
        OR NEW.object_type IS DISTINCT FROM OLD.object_type
        OR NEW.object_id IS DISTINCT FROM OLD.object_id
        OR NEW.ip_address IS DISTINCT FROM OLD.ip_address
        OR NEW.data IS DISTINCT FROM OLD.data
        OR (NEW.actor_id IS DISTINCT FROM OLD.actor_id AND NEW.actor_id IS NOT NULL)
        OR (NEW.client_id IS DISTINCT FROM OLD.client_id AND NEW.client_id IS NOT NULL)
    THEN
        RAISE EXCEPTION 'the audit log is append-only: entries cannot be changed';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    """
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()
""",
]

DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only()",
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_outbox_parking_and_beat_lease"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
