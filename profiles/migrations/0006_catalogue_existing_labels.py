"""Labels that profiles' rules already used before the catalogue existed join the catalogue:
the admin API and import_config refuse rules naming a label the catalogue lacks."""

from django.db import migrations


def catalogue_existing_labels(apps, schema_editor):
    label_model = apps.get_model("profiles", "Label")
    rule_model = apps.get_model("profiles", "LabelRule")
    used = set(rule_model.objects.values_list("label", flat=True).distinct())
    known = set(label_model.objects.values_list("name", flat=True))
    label_model.objects.bulk_create([label_model(name=name) for name in sorted(used - known)])


class Migration(migrations.Migration):
    dependencies = [("profiles", "0005_san_rule_message")]

    operations = [migrations.RunPython(catalogue_existing_labels, migrations.RunPython.noop)]
