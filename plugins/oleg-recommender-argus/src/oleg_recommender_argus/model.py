"""ARGUS's state: the network, the histories it reads, the serving caches; fit, partial
fit, score, and the state dict that save/load write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np
import torch
from oleg.store.views import StoreReader
from oleg.types import Candidates, Interactions, to_epoch

from oleg_recommender_argus.batches import Codes
from oleg_recommender_argus.catalog import Catalog
from oleg_recommender_argus.features import (
    N_COLS,
    Asked,
    Col,
    age_bucket,
    feedback_of,
    hour_of_week,
    media_codes,
)
from oleg_recommender_argus.histories import Histories, rows_from_interactions
from oleg_recommender_argus.holdout import (
    HELD_STEPS,
    EarlyStopping,
    HeldOutRanking,
    pick_held_out,
)
from oleg_recommender_argus.net import ArgusNet
from oleg_recommender_argus.personal import PoolKeys, pool_term
from oleg_recommender_argus.serving import ItemCache, UserCache
from oleg_recommender_argus.settings import ArgusSettings, recent_steps
from oleg_recommender_argus.store_log import StoreLog
from oleg_recommender_argus.threads import set_threads, threads_for
from oleg_recommender_argus.training import Pass, Phase, Trainer


def pick_device(setting: str) -> torch.device:
    if setting == "cuda" or (setting == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


class ArgusModel:
    def __init__(self, settings: ArgusSettings, seed: int) -> None:
        self.s = settings
        self.seed = seed
        self.size = settings.size()
        self.codes = Codes(self.size.hash_buckets, settings.post_hashes)
        self.net = self._new_net()
        self.histories = Histories()
        self.items = ItemCache(2 * self.size.dim)
        self.users = UserCache(settings.kv_cache_mb)
        self.log: StoreLog | None = None
        self.clock: Callable[[], datetime] | None = None
        self._cursor = 0
        """The last delivery read, of a loaded model (until a store is attached)."""
        self.rounds = 0
        """Fits and partial fits so far: seeds each one's random draws."""
        self.history: list[dict[str, Any]] = []
        self.fit_info: dict[str, Any] = {}
        self.partial_history: list[dict[str, Any]] = []
        self._pool_keys: PoolKeys | None = None
        self.stopping: EarlyStopping | None = None
        """The last fit's early stopping (its held-out scores), if it had one."""

    def _new_net(self) -> ArgusNet:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = ArgusNet(
                self.size,
                n_hashes=self.s.post_hashes,
                three_tokens=self.s.variant == "three-token",
                dropout=self.s.dropout,
                input_dropout=self.s.input_dropout,
                temperature=self.s.temperature,
                min_temperature=self.s.min_temperature,
                taste_weight=self.s.taste_weight,
                served_next_weight=self.s.served_next_weight,
                quality_weight=self.s.quality_weight,
                cold_quality_weight=self.s.cold_quality_weight,
                recent_taste_weight=self.s.recent_taste_weight if recent_steps(self.s) else 0.0,
                personal_weight=self.s.personal_weight,
            )
        return net.eval()

    def attach(self, store: StoreReader, clock: Callable[[], datetime]) -> None:
        self.log = StoreLog(store)
        self.log.cursor = self._cursor
        self.clock = clock

    # -- histories -----------------------------------------------------------------------

    def _rebuild(self, data: Interactions) -> None:
        self.histories = Histories()
        self.users.clear()
        feedback = feedback_of(data.value, self.s.like_at, self.s.dislike_at)
        if self.log is not None:
            self.log.cursor = 0
            logged = self.log.read(until=int(data.time.max()) if len(data) else None)
            rated = {(int(u), int(p)) for u, p in zip(data.user, data.post, strict=True)}
            keep = np.array(
                [
                    r < 0 or (int(u), int(row[Col.POST])) in rated
                    for u, row, r in zip(logged.users, logged.rows, logged.rating, strict=True)
                ],
                dtype=bool,
            )  # a rating left out of this fit (held out) leaves its step out too
            logged = logged.take(keep) if len(keep) else logged
            self.histories.add(logged.users, logged.rows)
        self._label(data, feedback)

    def _label(self, data: Interactions, feedback: np.ndarray) -> set[int]:
        touched, missing = self.histories.relabel(data.user, data.post, feedback)
        if missing.any():
            rows = rows_from_interactions(data.take(missing), self.s.like_at, self.s.dislike_at)
            touched |= self.histories.add(data.user[missing], rows)
        return touched

    def _sync(self) -> set[int]:
        """New deliveries in the store (a deployment): steps shown, not answered yet."""
        if self.log is None:
            return set()
        new = self.log.read()
        return self.histories.add(new.users, new.rows)

    # -- training ------------------------------------------------------------------------

    def _trainer(self, device: torch.device) -> Trainer:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.rounds)
        return Trainer(self.net, self.codes, self.s, device, gen)

    def _train(
        self,
        phases: list[tuple[Phase, int, float]],
        users: set[int] | None,
        max_steps: int | None,
        *,
        early_stopping: bool = False,
        has_pairs: bool | None = None,
    ) -> list[Pass]:
        """``early_stopping``: pretraining holds out the last steps of some histories and
        keeps its best pass (:mod:`oleg_recommender_argus.holdout`); fine-tuning trains on
        every step. ``has_pairs``: :meth:`_has_pairs`, when the caller knows it."""
        device = pick_device(self.s.device)
        pretrain = sum(e for phase, e, _ in phases if phase is Phase.PRETRAIN)
        held = (  # with no more passes than its patience, it could never stop early
            pick_held_out(self.histories, self.s.holdout_users, self.seed)
            if early_stopping and 0 < self.s.patience < pretrain
            else set()
        )
        windows = self.histories.windows(self.size.max_history, users, last_only=users is not None)
        if not windows:
            return []
        longest = max(w.end - w.start for w in windows)
        work = min(self.s.batch_size, len(windows)) * longest * self.size.dim
        set_threads(threads_for(self.s.threads, work))
        catalog = Catalog(self.histories, self.codes)
        self.net.to(device)
        out: list[Pass] = []
        has_pairs = self._has_pairs() if has_pairs is None else has_pairs
        self.stopping = None
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed + 7919 * self.rounds)
                trainer = self._trainer(device)
                trainer.mixed_feedback = has_pairs
                for phase, epochs, lr in phases:
                    if not epochs or (phase is not Phase.PRETRAIN and not has_pairs):
                        continue
                    stopping = None
                    if phase is Phase.PRETRAIN and held:
                        ranking = HeldOutRanking(
                            held, self.histories, self.codes, catalog, self.size.max_history, device
                        )
                        stopping = self.stopping = EarlyStopping(self.net, ranking, self.s.patience)
                    out += trainer.run(
                        self.histories,
                        self.histories.windows(
                            self.size.max_history, hold_last=held, held_steps=HELD_STEPS
                        )
                        if stopping is not None
                        else windows,
                        catalog,
                        phase=phase,
                        epochs=epochs,
                        lr=lr,
                        max_steps=max_steps,
                        after_epoch=stopping,
                    )
                    if stopping is not None:
                        stopping.restore()
        finally:
            self.net.to("cpu").eval()
        if not has_pairs and users is None:
            self.net.serve_next_post()
        self.items.clear()
        self.users.clear()
        return out

    def _has_pairs(self) -> bool:
        """Whether some history holds two kinds of feedback (else: positives only)."""
        return any(
            bool((r[:, Col.FEEDBACK] != r[0, Col.FEEDBACK]).any())
            for r in self.histories.all_rows()
            if len(r)
        )

    def fit(self, data: Interactions) -> None:
        self.net = self._new_net()
        self.rounds = 0
        self._rebuild(data)
        has_pairs = self._has_pairs()
        epochs = self.s.pretrain_epochs if has_pairs else self.s.sequence_epochs
        passes = self._train(
            [
                (Phase.PRETRAIN, epochs, self.s.lr),
                (Phase.FINETUNE, self.s.finetune_epochs, self.s.finetune_lr),
            ],
            None,
            None,
            early_stopping=True,
            has_pairs=has_pairs,
        )
        self.rounds += 1
        judged = self.stopping
        self.history = [
            {"epoch": k, "phase": str(p.phase), "loss": p.loss}
            | (
                {"holdout_ndcg@50": judged.scores[k - 1], "holdout_ndcg@10": judged.reported[k - 1]}
                if judged is not None and k <= len(judged.scores)
                else {}
            )
            for k, p in enumerate(passes, 1)
        ]
        seconds = sum(p.seconds for p in passes)
        events = sum(p.events for p in passes)
        self.fit_info = {
            "steps_in_histories": len(self.histories),
            "subscribers": len(self.histories.rows),
            "passes": len(passes),
            "seconds": round(seconds, 3),
            "events_per_second": round(events / seconds, 1) if seconds else None,
            "threads": torch.get_num_threads(),
        }
        if self.stopping is not None:
            self.fit_info |= {
                "held_out_steps": len(self.stopping.ranking),
                "best_pretrain_pass": self.stopping.best_epoch,
                "holdout_ndcg@50": round(self.stopping.best, 5),
            }

    def partial_fit(self, data: Interactions) -> None:
        touched = self._sync() | self._label(
            data, feedback_of(data.value, self.s.like_at, self.s.dislike_at)
        )
        if self.s.partial_steps and touched:
            passes = self._train(
                [(Phase.PARTIAL, 1, self.s.partial_lr)], touched, self.s.partial_steps
            )
            self.partial_history = [asdict(p) | {"phase": str(p.phase)} for p in passes]
        self.rounds += 1

    def observe(self) -> set[int]:
        """Read the store's new deliveries (their steps reach the user vectors at the next
        score, through the histories' changes)."""
        return self._sync()

    # -- serving -------------------------------------------------------------------------

    def _now(self) -> int | None:
        return to_epoch(self.clock()) if self.clock is not None else None

    def _contexts(self, users: list[int | None], now: int | None) -> np.ndarray:
        ctx = np.zeros((len(users), 3), dtype=np.int64)
        ctx[:, 1] = Asked.MAILING
        if now is not None:
            at = np.full(len(users), now, dtype=np.int64)
        else:  # offline: the time of each one's last step
            lasts = (self.histories.of(u) for u in users)
            at = np.fromiter(
                (int(r[-1, Col.TIME]) if len(r) else 0 for r in lasts), np.int64, len(users)
            )
        ctx[:, 0] = hour_of_week(at)
        return ctx

    def score_many(self, users: list[int | None], cands: Candidates) -> np.ndarray:
        if len(users) == 0 or len(cands) == 0:
            return np.zeros((len(users), len(cands)))
        set_threads(1)  # a pool is memory-bound; a second thread only waits on a shared machine
        self.observe()
        now = self._now()
        ages = (
            age_bucket(np.full(len(cands), now), cands.time)
            if now is not None
            else np.zeros(len(cands), np.int64)
        )
        with torch.no_grad():
            items = self.items.matrix(
                self.net, self.codes, cands, self._media_of, ages, self.histories.stats
            )
            u = self.users.vectors(
                self.net,
                self.codes,
                self.histories,
                users,
                self._contexts(users, now),
                self.size.max_history,
                recent_steps(self.s),
            )
            logits = u @ items
            logits += self.net.offset
            logits += self._personal_term(users, cands)
            return torch.sigmoid(logits.double()).numpy()  # float32 rounds past 17 to 1

    def _personal_term(self, users: list[int | None], cands: Candidates) -> torch.Tensor:
        """(len(users), len(cands)): each subscriber's weighted balances for the pool's
        categories and channels (:mod:`oleg_recommender_argus.personal`)."""
        keys = self._pool_keys
        if keys is None or not (keys.posts is cands.post or np.array_equal(keys.posts, cands.post)):
            keys = self._pool_keys = PoolKeys.of(cands)
        w = self.net.personal.detach().numpy()
        return torch.from_numpy(pool_term(w, self.histories, users, keys))

    def _media_of(self, posts: np.ndarray) -> np.ndarray:
        """Media kind codes of posts: the store's, in a deployment; unknown (0) offline, as
        in the histories built from ratings alone."""
        if self.log is None or len(posts) == 0:
            return np.zeros(len(posts), dtype=np.int64)
        kinds = {p.id: p.media_kind for p in self.log.store.posts_by_id(posts.tolist())}
        return media_codes([kinds.get(int(p)) for p in posts])

    # -- state ---------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        users = list(self.histories.rows)
        rows = [self.histories.rows[u] for u in users]
        return {
            "net": self.net.state_dict(),
            "users": torch.tensor(users, dtype=torch.int64),
            "lengths": torch.tensor([len(r) for r in rows], dtype=torch.int64),
            "rows": torch.from_numpy(
                np.concatenate(rows) if rows else np.zeros((0, N_COLS), np.int64)
            ),
            "rounds": self.rounds,
            "cursor": self.log.cursor if self.log is not None else 0,
            "history": self.history,
            "fit_info": self.fit_info,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.net.eval()
        self.histories = Histories()
        users = state["users"].numpy()
        lengths = state["lengths"].numpy()
        self.histories.add(np.repeat(users, lengths), state["rows"].numpy())
        self.rounds = int(state["rounds"])
        self._cursor = int(state["cursor"])
        if self.log is not None:
            self.log.cursor = self._cursor
        self.history = list(state["history"])
        self.fit_info = dict(state["fit_info"])
        self.items.clear()
        self.users.clear()
