"""Settings (issue 3 item 3): environment over file over default; every bad key is named."""

from __future__ import annotations

from pathlib import Path

import pytest

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
])
def test_bad_file_names_the_key(tmp_path, text, named):
    with pytest.raises(SettingsError) as exc:
        load_settings(_file(tmp_path, text))
    assert named in str(exc.value)
