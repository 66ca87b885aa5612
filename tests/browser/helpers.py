"""What the browser tests do the way a person does: sign in, read a table."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from tests.factories import PASSWORD


def log_in(page: Page, user, password: str = PASSWORD) -> None:
    """Sign in through the login form (one attempt, as django-axes counts them)."""
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Log out").wait_for()


def cell_texts(row: Locator) -> list[str]:
    """The text of each header and data cell of a table row, trimmed."""
    return [text.strip() for text in row.locator("th, td").all_inner_texts()]
