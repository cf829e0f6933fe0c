from typing import Any

from oleg.types import MoreRequest, SubscriptionEvent


def _events_for(world: Any, uid: int, n: int) -> list:
    got: list = []

    def more() -> bool:
        got.extend(e for e in world.sink.poll(world.T0) if e.external_id == str(uid))
        return len(got) >= n

    world.wait_until(more, what=f"{n} event(s) from {uid}")
    return got


def _replies(world: Any, uid: int, n: int) -> list[str]:
    return world.wait_until(
        lambda: (t := [world.text_of(m) for m in world.bot_messages(uid)]) and len(t) >= n and t,
        what=f"{n} replies to {uid}",
    )


def test_start_stop_more_help(world: Any) -> None:
    texts = world.sink.settings.texts
    uid = world.tg.add_subscriber("Ann")
    world.tg.user_sends(uid, world.bot_id, "/start")
    assert _events_for(world, uid, 1) == [SubscriptionEvent(str(uid), active=True, at=world.T0)]
    assert _replies(world, uid, 1)[-1] == texts.welcome
    world.tg.user_sends(uid, world.bot_id, "/more")
    assert _events_for(world, uid, 1) == [MoreRequest(str(uid), world.T0)]
    world.tg.user_sends(uid, world.bot_id, "/help")
    assert _replies(world, uid, 2)[-1] == texts.help
    world.tg.user_sends(uid, world.bot_id, "/stop")
    assert _events_for(world, uid, 1) == [SubscriptionEvent(str(uid), active=False, at=world.T0)]
    assert _replies(world, uid, 3)[-1] == texts.goodbye
    world.tg.user_sends(uid, world.bot_id, "just chatting")
    world.tg.user_sends(uid, world.bot_id, "/help")  # a marker: handled after the chat line
    _replies(world, uid, 4)
    assert [e for e in world.sink.poll(world.T0) if e.external_id == str(uid)] == []
    assert len(world.bot_messages(uid)) == 4  # plain text gets no answer


def test_admin_gets_stats_and_channels(world: Any) -> None:
    chan = world.channel("newsdaily")
    post = world.post(chan, "news")
    uid = world.subscriber()
    world.store.add_feedback([])  # nothing yet
    out = world.outgoing(uid, post)
    assert world.sink.deliver([out])[0].ok
    account = world.store.add_account("+15550100")
    world.store.assign_channel(chan, account, "joined", world.T0)
    world.store.queue_channels(["waiting_one"], world.T0)
    admin = world.admin_id
    before = len(world.bot_messages(admin))
    world.tg.user_sends(admin, world.bot_id, "/stats")
    stats = _replies(world, admin, before + 1)[-1]
    assert "Active subscribers: 1\n" in stats and "Champion model: none yet" in stats
    world.tg.user_sends(admin, world.bot_id, "/channels")
    channels = _replies(world, admin, before + 2)[-1]
    assert "+15550100: joined 1" in channels
    assert "queued 1" in channels


def test_non_admin_is_refused(world: Any) -> None:
    uid = world.subscriber()
    n = len(_replies(world, uid, 1))
    world.tg.user_sends(uid, world.bot_id, "/stats")
    world.tg.user_sends(uid, world.bot_id, "/channels")
    replies = _replies(world, uid, n + 2)
    assert replies[-2:] == [world.sink.settings.texts.not_admin] * 2


def test_the_listener_account_is_not_a_subscriber(world: Any) -> None:
    chan = world.channel("newsdaily")
    world.post(chan, "forwarded by the listener")
    listener = str(world.listener_id)
    events = world.wait_until(
        lambda: [e for e in world.sink.poll(world.T0) if e.external_id == listener]
    )
    assert events[-1] == SubscriptionEvent(listener, active=False, at=world.T0)
    world.tg.user_sends(world.listener_id, world.bot_id, "/start")  # ignored from now on
    uid = world.tg.add_subscriber("Bob")
    world.tg.user_sends(uid, world.bot_id, "/more")  # handled after the listener's /start
    seen: list = []
    world.wait_until(
        lambda: (
            seen.extend(world.sink.poll(world.T0)) or any(e.external_id == str(uid) for e in seen)
        )
    )
    assert [e for e in seen if e.external_id == listener] == []


def test_a_listener_the_tdlib_source_announced_is_never_a_subscriber(world: Any) -> None:
    from oleg_tdlib.shared import LISTENER_USER_IDS

    assert world.sink.inbox is not None
    admin = str(world.admin_id)
    world.wait_until(lambda: any(e.external_id == admin for e in world.sink.poll(world.T0)))  # the set-up's
    world.sink.inbox.shared.publish(LISTENER_USER_IDS, frozenset({world.listener_id}))
    world.tg.user_sends(world.listener_id, world.bot_id, "/start")  # before any forward
    uid = world.tg.add_subscriber("Carol")
    world.tg.user_sends(uid, world.bot_id, "/start")  # handled after the listener's /start
    seen: list = []
    world.wait_until(
        lambda: (
            seen.extend(world.sink.poll(world.T0)) or any(e.external_id == str(uid) for e in seen)
        )
    )
    assert [e for e in seen if e.external_id == str(world.listener_id)] == []


def test_stats_tell_the_admins_of_a_collapsed_model(world: Any) -> None:
    from oleg.versions import DecisionOutcome, ModelKind, ModelStatus

    def version(status: ModelStatus, lineage: str) -> int:
        return world.store.add_model_version(
            plugin="popular", kind=ModelKind.FULL, params={}, metrics={}, n_feedback=120,
            status=status, at=world.T0, lineage=lineage,
        ).id

    champion = version(ModelStatus.CHAMPION, "popular")
    broken = version(ModelStatus.CANDIDATE, "broken")
    world.store.add_decision(
        at=world.T0, version_id=broken, champion_id=champion, outcome=DecisionOutcome.COLLAPSED,
        reason="collapsed: AUC 0.4100 is worse than chance (0.5000)", status=ModelStatus.REJECTED,
    )
    admin = world.admin_id
    world.tg.user_sends(admin, world.bot_id, "/stats")
    stats = world.wait_until(  # the admin's first message may be welcomed first
        lambda: next(
            (t for m in world.bot_messages(admin) if "Active subscribers" in (t := world.text_of(m))),
            None,
        ),
        what="the /stats answer",
    )
    assert f"Champion model: #{champion} popular" in stats
    assert f"Model #{broken} (broken) collapsed" in stats and "worse than chance" in stats
