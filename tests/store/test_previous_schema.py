"""A store written by the schema before the TDLib tables left the core (revisions kept in
``previous_schema/``) opens with today's code and keeps every row, on SQLite and PostgreSQL:
the core's tables stay as they were, and the TDLib plugin adopts its tables and state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from oleg.store import Store, alembic_config, metadata
from oleg.types import FeedbackEvent, Interactions
from oleg_tdlib.listening import ListeningStore, MessageRef
from oleg_tdlib.tables import SCHEMA

PREVIOUS = Path(__file__).parent / "previous_schema"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CHAN = -1001465826763

ROWS = {  # one row per table, as the previous code wrote them
    "channel": {"id": CHAN, "username": "durov", "title": "Durov", "added_at": T0, "protected": True},
    "listener_account": {"id": 1, "name": "+15550100", "max_channels": 500, "active": True},
    "channel_assignment": {"channel_id": CHAN, "account_id": 1, "status": "joined", "updated_at": T0},
    "channel_request": {
        "username": "durov", "status": "joined", "attempts": 1, "next_attempt_at": None, "error": None,
        "channel_id": CHAN, "account_id": 1, "requested_at": T0, "updated_at": T0,
    },
    "message_ref": {
        "owner": "telegram-bot", "channel_id": CHAN, "message_id": 7 << 20, "chat_id": 777,
        "ref_message_id": 10 << 20, "album_id": None,
    },
    "post": {
        "id": 1, "channel_id": CHAN, "message_id": 7 << 20, "date": T0, "media_kind": "text",
        "album_id": None, "text": "hi", "category": "it", "deleted": False,
    },
    "subscriber": {"id": 1, "external_id": "4242", "name": None, "active": True, "joined_at": T0, "left_at": None},
    "model_version": {
        "id": 1, "plugin": "popular", "kind": "full", "params": {"k": 1}, "metrics": {"auc": 0.6},
        "status": "champion", "n_feedback": 1, "created_at": T0,
    },
    "delivery": {
        "id": 1, "subscriber_id": 1, "post_id": 1, "sent_at": T0, "policy": "recommender:popular",
        "score": 0.5, "propensity": 1.0, "model_version_id": 1, "status": "sent", "error": None,
    },
    "feedback": {"id": 1, "delivery_id": 1, "subscriber_id": 1, "post_id": 1, "value": 1, "at": T0},
    "engine_state": {"key": "tdlib.bot_started.+15550100", "value": "oleg_feed_bot"},
}


def _previous_store(url: str) -> None:
    """Migrate an empty database with the previous revisions and write a row everywhere."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(connection=conn)
        cfg.set_main_option("version_locations", str(PREVIOUS))
        command.upgrade(cfg, "head")
    old = sa.MetaData()
    old.reflect(engine)
    with engine.begin() as conn:
        for table, row in ROWS.items():  # in foreign-key order
            conn.execute(old.tables[table].insert().values(**row))
        conn.execute(sa.insert(old.tables["engine_state"]).values(key="engine.clock", value=T0.isoformat()))
    engine.dispose()


def _counts(engine: sa.Engine) -> dict[str, int]:
    tables = sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f'select count(*) from "{t}"')).scalar_one() for t in tables}


def test_a_previous_store_migrates_with_every_row(store_url: str) -> None:
    _previous_store(store_url)
    before = _counts(sa.create_engine(store_url))
    with Store.open(store_url, schemas=[SCHEMA]) as store:
        after = _counts(store.engine)
        assert after == {**before, "alembic_version_tdlib": 1, "engine_lease": 0, "model_decision": 0}  # nothing lost
        # the core reads its rows back as before
        (post,) = store.posts_by_id([1])
        assert (post.text, post.category, post.channel_title) == ("hi", "it", "Durov")
        assert store.channel_info([CHAN])[CHAN] == {"username": "durov", "title": "Durov", "protected": True}
        (delivery,) = store.deliveries_with_status("sent")
        assert str(delivery.policy) == "recommender:popular"
        feedback, last = store.feedback()
        assert isinstance(feedback, Interactions) and len(feedback) == 1 and last == 1
        champion = store.champion()
        assert champion is not None and champion.metrics == {"auc": 0.6}
        assert (champion.lineage, champion.cutoff_id, champion.file) == (champion.plugin, 0, None)
        assert store.get_state("engine.clock") == T0.isoformat()
        assert store.record_feedback([FeedbackEvent(1, 0, T0)]) == [False]  # still counted once
        # the plugin's tables are its own now, with their rows, and its state under its prefix
        tables = ListeningStore(store.database)
        assert tables.assignments()[0]["account"] == "+15550100"
        assert tables.channel_requests()[0]["username"] == "durov"
        assert tables.message_ref("telegram-bot", CHAN, 7 << 20) == MessageRef(777, 10 << 20)
        assert store.get_state("tdlib:bot_started.+15550100") == "oleg_feed_bot"
        assert store.get_state("tdlib.bot_started.+15550100") is None
        # and the schema is exactly what today's tables say, core and plugin alike
        with store.engine.connect() as conn:
            assert _schema_diff(conn) == []
    with Store.open(store_url, schemas=[SCHEMA]) as again:  # a second open changes nothing
        assert _counts(again.engine) == after


def test_a_new_store_has_no_telegram_table_until_the_plugin_registers_it(store_url: str) -> None:
    with Store.open(store_url) as store:
        names = set(sa.inspect(store.engine).get_table_names())
    assert names == set(metadata.tables) | {"alembic_version"}
    assert not names & set(SCHEMA.metadata.tables)
    with Store.open(store_url, schemas=[SCHEMA]) as store, store.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        assert _schema_diff(conn) == []
    assert names == set(metadata.tables) | set(SCHEMA.metadata.tables) | {"alembic_version", "alembic_version_tdlib"}
    # autogenerate (what a new revision would hold) proposes nothing, for the core and the
    # plugin alike: neither sees the other's tables as ones to drop
    command.check(alembic_config(store_url))
    command.check(alembic_config(store_url, schema=SCHEMA))


def _schema_diff(conn: sa.Connection) -> list[object]:
    """What differs between the database and the core's tables plus the TDLib plugin's."""
    combined = sa.MetaData()
    for table in [*metadata.tables.values(), *SCHEMA.metadata.tables.values()]:
        table.to_metadata(combined)
    ctx = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: kind != "table" or not name.startswith("alembic_version"),
        },
    )
    return compare_metadata(ctx, combined)
