"""Every bad-config case: a one-paragraph error naming the file and key, exit code 2, no
traceback. Run through the real ``oleg`` command in a subprocess, as a deployer would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from oleg.testing.distributions import write_distribution

GOOD = """
[deployment]
name = "t"
database = "sqlite:///t.db"

[source]
plugin = "replay"
path = "builtin:telegram-news-ru"

[sink]
plugin = "simulated"
subscribers = 10

[recommender]
plugin = "popular"
post_prior = 5

[cold_start]
plugin = "top-bias"
first_posts = 30

[scheduler]
plugin = "virtual"
run_for = "1d"
"""


def oleg(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "oleg.cli", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120
    )


def check(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "deploy.toml"
    path.write_text(textwrap.dedent(text))
    return oleg("check", str(path), cwd=tmp_path, env=env)


def assert_user_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    out = result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, out)
    assert "Traceback" not in out + result.stdout
    assert "deploy.toml" in out
    for needle in needles:
        assert needle in out, f"{needle!r} not in:\n{out}"
    return out


def test_good_deployment_passes(tmp_path):
    result = check(tmp_path, GOOD)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "popular" in result.stdout


def test_unknown_plugin_lists_installed_and_suggests(tmp_path):
    result = check(tmp_path, GOOD.replace('plugin = "popular"', 'plugin = "populr"'))
    out = assert_user_error(result, "[recommender]", "'populr'", "Did you mean 'popular'?", "random", "fresh")
    assert "replay" not in out  # only recommenders are offered for a [recommender]


def test_plugin_of_the_wrong_kind(tmp_path):
    result = check(tmp_path, GOOD.replace('plugin = "popular"', 'plugin = "replay"'))
    assert_user_error(result, "[recommender]", "no recommender named 'replay'", "source 'replay'")


def test_missing_dependency_says_what_to_install(tmp_path):
    site = write_distribution(
        tmp_path / "site", "oleg-ghost", entry_points={"ghost": "oleg_ghost"},
        requires=("oleg-core", "vowpalwabbit-absent-for-test>=9.9"),
        module=("oleg_ghost", "raise RuntimeError('must not be imported')\n"),
    )
    path = tmp_path / "deploy.toml"
    path.write_text(GOOD.replace('plugin = "popular"\npost_prior = 5', 'plugin = "ghost"'))
    result = oleg("check", str(path), cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert_user_error(
        result, "'ghost'", "oleg-ghost 0.1", "vowpalwabbit-absent-for-test>=9.9",
        "pip install 'vowpalwabbit-absent-for-test>=9.9'",
    )
    # `oleg plugins` lists the broken plugin with its problem instead of failing
    listing = oleg("plugins", cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert listing.returncode == 0 and "oleg-ghost" in listing.stdout and "vowpalwabbit-absent" in listing.stdout


def test_wrong_type(tmp_path):
    result = check(tmp_path, GOOD.replace("first_posts = 30", 'first_posts = "many"'))
    assert_user_error(result, "[cold_start] first_posts", "integer", "'many'")


def test_wrong_duration(tmp_path):
    result = check(tmp_path, GOOD.replace('run_for = "1d"', 'run_for = "one day"'))
    assert_user_error(result, "[scheduler] run_for", "expected a duration")


def test_missing_key(tmp_path):
    result = check(tmp_path, GOOD.replace('name = "t"\n', ""))
    assert_user_error(result, "missing key [deployment] name")


def test_missing_section(tmp_path):
    text = GOOD.split("[sink]")[0] + "[recommender]" + GOOD.split("[recommender]")[1]
    assert_user_error(check(tmp_path, text), "missing section [sink]")


def test_unknown_key_suggests_and_lists(tmp_path):
    result = check(tmp_path, GOOD.replace("post_prior = 5", "post_prir = 5"))
    assert_user_error(result, "unknown key [recommender] post_prir", "Did you mean 'post_prior'?", "channel_prior")


def test_unknown_section(tmp_path):
    assert_user_error(check(tmp_path, GOOD + "\n[recomender]\nplugin = 'x'\n"), "unknown section [recomender]", "'recommender'")


def test_unset_environment_variable(tmp_path):
    text = GOOD.replace('database = "sqlite:///t.db"', 'database = { env = "OLEG_TEST_UNSET_DB" }')
    env = {k: v for k, v in os.environ.items() if k != "OLEG_TEST_UNSET_DB"}
    path = tmp_path / "deploy.toml"
    path.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "check", str(path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert_user_error(result, "[deployment] database", "OLEG_TEST_UNSET_DB", "not set")


def test_malformed_toml_gives_line_and_column(tmp_path):
    result = check(tmp_path, GOOD.replace('plugin = "popular"', 'plugin = popular"'))
    assert_user_error(result, "malformed TOML", "line 15", "column")


def test_missing_file(tmp_path):
    result = oleg("check", str(tmp_path / "deploy.toml"), cwd=tmp_path)
    assert_user_error(result, "no such file")


def test_secrets_are_masked_in_check(tmp_path):
    text = GOOD.replace('database = "sqlite:///t.db"', 'database = { env = "OLEG_TEST_DB" }')
    secret_url = f"sqlite:///{tmp_path}/s3cr3t-db-name.db"
    result = check(tmp_path, text, env={"OLEG_TEST_DB": secret_url})
    assert result.returncode == 0, result.stderr
    assert "s3cr3t" not in result.stdout and "$OLEG_TEST_DB" in result.stdout


@pytest.mark.parametrize("example", sorted(p.name for p in (Path(__file__).parents[2] / "examples").glob("*.toml")))
def test_examples_check(example, tmp_path):
    root = Path(__file__).parents[2]
    result = oleg(
        "check", str(root / "examples" / example), cwd=tmp_path,
        env={
            "OLEG_DATABASE_URL": "postgresql+psycopg://oleg:pw-never-shown@localhost/oleg",
            "OLEG_API_HASH": "hash-never-shown", "OLEG_BOT_TOKEN": "1:token-never-shown",
            "OLEG_TDLIB_KEY": "key-never-shown",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "never-shown" not in result.stdout


def test_bad_database_url(tmp_path):
    result = check(tmp_path, GOOD.replace('"sqlite:///t.db"', '"mysql://x@y/z"'))
    assert_user_error(result, "[deployment] database", "SQLite or PostgreSQL")
    result = check(tmp_path, GOOD.replace('"sqlite:///t.db"', '"feed.db"'))
    assert_user_error(result, "[deployment] database", "expected a database URL")


def test_secret_written_in_the_file_is_refused(tmp_path):
    # console's settings have no secret; the example plugin neither: use a temporary plugin
    source = """
