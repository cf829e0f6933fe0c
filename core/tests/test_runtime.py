"""What a component is handed: read-only store views, its own state and folder, shared values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from oleg.runtime import SharedKey, SharedValues
from oleg.store import Store
from oleg.testing.runtime import static_runtime
from oleg.types import FeedbackEvent, Post

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def test_a_component_reads_the_store_but_cannot_write_it(tmp_path) -> None:
    with Store.open("sqlite://") as store:
        store.add_posts([Post(-100, 1, T0)])
        runtime = static_runtime(store, tmp_path, plugin="mine", at=T0)
        assert runtime.store.last_message_ids() == {-100: 1}
        for write in ("add_feedback", "add_posts", "set_state", "add_deliveries", "engine"):
            with pytest.raises(AttributeError, match="not part of the StoreReader"):
                getattr(runtime.store, write)
        with pytest.raises(AttributeError, match="not part of the CatalogWriter"):
            runtime.catalog.add_posts  # noqa: B018
        assert runtime.catalog.update_post_text(-100, 1, "edited") is True
        assert runtime.record_feedback([FeedbackEvent(1, 1, T0)]) == [False]  # no such delivery


def test_state_is_the_plugins_own_and_the_folder_too(tmp_path) -> None:
    with Store.open("sqlite://") as store:
        mine = static_runtime(store, tmp_path, plugin="mine")
        other = static_runtime(store, tmp_path, plugin="other")
        mine.state.set("cursor", 7)
        assert mine.state.get("cursor") == 7 and other.state.get("cursor") is None
        assert store.get_state("mine:cursor") == 7
        assert mine.data_dir == tmp_path / "mine" and mine.data_dir.is_dir()
        assert other.data_dir != mine.data_dir


def test_shared_values_are_typed() -> None:
    name = SharedKey("test.name", str)
    shared = SharedValues()
    assert shared.get(name) is None
    shared.publish(name, "bot")
    assert shared.get(name) == "bot"
    with pytest.raises(TypeError, match="must be a str"):
        shared.publish(name, 42)  # type: ignore[arg-type]
