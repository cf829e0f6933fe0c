from oleg_sink_telegram_bot import payload

KEY = payload.derive_key("1:token")


def test_round_trip_is_compact_and_bound_to_the_chat() -> None:
    data = payload.encode(KEY, 123456789, 1, 777)
    assert len(data) <= 64
    assert payload.decode(KEY, data, 777) == payload.Vote(123456789, 1)
    assert payload.decode(KEY, data, 778) is None  # copied into another chat
    assert payload.decode(payload.derive_key("2:other"), data, 777) is None


def test_tampered_or_malformed_data_is_refused() -> None:
    data = bytearray(payload.encode(KEY, 5, 0, 9))
    data[9] = 1  # flip the vote without re-signing
    assert payload.decode(KEY, bytes(data), 9) is None
    assert payload.decode(KEY, b"", 9) is None
    assert payload.decode(KEY, b"x" * payload.SIZE, 9) is None


def test_the_key_is_not_the_token() -> None:
    assert b"1:token" not in KEY and len(KEY) == 32
