"""The authorization state machine: parameters, phone, code, 2FA password, bot token, and
sessions remembered per database directory (a second client on one directory can't lock it).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from oleg_tdlib.fake import objects as o
from oleg_tdlib.fake.client import (
    WAIT_CODE,
    WAIT_PARAMETERS,
    WAIT_PASSWORD,
    WAIT_PHONE,
    FakeClient,
)
from oleg_tdlib.fake.objects import JSON, Fail

if TYPE_CHECKING:
    from oleg_tdlib.fake.world import FakeTelegram


def _expect(client: FakeClient, method: str, *states: str) -> None:
    if client.state not in states:
        raise Fail(400, f"Call to {method} unexpected")


def set_parameters(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    if client.state != WAIT_PARAMETERS:
        raise Fail(400, "Unexpected setTdlibParameters")
    api_id = int(p.get("api_id") or 0)
    api_hash = str(p.get("api_hash") or "")
    if api_id <= 0 or not api_hash:
        raise Fail(400, "Valid api_id must be provided. Can be obtained at https://my.telegram.org")
    directory = os.path.normpath(str(p.get("database_directory") or "tdlib"))
    holder = world.locks.get(directory)
    if holder is not None and holder is not client:
        raise Fail(400, f'Can\'t lock file "{directory}{os.sep}td.binlog", because it is already '
                        "in use; check that the database isn't used by another process")
    if api_id != world.api_id or api_hash != world.api_hash:
        raise Fail(400, "API_ID_INVALID")
    world.locks[directory] = client
    client.directory = directory
    client.keep_chats = bool(p.get("use_chat_info_database"))
    session = world.sessions.get(directory)
    if session is not None:
        world.log_in(client, world.accounts[session.account_id])
    else:
        world.set_state(client, WAIT_PHONE)
    return o.ok()


def set_phone(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    _expect(client, "setAuthenticationPhoneNumber", WAIT_PHONE, WAIT_CODE)
    digits = "".join(ch for ch in str(p.get("phone_number") or "") if ch.isdigit())
    account_id = world.by_phone.get(digits)
    if account_id is None:
        raise Fail(400, "PHONE_NUMBER_INVALID")
    acc = world.accounts[account_id]
    client.login = acc
    code_type = {"@type": "authenticationCodeTypeTelegramMessage", "length": len(acc.code)}
    world.set_state(client, WAIT_CODE, code_info={
        "@type": "authenticationCodeInfo", "phone_number": digits, "type": code_type,
        "next_type": None, "timeout": 0})
    return o.ok()


def check_code(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    _expect(client, "checkAuthenticationCode", WAIT_CODE)
    acc = client.login
    assert acc is not None
    if str(p.get("code") or "") != acc.code:
        raise Fail(400, "PHONE_CODE_INVALID")
    if acc.password:
        world.set_state(client, WAIT_PASSWORD, password_hint="", has_recovery_email_address=False,
                        has_passport_data=False, recovery_email_address_pattern="")
    else:
        world.log_in(client, acc)
    return o.ok()


def check_password(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    _expect(client, "checkAuthenticationPassword", WAIT_PASSWORD)
    acc = client.login
    assert acc is not None
    if str(p.get("password") or "") != acc.password:
        raise Fail(400, "PASSWORD_HASH_INVALID")
    world.log_in(client, acc)
    return o.ok()


def check_bot_token(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    _expect(client, "checkAuthenticationBotToken", WAIT_PHONE)
    bot_id = world.by_token.get(str(p.get("token") or ""))
    if bot_id is None:
        raise Fail(401, "ACCESS_TOKEN_INVALID")
    world.log_in(client, world.accounts[bot_id])
    return o.ok()


HANDLERS = {
    "setTdlibParameters": set_parameters,
    "setAuthenticationPhoneNumber": set_phone,
    "checkAuthenticationCode": check_code,
    "checkAuthenticationPassword": check_password,
    "checkAuthenticationBotToken": check_bot_token,
}
