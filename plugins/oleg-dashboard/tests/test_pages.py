"""The dashboard's pages and access over HTTP (no browser): every page answers, the token is
required and compared, no secret is shown, and the figures are the store's."""

from __future__ import annotations

import sqlalchemy as sa
from oleg_dashboard import queries as q
from oleg_dashboard.app import create_app
from starlette.testclient import TestClient

from .conftest import TOKEN

PAGES = ("/", "/models", "/channels", "/subscribers", "/subscribers/sim-3")


def test_every_page_needs_the_token(sample_store):
    client = TestClient(create_app(sample_store, token=TOKEN, title="t"))
    for path in PAGES:
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    first = client.get("/models?token=" + TOKEN, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/models"
    assert "httponly" in first.headers["set-cookie"].lower()
    models = client.get("/models")  # the cookie now
    assert models.status_code == 200 and '<table id="decisions">' in models.text
    assert "no champion/challenger gate" not in models.text and ">first<" in models.text
    assert TOKEN not in client.get("/").text


def test_no_token_serves_openly_and_an_unknown_subscriber_is_404(sample_store):
    client = TestClient(create_app(sample_store, token=None, title="t"))
    assert client.get("/").status_code == 200
    missing = client.get("/subscribers/nobody")
    assert missing.status_code == 404 and "No subscriber nobody" in missing.text
    assert (
        client.get("/subscribers?q=sim-3", follow_redirects=False)
        .headers["location"]
        .startswith("/subscribers/")
    )


def test_the_figures_are_the_stores(sample_store):
    with sample_store.engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM delivery")).scalar_one()
        liked = conn.execute(sa.text("SELECT count(*) FROM feedback WHERE value = 1")).scalar_one()
        rated = conn.execute(sa.text("SELECT count(*) FROM feedback")).scalar_one()
    assert sum(q.status_totals(sample_store).values()) == n > 0
    assert sum(sum(v) for v in q.deliveries_by_day(sample_store).values.values()) == n
    rates = q.like_rates(sample_store)
    assert sum(sum(v) for v in rates.liked.values()) == liked
    assert sum(sum(v) for v in rates.rated.values()) == rated
    assert {p.split(":")[0] for p in rates.policies} == {"cold_start", "recommender"}
    channels = q.channels(sample_store)
    assert sum(c.deliveries for c in channels) == n
    versions = q.model_versions(sample_store)
    assert versions and sum(v.served for v in versions) > 0
    assert {v.lineage for v in versions} == {"popular"}
    decisions = q.decisions(sample_store)
    with sample_store.engine.connect() as conn:
        decided = conn.execute(sa.text("SELECT count(*) FROM model_decision")).scalar_one()
    assert len(decisions) == min(decided, 100) > 0 and decisions[0].at >= decisions[-1].at
    assert decisions[-1].outcome == "first" or decided > 100
    # only champions served: what each version scored
    served_ids = {v.id for v in versions if v.served}
    promoted = {d.version_id for d in decisions if d.outcome in ("first", "promoted")}
    assert served_ids <= promoted | {v.id for v in versions if v.status in ("champion", "retired")}
    rounds = q.last_rounds(sample_store)
    assert rounds and rounds[0].at > rounds[-1].at
    sub = q.find_subscriber(sample_store, "sim-3")
    got = q.feed(sample_store, sub)
    assert got is not None and got.subscriber.deliveries == len(got.items) > 0
    assert got.subscriber.rated == sum(i.vote is not None for i in got.items)


def test_the_store_is_opened_read_only(sample_store):
    with sample_store.engine.connect() as conn:
        try:
            conn.execute(sa.text("DELETE FROM feedback"))
        except sa.exc.OperationalError as exc:
            assert "readonly" in str(exc).replace("-", "").lower()
        else:
            raise AssertionError("the dashboard's connection could write the store")
