from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "vouchers"
    verbose_name = "Programmes, vouchers and claims"

    def ready(self):
        from vouchers import schema  # noqa: F401  (registers the OpenAPI extension)
