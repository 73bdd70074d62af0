"""geo.core.config: loading, path resolution, validation, keys, hashing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from geo.core import config as cfg
from geo.core.config import CONFIG_ENV, DEMO_CONFIG_PATH, Config, load_config
from geo.core.errors import ConfigError

MINIMAL = """
[study_area]
boundary = "boundary.geojson"
"""

LONG_KEY = "k" * 40


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv("PLACESAFE_PSEUDONYM_KEY", raising=False)


def write(tmp_path: Path, text: str, name: str = "placesafe.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the demo configuration -----------------------------------------------------------


def test_demo_config_loads() -> None:
    config = load_config(DEMO_CONFIG_PATH)
    assert config.path == DEMO_CONFIG_PATH.resolve()
    assert config.app.demo is True
    assert config.study_area.boundary == DEMO_CONFIG_PATH.parent / "boundary.geojson"
    assert config.store_path == DEMO_CONFIG_PATH.parent / "generated" / "placesafe.duckdb"
    assert config.storage_resolution == 11
    d = config.disclosure
    assert (d.min_count, d.partnership_max_resolution, d.analyst_max_resolution) == (6, 8, 10)
    assert d.sensitive_premises == DEMO_CONFIG_PATH.parent / "generated" / "sensitive_premises.csv"


def test_default_is_demo_config() -> None:
    assert load_config().path == DEMO_CONFIG_PATH.resolve()


def test_env_var_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, MINIMAL)
    monkeypatch.setenv(CONFIG_ENV, str(path))
    config = load_config()
    assert config.path == path.resolve()
    assert config.app.demo is False


def test_explicit_path_beats_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, MINIMAL)
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "elsewhere.toml"))
    assert load_config(path).path == path.resolve()


# --- paths ----------------------------------------------------------------------------


def test_relative_paths_resolve_against_toml_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        """
[store]
path = "stores/live.duckdb"
[study_area]
boundary = "../shapes/area.geojson"
[disclosure]
sensitive_premises = "secret/premises.csv"
[pseudonyms]
key_file = "keys/pseudonym.key"
""",
        name="conf/placesafe.toml",
    )
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path)
    conf_dir = (tmp_path / "conf").resolve()
    assert config.store_path == conf_dir / "stores" / "live.duckdb"
    assert config.study_area.boundary == (tmp_path / "shapes" / "area.geojson").resolve()
    assert config.disclosure.sensitive_premises == conf_dir / "secret" / "premises.csv"
    assert config.pseudonyms.key_file == conf_dir / "keys" / "pseudonym.key"


def test_absolute_paths_kept(tmp_path: Path) -> None:
    target = (tmp_path / "abs" / "b.geojson").resolve()
    path = write(tmp_path, f'[study_area]\nboundary = "{target.as_posix()}"\n')
    assert load_config(path).study_area.boundary == target


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.store_path == tmp_path.resolve() / "placesafe.duckdb"
    assert config.storage_resolution == 11
    assert config.study_area.buffer_m == 250.0
    assert config.study_area.code is None
    assert config.disclosure.sensitive_premises is None
    assert config.pseudonyms.key_file is None
    assert config.app.tiles == "OpenStreetMap"
    assert config.app.allow_local_real_data is False
    assert config.access.users == ()
    assert config.access.role_claim is None
    assert config.access.require_verified_email is True
    assert config.app.ask_purpose is True


# --- errors ---------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_missing_file_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="not found"):
        load_config()


def test_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[study_area\nboundary = 'x'\n"))


def test_missing_boundary(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[study_area\] boundary is required"):
        load_config(write(tmp_path, "[store]\npath = 'x.duckdb'\n"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[grid]\nstorage_resolution = 9\n", "storage_resolution must be an integer from 10 to 15"),
        ("[grid]\nstorage_resolution = 16\n", "storage_resolution"),
        ("[grid]\nstorage_resolution = '11'\n", "storage_resolution"),
        ("[grid]\nstorage_resolution = 11.0\n", "storage_resolution"),
        ("[disclosure]\nmin_count = 0\n", "min_count must be an integer from 1 to 100"),
        ("[disclosure]\nmin_count = true\n", "min_count"),
        ("[disclosure]\nmin_count = 101\n", "min_count"),
        ("[disclosure]\npartnership_max_resolution = 11\n", "partnership_max_resolution"),
        ("[disclosure]\npartnership_max_resolution = 6\n", "partnership_max_resolution"),
        ("[disclosure]\nanalyst_max_resolution = 11\n", "analyst_max_resolution"),
        ("[app]\nidle_timeout_minutes = 0\n", "idle_timeout_minutes"),
    ],
)
def test_out_of_range_values(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, MINIMAL + extra))


@pytest.mark.parametrize("buffer", ["-1", "5001", "'250'"])
def test_buffer_out_of_range(tmp_path: Path, buffer: str) -> None:
    text = f'[study_area]\nboundary = "b.geojson"\nbuffer_m = {buffer}\n'
    with pytest.raises(ConfigError, match="buffer_m"):
        load_config(write(tmp_path, text))


def test_code_must_be_string(tmp_path: Path) -> None:
    text = '[study_area]\nboundary = "b.geojson"\ncode = 9\n'
    with pytest.raises(ConfigError, match="code must be a code"):
        load_config(write(tmp_path, text))


def test_empty_path_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="study_area.boundary"):
        load_config(write(tmp_path, '[study_area]\nboundary = ""\n'))


def test_partnership_not_finer_than_analyst(tmp_path: Path) -> None:
    text = MINIMAL + "[disclosure]\npartnership_max_resolution = 10\nanalyst_max_resolution = 9\n"
    with pytest.raises(ConfigError, match="partnership_max_resolution"):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize("key", ["demo", "allow_local_real_data"])
def test_switches_must_be_booleans(tmp_path: Path, key: str) -> None:
    # bool("false") is True: a quoted "false" must not silently switch local mode on
    with pytest.raises(ConfigError, match=key):
        load_config(write(tmp_path, MINIMAL + f'[app]\n{key} = "false"\n'))


def test_config_error_is_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


# --- access ---------------------------------------------------------------------------


def test_users_roles(tmp_path: Path) -> None:
    text = MINIMAL + (
        "[access.users]\n"
        '"Ann.Analyst@Example.org" = "analyst"\n'
        '"bob@example.org" = "partnership"\n'
        '"cat@example.org" = "admin"\n'
    )
    config = load_config(write(tmp_path, text))
    assert dict(config.access.users) == {
        "ann.analyst@example.org": ("analyst",),
        "bob@example.org": ("partnership",),
        "cat@example.org": ("admin",),
    }
    assert list(config.access.users) == sorted(config.access.users)


def test_users_may_hold_several_roles_and_claims_map_to_roles(tmp_path: Path) -> None:
    text = MINIMAL + (
        "[access]\n"
        'role_claim = "groups"\n'
        "require_verified_email = false\n"
        "[access.users]\n"
        '"dan@example.org" = ["analyst", "admin"]\n'
        "[access.claim_roles]\n"
        '"lscp-strategic" = "partnership"\n'
        '"lscp-analysts" = ["analyst"]\n'
    )
    access = load_config(write(tmp_path, text)).access
    assert dict(access.users) == {"dan@example.org": ("admin", "analyst")}
    assert access.role_claim == "groups"
    assert set(access.claim_roles) == {
        ("lscp-strategic", "partnership"),
        ("lscp-analysts", "analyst"),
    }
    assert access.require_verified_email is False


def test_unknown_role_refused(tmp_path: Path) -> None:
    text = MINIMAL + '[access.users]\n"eve@example.org" = "superuser"\n'
    with pytest.raises(ConfigError, match="roles must be one or more of"):
        load_config(write(tmp_path, text))


def test_users_must_be_a_table(tmp_path: Path) -> None:
    text = MINIMAL + '[access]\nusers = "eve@example.org"\n'
    with pytest.raises(ConfigError, match=r"\[access.users\]"):
        load_config(write(tmp_path, text))


# --- pseudonym key --------------------------------------------------------------------


def test_key_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    monkeypatch.setenv("PLACESAFE_PSEUDONYM_KEY", LONG_KEY)
    assert config.pseudonym_key() == LONG_KEY.encode()


def test_key_from_named_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[pseudonyms]\nkey_env = "MY_KEY"\n'))
    monkeypatch.setenv("MY_KEY", "m" * 32)
    monkeypatch.setenv("PLACESAFE_PSEUDONYM_KEY", LONG_KEY)
    assert config.pseudonym_key() == b"m" * 32


def test_key_from_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pseudonym.key").write_bytes(b"f" * 48 + b"\n")
    config = load_config(write(tmp_path, MINIMAL + '[pseudonyms]\nkey_file = "pseudonym.key"\n'))
    monkeypatch.setenv("PLACESAFE_PSEUDONYM_KEY", LONG_KEY)
    assert config.pseudonym_key() == b"f" * 48  # stripped


def test_key_file_unreadable(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[pseudonyms]\nkey_file = "missing.key"\n'))
    with pytest.raises(ConfigError, match="cannot be read"):
        config.pseudonym_key()


def test_demo_fallback_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + "[app]\ndemo = true\n"))
    key = config.pseudonym_key()
    assert len(key) >= 32
    assert b"demo" in key


def test_no_key_outside_demo(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    with pytest.raises(ConfigError, match="PLACESAFE_PSEUDONYM_KEY"):
        config.pseudonym_key()


def test_env_key_beats_demo_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, MINIMAL + "[app]\ndemo = true\n"))
    monkeypatch.setenv("PLACESAFE_PSEUDONYM_KEY", LONG_KEY)
    assert config.pseudonym_key() == LONG_KEY.encode()


def test_short_key_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    monkeypatch.setenv("PLACESAFE_PSEUDONYM_KEY", "x" * 31)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        config.pseudonym_key()


def test_short_key_file(tmp_path: Path) -> None:
    (tmp_path / "short.key").write_bytes(b"s" * 20)
    config = load_config(write(tmp_path, MINIMAL + '[pseudonyms]\nkey_file = "short.key"\n'))
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        config.pseudonym_key()


def test_key_never_in_config_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLACESAFE_PSEUDONYM_KEY", LONG_KEY)
    config = load_config(write(tmp_path, MINIMAL))
    assert LONG_KEY not in repr(config)


# --- hashing --------------------------------------------------------------------------


def test_config_hashable_and_fingerprint_stable(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    a, b = load_config(path), load_config(path)
    assert isinstance(a, Config)
    assert a == b
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a.fingerprint == b.fingerprint
    assert len(a.fingerprint) == 16
    int(a.fingerprint, 16)


def test_fingerprint_changes_with_values(tmp_path: Path) -> None:
    a = load_config(write(tmp_path, MINIMAL))
    b = load_config(write(tmp_path, MINIMAL + "[disclosure]\nmin_count = 11\n", name="b.toml"))
    assert a.fingerprint != b.fingerprint
    c = dataclasses.replace(a, storage_resolution=12)
    assert c.fingerprint != a.fingerprint


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.storage_resolution = 12  # type: ignore[misc]


def test_module_constants() -> None:
    assert cfg.CONFIG_ENV == "PLACESAFE_CONFIG"
    assert DEMO_CONFIG_PATH.name == "placesafe.toml"
