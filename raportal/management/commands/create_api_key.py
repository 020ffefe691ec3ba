"""Creates (or replaces) the API credential of a user and prints its key once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from raportal.models import ApiCredential, record


class Command(BaseCommand):
    help = "Create an X-API-ID/X-API-KEY credential for a user; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--api-id", help="Defaults to the username.")
        parser.add_argument("--description", default="")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        api_id = options["api_id"] or user.get_username()
        credential = ApiCredential.objects.filter(api_id=api_id).first() or ApiCredential(
            api_id=api_id, user=user
        )
        if credential.user_id != user.pk:
            raise CommandError(f"API ID {api_id!r} belongs to another user")
        credential.description = options["description"]
        key = credential.set_key()
        credential.save()
        record(None, "apicredential.create", credential, api_id=api_id, via="create_api_key")
        self.stdout.write(f"X-API-ID: {api_id}\nX-API-KEY: {key}\n(store it now: it is not kept)")
