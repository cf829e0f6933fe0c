"""The dashboard's queries on both backends: the same simulation gives the same figures on
SQLite and PostgreSQL (day grouping, aggregates, the read-only connection)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytest.importorskip("oleg_dashboard")

from oleg_dashboard import pages
from oleg_dashboard import queries as q
from oleg_dashboard.sample import simulate
from oleg_dashboard.source import open_readonly


def test_every_page_and_report_works_and_the_store_stays_read_only(store_url):
    simulate(store_url, subscribers=20, days=2)
    store = open_readonly(store_url)
    try:
        for page in (pages.overview, pages.models, pages.channels, pages.subscriber_list):
            assert page(store)["page"]
        with store.engine.connect() as conn:
            n = conn.execute(sa.text("SELECT count(*) FROM delivery")).scalar_one()
            rated = conn.execute(sa.text("SELECT count(*) FROM feedback")).scalar_one()
        by_day = q.deliveries_by_day(store)
        assert by_day.days == ["2024-11-10", "2024-11-11"]
        assert sum(map(sum, by_day.values.values())) == n > 0
        assert sum(map(sum, q.like_rates(store).rated.values())) == rated > 0
        assert pages.subscriber(store, "sim-1") is not None
        with pytest.raises(sa.exc.DBAPIError), store.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM feedback"))
    finally:
        store.close()
