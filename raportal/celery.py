"""The Celery application: background work (notifications, CRL refresh, request expiry and
retention purge) and its periodic schedule (Celery beat).

Configured from Django's settings (the ``CELERY_*`` names, see the "background work" block
of ``raportal/settings.py``). Without a broker (``CELERY_BROKER_URL`` unset) every task runs
at once in the calling process, so the portal and the test suite need no Redis.

    celery -A raportal worker --loglevel INFO    # runs the tasks
    celery -A raportal beat --loglevel INFO      # sends the periodic ones (one per site)
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raportal.settings")

app = Celery("raportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The ``tasks`` module of every installed app (certificates.tasks, requests_app.tasks).
app.autodiscover_tasks()
