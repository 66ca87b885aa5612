from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "msp_portal.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from msp_portal.core.outbox import outbox_register_consumer

        from .services import webhooks_dispatch

        outbox_register_consumer("webhooks", webhooks_dispatch)
