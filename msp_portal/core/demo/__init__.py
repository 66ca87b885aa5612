"""The demo data set behind ``manage.py seed_demo``: an MSP, three clients and two months of work.

Reference rows (people, clients, calendars, contracts, assets, checks) are fetched or created on
their natural keys, so running the seed again changes none of them. The history -- tickets with
their timelines, time entries, check results -- is written once, while no demo client has a
ticket. Every ticket change goes through ``tickets.services`` with past ``at=`` times in order,
so each timeline reads like real work. One fixed random seed makes the demo the same every time,
relative to the moment it is loaded.

Monitoring checks point at 127.0.0.1 only: a demo must never probe somebody else's host.
"""

from __future__ import annotations

from .calendars import easter_sunday, french_public_holidays
from .cast import ACCOUNTS, DEMO_CLIENT_SLUGS, DEMO_PASSWORD, DEMO_URL, DemoAccount
from .seed import DemoSeedResult, demo_counts, demo_data_present, demo_seed

__all__ = [
    "ACCOUNTS",
    "DEMO_CLIENT_SLUGS",
    "DEMO_PASSWORD",
    "DEMO_URL",
    "DemoAccount",
    "DemoSeedResult",
    "demo_counts",
    "demo_data_present",
    "demo_seed",
    "easter_sunday",
    "french_public_holidays",
]
