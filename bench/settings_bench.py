"""Settings for bench/ledger_bench.py only: the product's settings plus django-hordak.

django-hordak is a benchmark extra (requirements/bench.lock); the product never installs it.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS

DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "mptt", "hordak"]
DEFAULT_CURRENCY = "CNY"
CURRENCIES = ["CNY"]
HORDAK_CURRENCIES = ["CNY"]
HORDAK_INTERNAL_CURRENCY = "CNY"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING"},
}
