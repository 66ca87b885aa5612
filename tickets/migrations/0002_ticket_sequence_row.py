from django.db import migrations


def create_sequence(apps, schema_editor):
    TicketSequence = apps.get_model("tickets", "TicketSequence")
    TicketSequence.objects.get_or_create(name="ticket", defaults={"last_value": 1000})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, migrations.RunPython.noop)]
