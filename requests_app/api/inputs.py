"""Input shapes of the request API, as the Horizon client's models define them.

They check types and sizes only (a malformed body → REQ-002); what the values mean is
checked by the workflow against the profile."""

from typing import Any

from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from certificates.pki.names import SAN_TYPES
from profiles.models import Module, Workflow
from raportal.api.problems import flatten_errors
from raportal.api.strict_fields import StrictBooleanField, StrictCharField
from raportal.errors import invalid_request

MAX_LIST = 100


def parse(serializer_class: type[serializers.Serializer[Any]], data: object) -> dict[str, Any]:
    """Validated data, or DomainError REQ-002 naming every field that is wrong."""
    if not isinstance(data, dict):
        raise invalid_request("expected a JSON object")
    serializer = serializer_class(data=data)
    serializer.__dict__["fields"] = _bound_fields(serializer_class)  # DRF's cached_property
    if not serializer.is_valid():
        raise invalid_request("; ".join(flatten_errors(serializer.errors)))
    return serializer.validated_data


_prototypes: dict[type[serializers.Serializer[Any]], serializers.Serializer[Any]] = {}


def _bound_fields(serializer_class: type[serializers.Serializer[Any]]) -> BindingDict:
    """The class's fields, deep-copied and bound once per process instead of for every body
    (DRF copies the declared fields, nested serializers included, for each instance: most of
    a body's validation). Validating reads a bound field and never changes it; what a field
    reads from its parent — context, instance, partial — is the same empty default for every
    serializer ``parse`` makes (data only), so one prototype's fields serve them all."""
    prototype = _prototypes.get(serializer_class)
    if prototype is None:
        prototype = _prototypes[serializer_class] = serializer_class()
    return prototype.fields


def text(max_length: int = 1024, **kwargs: Any) -> StrictCharField:
    return StrictCharField(
        max_length=max_length,
        allow_blank=True,
        allow_null=True,
        required=False,
        trim_whitespace=False,
        **kwargs,
    )


class SecretStringInput(serializers.Serializer):
    value = text(256)


class ValueInput(serializers.Serializer):
    value = text(256)


class IndexedDNElementInput(serializers.Serializer):
    element = StrictCharField(max_length=64)
    value = text()


class SanElementInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=SAN_TYPES)
    value = serializers.ListField(
        child=StrictCharField(max_length=1024, allow_blank=True, trim_whitespace=False),
        allow_null=True,
        required=False,
        max_length=MAX_LIST,
    )


class LabelInput(serializers.Serializer):
    # The contract's field name; the stubs see Field.label (the metaclass takes it as a field).
    label = StrictCharField(max_length=64)  # type: ignore[assignment]
    value = text(256)


class MetadataInput(serializers.Serializer):
    metadata = StrictCharField(max_length=64)
    value = text(1024)


class ExtensionInput(serializers.Serializer):
    type = StrictCharField(max_length=64)
    value = text(1024)


def many(serializer_class: type[serializers.Serializer[Any]]) -> serializers.ListSerializer[Any]:
    """An optional list (null allowed) of objects (null items refused). ``many=True`` would
    hand ``allow_null`` to the items too."""
    return serializers.ListSerializer(
        child=serializer_class(), required=False, allow_null=True, max_length=MAX_LIST
    )


class CertificateDataInput(serializers.Serializer):
    """What a request may set on a certificate besides its names (update, migrate, import)."""

    labels = many(LabelInput)
    metadata = many(MetadataInput)
    owner = ValueInput(required=False, allow_null=True)
    team = ValueInput(required=False, allow_null=True)
    contactEmail = ValueInput(required=False, allow_null=True)


class ChallengeTemplateInput(CertificateDataInput):
    """The certificate a device will get with an EST/SCEP challenge."""

    subject = many(IndexedDNElementInput)
    sans = many(SanElementInput)
    extensions = many(ExtensionInput)


