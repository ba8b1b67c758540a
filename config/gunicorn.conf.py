"""`gunicorn -c config/gunicorn.conf.py config.wsgi` (production entry point)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
accesslog = "-"
timeout = 60
