"""The WSGI application (gunicorn's ``raportal.wsgi:application``, and runserver's).

Importing this module also does, once, what a process would otherwise do on its first
request: import the URLconf and through it every view module (Django loads it lazily). With
gunicorn's ``preload_app`` (deploy/gunicorn.conf.py) that happens in the master, and a worker
forked from it has nothing left to import: it answers its first request at once, where it
used to spend seconds importing (and, under load, was killed by the timeout before it could).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raportal.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from django.db import connections
    from django.urls import get_resolver, reverse

    get_resolver().url_patterns  # noqa: B018 (imports the URLconf: the point)
    # The reverse lookup tables, built on the first {% url %} or redirect to a named URL.
    reverse("home")
    # Nothing above should have touched the database, but a connection opened while
    # importing must not reach the workers: forked, they would share its socket.
    connections.close_all()


_warm_up()
