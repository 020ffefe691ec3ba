from django.db import migrations


def create_default_policy(apps, schema_editor):
    # Horizon clients (its Ansible collection) ask for passwords from "Horizon-Default".
    apps.get_model("profiles", "PasswordPolicy").objects.get_or_create(name="Horizon-Default")


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
