import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()


def _freeze_what_lives_as_long_as_the_process() -> None:
    """Load the URL conf (and so every view, serializer and service module), then move all
    objects made so far out of the garbage collector's sight.

    They live as long as the process, yet each full collection walked them all: 130-165 ms
    in a busy worker, once every ~2,400 requests, a stall of everything queued behind it
    (docs/performance.md). A server that forks after loading the app (uWSGI without
    lazy-apps) also keeps these pages shared with its workers.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the URL conf)
    gc.freeze()


_freeze_what_lives_as_long_as_the_process()
