"""Settings (issue 3 item 3): environment over file over default; every bad key is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import settings as settings_module
from service.settings import SettingsError, load_settings


def _file(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "ezh.toml"
    path.write_text(text, encoding="utf-8")
    return {"EZH_CONFIG": str(path)}


def test_defaults_are_a_working_demo():
    s = load_settings({})
    assert s.database.url.startswith("sqlite:///")
    assert s.server.port == 8000 and s.server.host == "127.0.0.1"
    assert s.school.timezone == "Europe/Moscow"


def test_file_then_environment(tmp_path):
    env = _file(tmp_path, '[server]\nport = 8100\n[school]\nname = "Гимназия № 5"\n')
    s = load_settings(env)
    assert s.server.port == 8100 and s.school.name == "Гимназия № 5"
    s = load_settings({**env, "EZH_PORT": "8200"})
    assert s.server.port == 8200


@pytest.mark.parametrize(("env", "named"), [
    ({"EZH_PORT": "восемь"}, "EZH_PORT"),
    ({"EZH_PORT": "70000"}, "EZH_PORT"),
    ({"EZH_TIMEZONE": "Europe/Mosc0w"}, "EZH_TIMEZONE"),
    ({"EZH_DATABASE_URL": "mysql://x/y"}, "EZH_DATABASE_URL"),
    ({"EZH_DATABASE_URL": "postgresql://x@localhost:notaport/db"}, "EZH_DATABASE_URL"),
    ({"EZH_DATABASE_URL": "postgresql://x@localhost:99999/db"}, "EZH_DATABASE_URL"),
    ({"EZH_DATABASE_URL": "postgresql://x@/db?host=/run/postgresql&port=пять"}, "EZH_DATABASE_URL"),
    ({"EZH_SECURE_COOKIES": "может быть"}, "EZH_SECURE_COOKIES"),
    ({"EZH_PROT": "8000"}, "EZH_PROT"),
    ({"EZH_CONFIG": "/nonexistent/ezh.toml"}, "EZH_CONFIG"),
])
def test_bad_environment_names_the_variable(env, named):
    with pytest.raises(SettingsError) as exc:
        load_settings(env)
    assert str(exc.value).startswith(named)


@pytest.mark.parametrize(("text", "named"), [
    ("[server]\nprot = 8000\n", "[server] prot"),
    ("[servr]\nport = 8000\n", "[servr]"),
    ("[server]\nport = \"восемь\"\n", "[server] port"),
    ("[school]\ntimezone = \"Луна\"\n", "[school] timezone"),
    ("[server\nport = 1\n", "повреждён"),
    ("[server\nport = 1\n", "ошибка синтаксиса TOML в строке 1, столбце 8"),
    ("[server]\nport = \n", "ошибка синтаксиса TOML в строке 2"),
])
def test_bad_file_names_the_key(tmp_path, text, named):
    with pytest.raises(SettingsError) as exc:
        load_settings(_file(tmp_path, text))
    assert named in str(exc.value)


def test_bad_port_in_the_database_url_is_named_in_russian():
    """A sysadmin who mistypes the port gets the setting's name, not a bare ValueError."""
    with pytest.raises(SettingsError) as exc:
        load_settings({"EZH_DATABASE_URL": "postgresql://x@localhost:notaport/db"})
    assert "порт" in str(exc.value) and "notaport" in str(exc.value)
    assert "Port" not in str(exc.value)


def test_broken_toml_is_reported_in_russian(tmp_path):
    with pytest.raises(SettingsError) as exc:
        load_settings(_file(tmp_path, "[server\nport = 1\n"))
    assert "Expected" not in str(exc.value) and "line" not in str(exc.value)


def test_bad_value_in_the_file_names_the_file(tmp_path):
    """A check that fails on a value from the file (time zone, port range) says which file."""
    env = _file(tmp_path, '[school]\ntimezone = "Луна"\n')
    with pytest.raises(SettingsError) as exc:
        load_settings(env)
    assert str(exc.value).startswith(f"{env['EZH_CONFIG']}: [school] timezone")


def test_sources_say_where_each_value_came_from(tmp_path):
    env = _file(tmp_path, "[server]\nport = 8100\n")
    s = load_settings({**env, "EZH_SCHOOL_NAME": "Гимназия"})
    assert s.source("EZH_PORT") == f"файл {env['EZH_CONFIG']}"
    assert s.source("EZH_SCHOOL_NAME") == "переменная окружения"
    assert s.source("EZH_HOST") == "по умолчанию"


def test_the_host_configuration_is_never_read(tmp_path, monkeypatch):
    """The suite runs on machines that may have their own /etc/ezh/ezh.toml: the session points
    the default configuration path at a file that does not exist, so no test reads it."""
    host = tmp_path / "ezh.toml"
    host.write_text("[server]\nprot = 8000\n", encoding="utf-8")
    monkeypatch.setattr(settings_module, "DEFAULT_CONFIG_FILE", host)
    with pytest.raises(SettingsError, match="prot"):  # the default path is the one read …
        load_settings({})
    monkeypatch.undo()
    # … and in this session it leads nowhere
    assert settings_module.DEFAULT_CONFIG_FILE != Path("/etc/ezh/ezh.toml")
    assert not settings_module.DEFAULT_CONFIG_FILE.exists()
    assert load_settings({}).config_file is None
