from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "msp_portal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from msp_portal.core.outbox import outbox_register_consumer
        from msp_portal.core.privacy import privacy_register_scrubber

        from .services import notifications_dispatch, notifications_scrub

        outbox_register_consumer("notifications", notifications_dispatch)
        privacy_register_scrubber("notifications", notifications_scrub)
