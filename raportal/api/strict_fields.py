"""Input fields of the API that take the JSON type the Horizon contract names and nothing DRF
would coerce into it: the request API's bodies and the search bodies both use them."""

from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF would turn 5 into "5", the contract says string."""

    default_error_messages = {
        "surrogate": "Contains invalid Unicode (a lone surrogate): send UTF-8 text.",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # to_internal_value refuses lone surrogates before any validator runs: DRF's own
        # check would only walk each value again, character by character (a CSR: thousands).
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitSurrogateCharactersValidator)
        ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("surrogate")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true/false (or null) only: "yes" or 1 are not booleans in the contract."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON number only: "5" and true are not 5."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