import oleg
from oleg.fields import Secret
from oleg_sink_console.sink import ConsoleSink

class S(ConsoleSink.Settings):
    bot_token: Secret

class Tokened(ConsoleSink):
    name = "tokened"
    Settings = S

@oleg.hookimpl
def oleg_register_components(registry):
    registry.add_sink(Tokened)
"""
    site = write_distribution(
        tmp_path / "site", "oleg-tokened", entry_points={"tokened": "oleg_tokened"}, module=("oleg_tokened", source)
    )
    text = GOOD.replace('plugin = "simulated"\nsubscribers = 10', 'plugin = "tokened"\nbot_token = "123:abc"')
    path = tmp_path / "deploy.toml"
    path.write_text(text)
    result = oleg("check", str(path), cwd=tmp_path, env={"PYTHONPATH": str(site)})
    out = assert_user_error(result, "[sink] bot_token is a secret", "env")
    assert "123:abc" not in out
    path.write_text(text.replace('bot_token = "123:abc"', 'bot_token = { env = "OLEG_TEST_TOKEN" }'))
    ok = oleg("check", str(path), cwd=tmp_path, env={"PYTHONPATH": str(site), "OLEG_TEST_TOKEN": "123:abc"})
    assert ok.returncode == 0, ok.stderr
    assert "123:abc" not in ok.stdout and "$OLEG_TEST_TOKEN" in ok.stdout


def test_observer_plugins_named_in_the_deployment_are_loaded(tmp_path):
    from oleg.config import load_deployment
    from oleg.plugins import Plugins

    path = tmp_path / "deploy.toml"
    path.write_text(GOOD.replace('name = "t"', 'name = "t"\nplugins = ["fresh"]'))
    plugins = Plugins()
    load_deployment(path, plugins)
    assert any(i.module == "oleg_example_fresh" for i in plugins.info())
    path.write_text(GOOD.replace('name = "t"', 'name = "t"\nplugins = ["frash"]'))
    result = check(tmp_path, path.read_text())
    assert_user_error(result, "[deployment] plugins", "'frash'")


def test_default_database_lives_beside_the_file(tmp_path):
    from oleg.config import load_deployment

    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "deploy.toml"
    path.write_text(GOOD.replace('database = "sqlite:///t.db"\n', ""))
    assert load_deployment(path).deployment.database == f"sqlite:///{tmp_path / 'sub' / 'oleg.db'}"


def test_an_entry_point_named_unlike_its_component_is_told_so(tmp_path):
    source = '''import oleg
from oleg_recommender_baseline import PopularRecommender

class Renamed(PopularRecommender):
    name = "y-name"

@oleg.hookimpl
def oleg_register_components(registry):
    registry.add_recommender(Renamed)
'''
    site = write_distribution(
        tmp_path / "site", "oleg-renamed", entry_points={"x-name": "oleg_renamed"}, module=("oleg_renamed", source)
    )
    env = {"PYTHONPATH": str(site)}
    path = tmp_path / "deploy.toml"
    path.write_text(GOOD.replace('plugin = "popular"\npost_prior = 5', 'plugin = "x-name"'))
    assert_user_error(
        oleg("check", str(path), cwd=tmp_path, env=env),
        "the entry point 'x-name'", "registers no component named 'x-name'", "recommender 'y-name'",
    )
    path.write_text(GOOD.replace('plugin = "popular"\npost_prior = 5', 'plugin = "y-name"'))
    out = assert_user_error(
        oleg("check", str(path), cwd=tmp_path, env=env),
        "recommender 'y-name' is registered by plugin 'oleg_renamed'", "no entry point is named 'y-name'",
    )
    assert "Did you mean 'y-name'" not in out


# -- values that used to raise a traceback (issue 10) ---------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("scheduler", "run_for", "1e30", "from 0 to 100 years"),
        ("scheduler", "run_for", "inf", "from 0 to 100 years"),
        ("scheduler", "run_for", '"99999999999999d"', "from 0 to 100 years"),
        ("scheduler", "run_for", '"999999999d"', "from 0 to 100 years"),
        ("scheduler", "mailing_every", '"999999d"', "from 0 to 100 years"),
        ("scheduler", "start", '"9999-12-31T00:00:00Z"', "from 1970-01-01 to 2199-12-31"),
        ("engine", "pool_window", '"999999d"', "from 0 to 100 years"),
    ],
)
def test_values_out_of_range_are_user_errors(tmp_path, section, key, value, expected):
    text = GOOD + ("\n[engine]\n" if section == "engine" else "")
    text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key} =")) + "\n"
    text = text.replace(f"[{section}]\n", f"[{section}]\n{key} = {value}\n", 1)
    assert_user_error(check(tmp_path, text), f"[{section}] {key}", expected)


def test_bad_posts_files_name_the_file_and_line(tmp_path):
    import gzip

    cases = {
        "big.jsonl": ('{"channel_id": 1e29, "message_id": 1, "date": "2024-11-10T00:00:00Z"}\n', "must be an integer"),
        "huge.jsonl": ('{"channel_id": 100000000000000000000000000000, "message_id": 1, "date": "2024-11-10T00:00:00Z"}\n',
                       "must fit in 64 bits"),
        "old.jsonl": ('{"channel_id": -100, "message_id": 1, "date": "0001-01-01T00:00:00+01:00"}\n', "between 1970 and 2199"),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_text(content)
    data = gzip.compress(b'{"channel_id": -100, "message_id": 1, "date": "2024-11-10T00:00:00Z"}\n' * 200)
    (tmp_path / "corrupt.jsonl.gz").write_bytes(data[:20] + b"X" * 10 + data[30:])
    cases["corrupt.jsonl.gz"] = ("", "cannot be read")
    for name, (_, expected) in cases.items():
        text = GOOD.replace('path = "builtin:telegram-news-ru"', f'path = "{name}"')
        assert_user_error(check(tmp_path, text), name, expected)


def test_postgres_urls_the_form_hosts_give_and_a_missing_driver(tmp_path):
    ok = check(tmp_path, GOOD.replace('database = "sqlite:///t.db"', 'database = "postgres://u:pw@db.example/feed"'))
    assert ok.returncode == 0, ok.stderr
    assert "postgresql+psycopg://u:***@db.example/feed" in ok.stdout  # normalised, masked
    missing = check(tmp_path, GOOD.replace('database = "sqlite:///t.db"', 'database = "postgresql+pg8000://u:pw@h/feed"'))
    out = assert_user_error(missing, "[deployment] database", "'pg8000' is not installed", "pip install pg8000")
    assert "pw" not in out


def test_every_missing_secret_is_named_at_once_and_no_secret_is_echoed(tmp_path):
    text = GOOD.replace('plugin = "simulated"\nsubscribers = 10', (
        'plugin = "telegram-bot"\napi_id = 1\napi_hash = { env = "T_HASH" }\n'
        'bot_token = { env = "T_TOKEN" }\ndatabase_encryption_key = { env = "T_KEY" }'
    ))
    assert_user_error(check(tmp_path, text), "T_HASH", "T_TOKEN", "T_KEY", "not set")
    bad_url = GOOD.replace('database = "sqlite:///t.db"', 'database = { env = "T_DB" }')
    out = assert_user_error(check(tmp_path, bad_url, env={"T_DB": "not a url s3cr3tpassword"}), "[deployment] database")
    assert "s3cr3tpassword" not in out and "$T_DB" in out
