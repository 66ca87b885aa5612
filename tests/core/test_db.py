"""joins_in_written_order: PostgreSQL plans the enclosed lookups in the written join order,
and only them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from msp_portal.core.db import joins_in_written_order

pytestmark = pytest.mark.django_db


def join_collapse_limit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_inside_the_block_joins_keep_their_order_and_after_it_the_planner_is_free_again():
    default = join_collapse_limit()
    with transaction.atomic():  # as in a request that is already in a transaction
        with joins_in_written_order():
            assert join_collapse_limit() == "1"
        assert join_collapse_limit() == default
    assert default != "1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_an_error_inside_the_block_does_not_leave_the_setting_behind():
    default = join_collapse_limit()
    with transaction.atomic():
        with pytest.raises(LookupError), joins_in_written_order():
            raise LookupError
        assert join_collapse_limit() == default


def test_elsewhere_it_changes_nothing_and_runs_the_block(django_assert_num_queries):
    ran = []
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL case is above")
    with django_assert_num_queries(0), joins_in_written_order():
        ran.append(True)
    assert ran == [True]
