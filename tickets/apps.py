from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from msp_portal.core.privacy import privacy_register_scrubber

        from .mailin.privacy import inbound_messages_pseudonymise

        privacy_register_scrubber("mail-in", inbound_messages_pseudonymise)
