"""The bookkeeping of late send outcomes, and how a delivery's errors become its result."""

from datetime import UTC, datetime

from oleg.types import Delivery, Outgoing, Policy, PolicyKind, Post, Subscriber
from oleg_sink_telegram_bot.mailer import _Item, by_chat_round_robin, message_keys, result_of
from oleg_sink_telegram_bot.outcomes import Outcomes, outcome_of
from oleg_tdlib.errors import TdError

T = datetime(2025, 1, 1, tzinfo=UTC)


def _out(delivery_id: int, chat: int) -> Outgoing:
    return Outgoing(
        Delivery(1, 1, T, Policy(PolicyKind.RECOMMENDER, "t"), id=delivery_id), Post(-1001, 1 << 20, T), Subscriber(1, str(chat))
    )


def test_an_outcome_that_overtakes_its_reply_is_kept_until_claimed() -> None:
    o = Outcomes()
    o.record((7, 100), None)  # the update came before we read the temporary id
    o.expect([(7, 100), (7, 101)])
    assert not o.wait_all([(7, 100), (7, 101)], deadline=0)  # 101 has none yet
    assert o.take((7, 100)) == (True, None)
    assert o.take((7, 101)) == (False, None)


def test_unclaimed_outcomes_are_pruned() -> None:
    clock = [0.0]
    o = Outcomes(keep_unclaimed=10, clock=lambda: clock[0])
    o.record((1, 1), None)
    clock[0] = 11
    o.prune()
    assert o.take((1, 1)) == (False, None)


def test_outcome_updates_are_read() -> None:
    ok = {
        "@type": "updateMessageSendSucceeded",
        "message": {"chat_id": 5, "id": 9},
        "old_message_id": 3,
    }
    failed = {
        "@type": "updateMessageSendFailed",
        "message": {"chat_id": 5, "id": 3},
        "old_message_id": 3,
        "error": {"@type": "error", "code": 429, "message": "Too Many Requests: retry after 7"},
    }
    assert outcome_of(ok) == ((5, 3), None)
    key, error = outcome_of(failed)
    assert key == (5, 3) and error is not None and error.retry_after == 7


def test_only_pending_messages_wait_for_an_outcome() -> None:
    pending = {"@type": "messageSendingStatePending"}
    reply = {
        "@type": "messages",
        "messages": [
            {"chat_id": 5, "id": 1, "sending_state": pending},
            {"chat_id": 5, "id": 2, "sending_state": None},
        ],
    }
    assert message_keys(reply) == [(5, 1)]


def test_results_rank_gone_over_retry_over_error() -> None:
    gone = TdError(403, "Forbidden: bot was blocked by the user")
    flood = TdError(429, "Too Many Requests: retry after 3")
    other = TdError(400, "MESSAGE_EMPTY")
    assert result_of(_Item(_out(1, 5), 5, errors=[flood, gone])).subscriber_gone
    r = result_of(_Item(_out(1, 5), 5, errors=[other, flood]))
    assert r.retry_after == 3 and not r.ok and not r.subscriber_gone
    r = result_of(_Item(_out(1, 5), 5, errors=[other]))
    assert not r.ok and r.error == "400 MESSAGE_EMPTY" and r.retry_after is None
    assert result_of(_Item(_out(1, 5), 5)).ok


def test_a_subscribers_second_post_waits_for_the_others_first() -> None:
    batch = [_out(1, 10), _out(2, 10), _out(3, 11), _out(4, 12)]
    assert [o.delivery.id for o in by_chat_round_robin(batch)] == [1, 3, 4, 2]


def test_the_send_window_never_lets_a_second_hold_more_than_the_rate() -> None:
    from oleg_tdlib.ratelimit import SendWindow

    clock = [0.0]
    sent: list[float] = []

    def sleep(s: float) -> None:
        clock[0] += s

    w = SendWindow(3, margin=0.01, clock=lambda: clock[0], sleep=sleep)
    for _ in range(7):
        w.take()
        sent.append(clock[0])
    assert sent[:3] == [0.0, 0.0, 0.0]
    assert all(sent[i + 3] - sent[i] >= 1.0 for i in range(len(sent) - 3))
