"""The real libtdjson bundled with python-telegram, offline: what works without a network.

- ``td_execute`` answers synchronous requests, and parses every asynchronous request shape
  the gateway sends before refusing to run it: "can't be executed synchronously" proves the
  shape parses, "Failed to parse" would name the wrong field or class.
- The gateway's client reaches ``authorizationStateWaitPhoneNumber`` on the real library,
  and a request that needs the network times out instead of hanging.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.requests import ALL_SHAPES, text_message
from oleg_tdlib.transport import WAIT_PHONE, NeedsLogin, TdClient, TdSettings

tdjson = pytest.importorskip("telegram.tdjson")

NOT_SYNC = "The method can't be executed synchronously"


@pytest.fixture(scope="module")
def td():
    client = tdjson.TDJson(verbosity=0)
    yield client
    client.stop()


def test_the_bundled_library_is_tdlib_1_8_66(td) -> None:
    assert td.td_execute({"@type": "getOption", "name": "version"}) == {
        "@type": "optionValueString", "value": "1.8.66",
    }


@pytest.mark.parametrize("method", sorted(ALL_SHAPES))
def test_every_request_shape_the_gateway_sends_parses(td, method: str) -> None:
    reply = td.td_execute({"@type": method, **ALL_SHAPES[method]})
    assert reply == {"@type": "error", "code": 400, "message": NOT_SYNC}


def test_a_text_message_parses(td) -> None:
    reply = td.td_execute({"@type": "sendMessage", **text_message(1, "hello")})
    assert reply["message"] == NOT_SYNC


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"@type": "sendMesage", "chat_id": 1}, 'Unknown class "sendMesage"'),
        ({"@type": "sendMessage", "chat_id": 1, "input_message_content": {"@type": "inputMessageTextt"}},
         'Unknown class "inputMessageTextt"'),
        ({"@type": "getChat", "chat_id": "abc"}, "Can't parse as an integer"),
        ({"@type": "forwardMessages", "chat_id": 1, "message_ids": "x"}, "Expected Array"),
    ],
)
def test_a_wrong_shape_answers_failed_to_parse(td, query: dict, fragment: str) -> None:
    reply = td.td_execute(query)
    assert reply["@type"] == "error" and reply["code"] == 400
    assert reply["message"].startswith("Failed to parse JSON object as TDLib request")
    assert fragment in reply["message"]


def test_synchronous_helpers_work_offline(td) -> None:
    entities = td.td_execute({"@type": "getTextEntities", "text": "see @durov and https://t.me/durov"})
    kinds = [e["type"]["@type"] for e in entities["entities"]]
    assert kinds == ["textEntityTypeMention", "textEntityTypeUrl"]


def test_the_gateway_reaches_wait_phone_number_and_times_out_offline(tmp_path: Path) -> None:
    settings = TdSettings(
        api_id=94575, api_hash="a3406de8d171bb422bb6ddf3bbd800e2", database_encryption_key="k",
        files_directory=tmp_path / "acct", phone="+15550100", request_timeout=1.0, verbosity=0,
    )
    client = TdClient(settings)
    client.open()
    try:
        started = time.monotonic()
        with pytest.raises(NeedsLogin):
            # nobody to type a code: stop before asking Telegram to send one
            client.authorize(timeout=5.0)
        assert client.authorization_state == WAIT_PHONE
        with pytest.raises(TdTimeout):
            # the phone number needs Telegram's servers: no answer offline
            client.authorize(code=lambda: "12345", timeout=1.0)
        assert client.authorization_state == WAIT_PHONE
        assert time.monotonic() - started < 5
        assert (tmp_path / "acct" / "database").is_dir()
        with pytest.raises(TdError) as info:  # the error shape, from the real library
            client.request("getMe", timeout=5.0)
        assert (info.value.code, info.value.message) == (401, "Unauthorized")
    finally:
        client.close(timeout=5.0)
    assert not client.is_open
    with pytest.raises(TdClosed):
        client.request("getMe")
