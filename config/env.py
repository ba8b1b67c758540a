"""The one place that reads the process environment.

Settings modules ask this object; nothing else in the code reads ``os.environ``.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class MissingSetting(RuntimeError):
    pass


class Env:
    def __init__(self, environ=None):
        self._environ = os.environ if environ is None else environ

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._environ.get(name)
        if value in (None, ""):
            if required:
                raise MissingSetting(f"{name} must be set in the environment")
            return default
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self._environ.get(name)
        if value is None or value == "":
            return default
        return value.strip().lower() in {"1", "true", "yes", "on"}

    def int(self, name: str, default: int) -> int:
        value = self._environ.get(name)
        return default if value in (None, "") else int(value)

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._environ.get(name)
        if not value:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]


env = Env()
