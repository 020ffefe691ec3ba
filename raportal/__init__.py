# The Celery application is loaded with Django, so that ``shared_task`` functions bind to it
# (``celery -A raportal`` finds it here too).
from raportal.celery import app as celery_app

__all__ = ("celery_app",)
