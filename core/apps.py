from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        from core.append_only import sqlite_maintenance_flag

        connection.connection.create_function("kjcxq_maintenance", 0, sqlite_maintenance_flag)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "API conventions"

    def ready(self):
        from core import schema  # noqa: F401  (registers the OpenAPI extension)

        connection_created.connect(_register_sqlite_functions)
