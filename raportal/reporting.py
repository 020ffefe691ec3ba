import re

from django.views.debug import SafeExceptionReporterFilter


class SecretSettingsFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding the key-encryption key (RAPORTAL_KEK)."""

    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern + "|KEK|BROKER|RESULT_BACKEND|CACHES",
        flags=re.I,
    )
