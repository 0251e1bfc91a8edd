"""The multi-host layout, booted: PostgreSQL on a machine of its own, the service and nginx on
another, reaching the database over the network (TLS, passwords). The standby is not booted
here (the single-server test covers everything else); this proves that the app works against a
remote database."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.appliance import machine as m
from tests.appliance.proxy import Proxy
from tests.appliance.test_boot import ADMIN_PASSWORD, UV_CACHE, play

pytestmark = [pytest.mark.appliance, pytest.mark.slow, pytest.mark.timeout(2400)]

DB_ADMIN = m.Link("eda", "198.18.4.11", "198.18.4.1", None)
APP_ADMIN = m.Link("epa", "198.18.5.21", "198.18.5.1", None)
APP_LAN = m.Link("epl", "198.18.6.21", "198.18.6.30", "ezh-multi-lan")
# app ↔ db: the host end of this pair goes into the database machine's namespace.
DB_ADDRESS, APP_ADDRESS = "198.18.7.11", "198.18.7.21"


def inventory(tmp: Path, key: Path, proxies: dict[str, str]) -> Path:
    ssh = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"

    def host(link: m.Link, address: str, proxy: str) -> dict:
        return {"ansible_host": link.server_address, "ezh_address": address,
                "ansible_user": "root", "ansible_ssh_private_key_file": str(key),
                "ansible_ssh_common_args": ssh,
                "app_install_environment": {
                    "UV_CACHE_DIR": "/var/cache/ezh-uv", "PIP_CACHE_DIR": "/var/cache/ezh-uv/pip",
                    "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy}}

    data = {"all": {"children": {
        "ezh": {
            "hosts": {"db1": host(DB_ADMIN, DB_ADDRESS, proxies["db1"]),
                      "app1": host(APP_ADMIN, APP_ADDRESS, proxies["app1"])},
            "vars": {
                "ezh_school_name": "Управление образования (проверка)",
                "ezh_server_name": "ezh.test",
                "firewall_lan_ranges": ["198.18.6.0/24"],
                "firewall_admin_ranges": ["198.18.4.0/24", "198.18.5.0/24"],
                "app_admin_password": ADMIN_PASSWORD,
                "postgresql_app_password": "пароль службы 1",
                "postgresql_owner_password": "пароль владельца 2",
            }},
        "ezh_db": {"hosts": {"db1": None}},
        "ezh_app": {"hosts": {"app1": None}},
        "ezh_web": {"hosts": {"app1": None}},
    }}}
    path = tmp / "multi.yml"
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def test_app_works_against_a_remote_database():
    if reason := m.why_not_bootable():
        pytest.skip(reason)
    lower = m.preloaded_rootfs()
    tmp = Path(tempfile.mkdtemp(prefix="ezh-multi-"))
    key = m.new_ssh_key(tmp)
    UV_CACHE.mkdir(parents=True, exist_ok=True)
    db = m.make_machine("db1", lower, [DB_ADMIN], key)
    app = m.make_machine("app1", lower, [APP_ADMIN, APP_LAN,
                                         m.Link("epd", APP_ADDRESS, DB_ADDRESS, db.netns)], key)
    proxies, machines = [], [db, app]
    try:
        for machine, link in ((db, DB_ADMIN), (app, APP_ADMIN)):
            (machine.root / "etc/apt/apt.conf.d/01ezh-test-proxy").write_text(
                f'Acquire::http::Proxy "http://{link.peer_address}:3128";\n')
            m.boot(machine, binds=[f"{UV_CACHE}:/var/cache/ezh-uv"])
            proxies.append(Proxy(link.peer_address, 3128).__enter__())
        # The cached tree has PostgreSQL installed everywhere: off on the app host, so that only
        # the remote database can answer.
        app.ssh("systemctl stop postgresql@15-main postgresql; systemctl mask postgresql@15-main")
        started = time.monotonic()
        first = play(inventory(tmp, key, {"db1": f"http://{DB_ADMIN.peer_address}:3128",
                                          "app1": f"http://{APP_ADMIN.peer_address}:3128"}))
        print(f"multi-host run: {time.monotonic() - started:.0f} s")
        assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]

        # The database lives on db1 only; the service on app1 only.
        assert db.ssh("systemctl is-active postgresql@15-main").stdout.strip() == "active"
        assert app.ssh("systemctl is-active postgresql@15-main", check=False).stdout.strip() != "active"
        assert DB_ADDRESS in app.ssh("cat /etc/ezh/ezh.toml").stdout
        assert app.ssh("systemctl is-active ezh nginx").stdout.split() == ["active", "active"]
        check = app.ssh("runuser -u ezh -- /opt/ezh/current/.venv/bin/ezh check", check=False)
        assert re.search(rf"^OK\s+база данных: .*{re.escape(DB_ADDRESS)}", check.stdout,
                         re.MULTILINE), check.stdout
        assert not [line for line in check.stdout.splitlines()
                    if line.startswith("СБОЙ") and "часы" not in line], check.stdout

        # A login over HTTPS from the LAN: the session is written to the remote database.
        base = f"https://{APP_LAN.server_address}"
        jar = tmp / "cookies"

        def curl(*args):
            return app.in_peer(APP_LAN.peer_ns, "curl", "-sk", "--max-time", "20",
                               "-c", str(jar), "-b", str(jar), *args)
        token = re.search(r'name="_csrf_token" value="([^"]+)"', curl(f"{base}/login").stdout)
        assert token
        answer = curl("-o", "/dev/null", "-w", "%{http_code}", "--data-urlencode",
                      f"_csrf_token={token[1]}", "--data-urlencode", "login=admin",
                      "--data-urlencode", f"password={ADMIN_PASSWORD}", f"{base}/login")
        assert answer.stdout in ("302", "303"), answer.stdout
        sessions = db.ssh("runuser -u postgres -- psql -tA -d ezh -c "
                          "'SELECT count(*) FROM user_session'")
        assert int(sessions.stdout.strip()) >= 1, sessions.stdout
    finally:
        for proxy in proxies:
            proxy.__exit__()
        for machine in reversed(machines):
            m.destroy(machine)
        m.run("ip", "netns", "del", APP_LAN.peer_ns, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
