# Sealed audit events (issue 15, part 4): every event joins one hash chain, sealed with an
# HMAC key held outside the database. The events a site already has are sealed here, oldest
# first, so that an upgraded site verifies (manage.py verify_events).

from django.conf import settings
from django.db import migrations, models

from raportal import event_seal

BATCH = 2000


def seal_existing_events(apps, schema_editor):
    AuditEvent = apps.get_model("raportal", "AuditEvent")
    EventChainHead = apps.get_model("raportal", "EventChainHead")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    db = schema_editor.connection.alias
    names = dict(User.objects.using(db).values_list("pk", "username"))
    sequence, previous = 0, event_seal.GENESIS
    batch = []
    for event in AuditEvent.objects.using(db).order_by("at", "pk").iterator(chunk_size=BATCH):
        sequence += 1
        event.actor_key = event.actor_id
        event.actor_name = names.get(event.actor_id, "") if event.actor_id else ""
        event.detail = event_seal.normalized(event.detail)
        event.sequence = sequence
        event.previous_hash = previous
        event.hash = event_seal.digest(
            event_seal.sealed_fields(
                at=event.at,
                actor_id=event.actor_key,
                actor_name=event.actor_name,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                detail=event.detail,
                sequence=sequence,
                previous_hash=previous,
            )
        )
        event.seal = event_seal.event_seal(event.hash)
        previous = event.hash
        batch.append(event)
        if len(batch) >= BATCH:
            _save(AuditEvent, db, batch)
            batch = []
    _save(AuditEvent, db, batch)
    EventChainHead.objects.using(db).update_or_create(
        pk=1,
        defaults={
            "sequence": sequence,
            "hash": previous,
            "seal": event_seal.head_seal(sequence, previous),
        },
    )


def _save(AuditEvent, db, batch):
    fields = [
        "actor_key",
        "actor_name",
        "detail",
        "sequence",
        "previous_hash",
        "hash",
        "seal",
    ]
    AuditEvent.objects.using(db).bulk_update(batch, fields, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("raportal", "0004_spent_tokens"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, editable=False),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="actor_key",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="actor_name",
            field=models.CharField(blank=True, editable=False, max_length=150),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seal",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="EventChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                (
                    "hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                    ),
                ),
                ("seal", models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="EventCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
                ("sequence", models.PositiveBigIntegerField(unique=True)),
                ("hash", models.CharField(max_length=64)),
                ("seal", models.CharField(max_length=64)),
                ("purged", models.PositiveBigIntegerField(default=0)),
            ],
            options={"ordering": ["-sequence"]},
        ),
        migrations.RunPython(seal_existing_events, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, unique=True),
        ),
    ]
