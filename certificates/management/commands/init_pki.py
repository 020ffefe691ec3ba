"""Creates the built-in PKI: a root CA and an issuing CA signed by it."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from certificates.models import CertificateAuthority
from certificates.pki.keys import KEY_TYPES
from certificates.scep_ra import current_ra
from certificates.services import create_ca, list_authority


class Command(BaseCommand):
    help = "Create a root CA and an issuing CA (private keys sealed under RAPORTAL_KEK)."

    def add_arguments(self, parser):
        parser.add_argument("--root-name", default="RA Portal Root CA")
        parser.add_argument("--root-key-type", default="ec-secp384r1", choices=KEY_TYPES)
        parser.add_argument("--root-validity-days", type=int, default=20 * 365)
        parser.add_argument("--issuing-name", default="RA Portal Issuing CA")
        parser.add_argument("--issuing-key-type", default="ec-secp256r1", choices=KEY_TYPES)
        parser.add_argument("--issuing-validity-days", type=int, default=10 * 365)
        parser.add_argument("--organization", default="RA Portal")
        parser.add_argument("--country", default="", help="Two-letter country code.")
        parser.add_argument(
            "--if-absent", action="store_true", help="Do nothing when a CA already exists."
        )

    def handle(self, *args, **options):
        country = options["country"]
        if country and not (len(country) == 2 and country.isalpha() and country.isupper()):
            raise CommandError("--country must be a two-letter ISO 3166 code in capitals, e.g. FR")
        for option in ("root_name", "issuing_name", "organization"):
            if len(options[option]) > 64:
                raise CommandError(f"--{option.replace('_', '-')} is longer than 64 characters")
        if CertificateAuthority.objects.exists():
            if options["if_absent"]:
                self.stdout.write("A PKI already exists; nothing to do.")
                return
            raise CommandError("A PKI already exists (use --if-absent to skip quietly).")
        common = {"organization": options["organization"], "country": options["country"]}
        with transaction.atomic():  # a root without its issuing CA would be a trap
            root, issuing = self._create(options, common)
        self.stdout.write(self.style.SUCCESS(f"Root CA {root.name} ({root.key_type})"))
        self.stdout.write(self.style.SUCCESS(f"Issuing CA {issuing.name} ({issuing.key_type})"))
        ra = current_ra(issuing)  # SCEP's RA for the issuing CA (RSA: SCEP envelopes with RSA)
        self.stdout.write(self.style.SUCCESS(f"SCEP RA certificate until {ra.not_after:%Y-%m-%d}"))

    def _create(self, options, common):
        root = create_ca(
            common_name=options["root_name"],
            key_type=options["root_key_type"],
            validity_days=options["root_validity_days"],
            **common,
        )
        issuing = create_ca(
            common_name=options["issuing_name"],
            key_type=options["issuing_key_type"],
            validity_days=options["issuing_validity_days"],
            parent=root,
            **common,
        )
        # Both in the list of CAs, for everyone to see and download. Certificates the
        # issuing CA signs may prove possession of their key (X-JWT-CERT-POP) where a
        # profile allows it: it is trusted for client authentication.
        list_authority(root, public=True, downloadable=True)
        list_authority(
            issuing, public=True, downloadable=True, trusted_for_client_authentication=True
        )
        return root, issuing
