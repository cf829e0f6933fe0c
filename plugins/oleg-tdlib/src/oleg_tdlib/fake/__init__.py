"""An in-process fake of TDLib's JSON interface and of the Telegram behind it.

``with FakeTelegram() as tg:`` makes every :class:`~oleg_tdlib.transport.TdClient` opened
inside talk to ``tg`` instead of libtdjson, so that the ``tdlib`` source and the
``telegram-bot`` sink run unchanged in tests and benchmarks. It is meant as the test oracle:
every request and reply crosses a JSON boundary, requests are checked field by field against
TDLib 1.8.66's td_api.tl (stricter than TDLib, which ignores unknown fields), and it answers
with TDLib's errors, limits and quirks (pending sends, 429 retry after N, out-of-order
replies, requests that never answer).
"""

from oleg_tdlib.fake.client import FakeClient
from oleg_tdlib.fake.world import FakeTelegram

__all__ = ["FakeClient", "FakeTelegram"]