class EnrollTemplateInput(ChallengeTemplateInput):
    keyType = StrictCharField(max_length=32, required=False, allow_null=True)
    csr = StrictCharField(max_length=65536, required=False, allow_null=True)


class RevokeTemplateInput(serializers.Serializer):
    revocationReason = StrictCharField(max_length=32, required=False, allow_null=True)


class RenewTemplateInput(serializers.Serializer):
    keyType = StrictCharField(max_length=32, required=False, allow_null=True)
    csr = StrictCharField(max_length=65536, required=False, allow_null=True)


class ImportTemplateInput(CertificateDataInput):
    privateKey = StrictCharField(max_length=65536, required=False, allow_null=True)


class EnvelopeInput(serializers.Serializer):
    """What every request body starts with; the contract lets webra bodies omit module."""

    module = serializers.ChoiceField(choices=Module.values, required=False, default="webra")
    workflow = serializers.ChoiceField(choices=Workflow.values)


class SubmitInput(EnvelopeInput):
    requesterComment = text(4000)
    dryRun = StrictBooleanField(required=False, allow_null=True, default=False)


class EnrollSubmitInput(SubmitInput):
    profile = StrictCharField(max_length=64)
    template = EnrollTemplateInput()
    password = SecretStringInput(required=False, allow_null=True)


class CancelInput(serializers.Serializer):
    """A decision names the request; module and workflow, if given, must be its own."""

    _id = StrictCharField(max_length=64)
    module = serializers.ChoiceField(choices=Module.values, required=False, allow_null=True)
    workflow = serializers.ChoiceField(choices=Workflow.values, required=False, allow_null=True)


class DenyInput(CancelInput):
    approverComment = text(4000)


class ApproveInput(DenyInput):
    """The template's shape (the approver's edits) depends on the request's workflow: the
    workflow checks it."""

    dryRun = StrictBooleanField(required=False, allow_null=True, default=False)
    template = serializers.DictField(required=False, allow_null=True)


class CertificateTargetInput(SubmitInput):
    """Workflows acting on an existing certificate name it by id or by PEM."""

    certificateId = StrictCharField(max_length=64, required=False, allow_null=True)
    certificatePem = StrictCharField(max_length=65536, required=False, allow_null=True)


class RevokeSubmitInput(CertificateTargetInput):
    template = RevokeTemplateInput(required=False, allow_null=True)


class UpdateSubmitInput(CertificateTargetInput):
    template = CertificateDataInput(required=False, allow_null=True)


class RecoverSubmitInput(CertificateTargetInput):
    password = SecretStringInput(required=False, allow_null=True)


class RenewSubmitInput(CertificateTargetInput):
    template = RenewTemplateInput(required=False, allow_null=True)
    password = SecretStringInput(required=False, allow_null=True)


class MigrateSubmitInput(CertificateTargetInput):
    profile = StrictCharField(max_length=64)
    template = CertificateDataInput(required=False, allow_null=True)


class ImportSubmitInput(CertificateTargetInput):
    """certificatePem, or certificateId of a certificate the portal holds on no profile."""

    profile = StrictCharField(max_length=64, required=False, allow_null=True)
    template = ImportTemplateInput(required=False, allow_null=True)


class ChallengeSubmitInput(SubmitInput):
    """EST and SCEP enroll: a one-time challenge for a device."""

    profile = StrictCharField(max_length=64)
    dn = StrictCharField(max_length=1024, required=False, allow_null=True)
    password = SecretStringInput(required=False, allow_null=True)
    template = ChallengeTemplateInput(required=False, allow_null=True)


class TemplateInput(EnvelopeInput):
    """POST /api/v1/requests/template: a profile, or a certificate, and an optional prefill."""

    profile = StrictCharField(max_length=64, required=False, allow_null=True)
    certificateId = StrictCharField(max_length=64, required=False, allow_null=True)
    certificatePem = StrictCharField(max_length=65536, required=False, allow_null=True)
    template = RenewTemplateInput(required=False, allow_null=True)  # the CSR prefill
