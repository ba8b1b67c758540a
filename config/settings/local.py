"""Developer machine: the `make run` default (SQLite, debug on)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", True)
