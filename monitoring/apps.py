from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from msp_portal.core.outbox import outbox_register_consumer

        from .alerts import monitoring_alerts_dispatch

        outbox_register_consumer("monitoring", monitoring_alerts_dispatch)
