"""``manage.py create_api_token EMAIL --name NAME [--days N]``: issue a token, print it once."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from msp_portal.accounts.models import User
from msp_portal.accounts.tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Issue a personal API token for a user and print it. The token is shown only this "
        "once: only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="E-mail address of the user the token acts as.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument(
            "--days", type=int, default=None, help="Expire after this many days (default: never)."
        )

    def handle(self, *args, email: str, name: str, days: int | None, **options) -> None:
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            raise CommandError(f"No user with the e-mail address {email!r}.") from None
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + dt.timedelta(days=days) if days else None
        try:
            issued = api_token_create(user=user, name=name, expires_at=expires_at)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            f"Token {issued.token.prefix} issued for {user.email}"
            + (f", expires {expires_at:%Y-%m-%d %H:%M %Z}" if expires_at else "")
            + ". Store it now: it cannot be shown again."
        )
        self.stdout.write(issued.key)
