"""Sign-in events go to the audit log, and a staff sign-in starts the idle clock."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from msp_portal.core.audit import audit_record
from msp_portal.core.middleware import staff_activity_start


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action="login", request=request, client_id=user.client_id)
    if request is not None:
        staff_activity_start(request, user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit_record(
        actor=None,
        action="login_failed",
        request=request,
        data={"email": str(credentials.get("username", ""))[:254]},
    )
