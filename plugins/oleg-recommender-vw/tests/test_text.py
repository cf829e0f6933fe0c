"""The column-wise text builder writes exactly what one f-string per line writes."""

from __future__ import annotations

import numpy as np
import pytest
from oleg.types import NO_CATEGORY, Candidates, Interactions
from oleg_recommender_vw.content import ContentCache
from oleg_recommender_vw.examples import Context, ExampleWriter, _number
from oleg_recommender_vw.portrait import Portrait
from oleg_recommender_vw.settings import VwSettings
from oleg_recommender_vw.text import numbers, picked, render


def lines_of(columns, n: int) -> list[str]:
    return b"".join(render(columns, n)).decode().split("\n")[:-1]


@pytest.mark.parametrize("distinct", [3, 10_000])  # a table of distinct values; digits
def test_numbers_write_what_str_writes(distinct: int) -> None:
    rng = np.random.default_rng(distinct)
    edge = [0, 9, 10, -1, -10, 99, 100, 10**18, 10**18 - 1, 2**63 - 1, -(2**62), -1001234567890]
    values = np.r_[edge, rng.choice(rng.integers(-(10**15), 10**15, distinct), 5000)]
    keep = rng.random(len(values)) < 0.8
    got = lines_of([numbers(" |c ", values, where=keep)], len(values))
    assert got == [f" |c {v}" if k else "" for v, k in zip(values.tolist(), keep, strict=True)]


def test_render_joins_parts_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("oleg_recommender_vw.text.CHUNK_BYTES", 64)  # many small chunks
    texts = ["", " |w кот", " |m photo |w a b c", " |w 007"]
    pick = np.arange(1000) % 4
    got = lines_of([picked(["-1", "1"], pick % 2), picked(texts, pick)], 1000)
    assert got == [("-1", "1")[p % 2] + texts[p] for p in pick.tolist()]


def reference_line(label, user, post, channel, category, content, context, ch, cat) -> str:
    """The line as the plugin wrote it with one f-string per rating."""
    parts = [label, f" |u {user}", f" |c {channel}", f" |p {post}"]
    if category != NO_CATEGORY:
        parts.append(f" |k {category}")
    if content.media:
        parts.append(f" |m {content.media}")
    if content.words:
        parts.append(" |w " + " ".join(content.words))
    parts.append(context)
    past = [f"ch:{_number(ch)}"] * bool(ch) + [f"cat:{_number(cat)}"] * bool(cat)
    parts.append(" |h " + " ".join(past) if past else "")
    return "".join(parts)


def test_training_and_scoring_lines_match_the_reference(
    monkeypatch: pytest.MonkeyPatch, random_model
) -> None:
    monkeypatch.setattr("oleg_recommender_vw.examples.CHUNK_ROWS", 700)  # the past across chunks
    model, cands, now = random_model(VwSettings(), seed=4)
    rng = np.random.default_rng(5)
    n = 3000
    posts = rng.choice(cands.post, n)
    at = np.searchsorted(cands.post, posts)
    ratings = Interactions.from_arrays(
        rng.integers(1, 40, n),
        posts,
        cands.channel[at],
        (rng.random(n) < 0.5).astype(float),
        np.sort(rng.integers(1_730_000_000, 1_731_000_000, n)),
        cands.category[at],
    )
    writer = ExampleWriter(model.settings, model.content)
    got = writer.lines(ratings, Portrait(model.settings.prior_weight))

    reference_portrait = Portrait(model.settings.prior_weight)
    liked = (ratings.value > 0.5).astype(float)
    ch, cat = reference_portrait.rates_before(
        ratings.user, ratings.channel, ratings.category, liked
    )
    contents = model.content.get(ratings.post)
    dates = np.array([c.date for c in contents], dtype=np.int64)
    context = Context.at(ratings.time, dates)
    want = [
        reference_line(
            "1" if liked[i] else "-1",
            ratings.user[i],
            ratings.post[i],
            ratings.channel[i],
            ratings.category[i],
            contents[i],
            f" |t h{context.hour[i]} d{context.day[i]}"
            + (f" a{context.age[i]}" if context.age[i] >= 0 else ""),
            ch[i],
            cat[i],
        )
        for i in range(n)
    ]
    assert got == want
    assert any(" |w " in line for line in got) and any(" |h ch:" in line for line in got)

    scoring = writer.scoring_lines(7, cands, now, model.portrait)
    assert len(scoring) == len(cands) and all(line.startswith(" |u 7 |c ") for line in scoring)


def test_no_namespaces_need_no_store() -> None:
    content = ContentCache(max_words=8)
    writer = ExampleWriter(VwSettings(namespaces=["u"], interactions=[]), content)
    ratings = Interactions.from_arrays([3, 4], [1, 2], [5, 5], [1.0, 0.0], [10, 20])
    assert writer.lines(ratings, Portrait(2.0)) == ["1 |u 3", "-1 |u 4"]
    assert writer.scoring_lines(None, Candidates.from_arrays([1], [5]), 0, Portrait(2.0)) == [""]


def test_weak_negatives_carry_their_weight_as_vw_importance() -> None:
    """An unanswered post handed as a weak 👎 (``[engine.unanswered]``) is ``-1 0.3``; a
    real rating keeps its bare label, and VW learns the weighted one less."""
    from oleg_recommender_vw.model import VwLogisticRecommender

    n = 40
    users, posts = np.arange(n) % 4 + 1, np.arange(n) + 100
    channel = -1001 - (posts % 2)
    value = (posts % 2 == 0).astype(float)
    plain = Interactions.from_arrays(users, posts, channel, value, 1_730_000_000 + np.arange(n))
    weights = np.where(value == 0, 0.3, 1.0)
    weak = Interactions.from_arrays(users, posts, channel, value, plain.time, weight=weights)
    writer = ExampleWriter(VwSettings(namespaces=["u", "c"]), ContentCache(8))
    labels = [line.split(" |")[0] for line in writer.lines(weak, Portrait(2.0))]
    assert set(labels) == {"1", "-1 0.3"}
    assert writer.lines(plain, Portrait(2.0))[0].split(" |")[0] in ("1", "-1")
    pool = Candidates(np.array([999, 998]), np.array([-1001, -1002]), np.full(2, plain.time[-1]))
    scores = []
    for data in (plain, weak):
        model = VwLogisticRecommender(VwSettings(namespaces=["u", "c"], interactions=[], passes=1))
        model.fit(data)
        scores.append(model.score(1, pool))
    # channel -1002 (all 👎) is pulled down less when its 👎s weigh 0.3
    assert scores[1][1] > scores[0][1]
