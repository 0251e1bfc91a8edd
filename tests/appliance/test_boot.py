"""The appliance, booted: Debian 12 under systemd-nspawn, provisioned by provisioning/site.yml
over ssh exactly as a sysadmin would, then looked at from a LAN client and from outside.

Marked ``appliance``: needs root, debootstrap, systemd-nspawn and network namespaces. The first
run on a machine builds the cached root file systems (a few minutes); later runs reuse them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.appliance import machine as m
from tests.appliance.proxy import Proxy

pytestmark = [pytest.mark.appliance, pytest.mark.timeout(2400)]

REPO = Path(__file__).resolve().parents[2]
PROVISIONING = REPO / "provisioning"

# Addresses from the benchmarking range (RFC 2544), never routed on a real network; not the
# documentation ranges, which this machine's own network may use.
ADMIN = m.Link("eza", "198.18.0.10", "198.18.0.1", None)           # the sysadmin: the host
LAN = m.Link("ezl", "198.18.1.10", "198.18.1.20", "ezh-test-lan")  # a computer of the school
WAN = m.Link("ezw", "198.18.2.10", "198.18.2.20", "ezh-test-wan")  # the internet
ADMIN_PASSWORD = "Проверка-входа-2026"
UV_CACHE = m.CACHE / "uv-cache"  # bound into the machine: the second run downloads nothing


def ansible_playbook() -> str:
    here = Path(sys.executable).parent / "ansible-playbook"
    found = str(here) if here.exists() else shutil.which("ansible-playbook")
    if not found:
        pytest.fail("ansible-playbook не найден: установите зависимости с extra provision "
                    "(uv sync --extra provision)")
    return found


PROXY = f"http://{ADMIN.peer_address}:3128"


def inventory(tmp: Path, key: Path, name: str = "hosts.yml", **overrides) -> Path:
    host = {
        "ansible_host": ADMIN.server_address,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
    }
    variables = {
        "ezh_school_name": "Школа № 1 (проверка установки)",
        "ezh_server_name": "ezh.test",
        "firewall_lan_ranges": [LAN.server_address.rsplit(".", 1)[0] + ".0/24"],
        "firewall_admin_ranges": [ADMIN.server_address.rsplit(".", 1)[0] + ".0/24"],
        "app_admin_password": ADMIN_PASSWORD,
        "app_install_environment": {
            "UV_CACHE_DIR": "/var/cache/ezh-uv",
            "PIP_CACHE_DIR": "/var/cache/ezh-uv/pip",
            "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
            "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt",
            "HTTP_PROXY": PROXY,
            "HTTPS_PROXY": PROXY,
        },
    }
    for key_name, value in overrides.items():
        if value is None:
            variables.pop(key_name, None)
        else:
            variables[key_name] = value
    data = {"all": {"children": {
        "ezh": {"hosts": {"ezh-test": host}, "vars": variables},
        "ezh_db": {"hosts": {"ezh-test": None}},
        "ezh_app": {"hosts": {"ezh-test": None}},
        "ezh_web": {"hosts": {"ezh-test": None}},
    }}}
    path = tmp / name
    path.write_text(json.dumps(data, ensure_ascii=False))  # JSON is YAML
    return path


def play(hosts: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROVISIONING / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PYTHONUNBUFFERED="1")
    env = {k: v for k, v in env.items() if not k.startswith("EZH_")}
    started = time.monotonic()
    out = subprocess.run([ansible_playbook(), "-i", str(hosts), "site.yml"], cwd=PROVISIONING,
                         env=env, text=True, capture_output=True, timeout=1800)
    out.seconds = time.monotonic() - started
    return out


def recap(out: subprocess.CompletedProcess) -> dict[str, int]:
    found = re.search(r"^ezh-test\s*:\s*(.*)$", out.stdout, re.MULTILINE)
    assert found, out.stdout[-3000:] + out.stderr[-2000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found[1])}


def changed_tasks(out: subprocess.CompletedProcess) -> list[str]:
    """The names of the tasks that reported a change (for a readable failure)."""
    tasks, current = [], ""
    for line in out.stdout.splitlines():
        if line.startswith("TASK ["):
            current = line
        elif line.startswith("changed:"):
            tasks.append(f"{current} {line}")
    return tasks


@pytest.fixture(scope="module")
def appliance():
    if reason := m.why_not_bootable():
        pytest.skip(reason)
    timings: dict[str, float] = {}
    started = time.monotonic()
    lower = m.preloaded_rootfs()
    timings["rootfs"] = time.monotonic() - started
    tmp = Path(tempfile.mkdtemp(prefix="ezh-appliance-"))
    key = m.new_ssh_key(tmp)
    UV_CACHE.mkdir(parents=True, exist_ok=True)
    for ns in (LAN.peer_ns, WAN.peer_ns):  # left behind by a run that was killed
        m.run("ip", "netns", "del", ns, check=False)
    machine = m.make_machine("ezh", lower, [ADMIN, LAN, WAN], key)
    # The host's apt configuration was copied in when the tree was made; only the way out differs.
    (machine.root / "etc/apt/apt.conf.d/01ezh-test-proxy").write_text(
        f'Acquire::http::Proxy "{PROXY}";\nAcquire::https::Proxy "{PROXY}";\n')
    proxy = None
    try:
        timings["boot"] = m.boot(machine, binds=[f"{UV_CACHE}:/var/cache/ezh-uv"])
        proxy = Proxy(ADMIN.peer_address, 3128).__enter__()
        hosts = inventory(tmp, key)
        first = play(hosts)
        timings["first run"] = first.seconds
        assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
        yield machine, hosts, first, tmp, timings
    finally:
        if proxy is not None:
            proxy.__exit__()
        m.destroy(machine)
        for ns in (LAN.peer_ns, WAN.peer_ns):
            m.run("ip", "netns", "del", ns, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
        print("appliance timings:", {k: round(v, 1) for k, v in timings.items()})


def curl(machine: m.Machine, link: m.Link, *args: str) -> subprocess.CompletedProcess:
    return machine.in_peer(link.peer_ns, "curl", "-sk", "--connect-timeout", "3", "--max-time",
                           "20", *args)


def test_services_are_active(appliance):
    machine, *_ = appliance
    for unit in ("postgresql@15-main", "ezh", "nginx", "nftables"):
        state = machine.ssh(f"systemctl is-active {unit}", check=False).stdout.strip()
        assert state == "active", f"{unit}: {state}\n" + machine.ssh(
            f"journalctl -u {unit} --no-pager -n 40", check=False).stdout


def test_login_page_from_the_lan_only(appliance):
    machine, *_ = appliance
    url = f"https://{LAN.server_address}/login"
    page = curl(machine, LAN, "-w", "\n%{http_code}", url)
    assert page.stdout.endswith("\n200"), page.stdout[-500:] + page.stderr
    assert 'name="_csrf_token"' in page.stdout
    http = curl(machine, LAN, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                f"http://{LAN.server_address}/login")
    assert http.stdout.startswith("301 https://"), http.stdout
    outside = curl(machine, WAN, "-o", "/dev/null", f"https://{WAN.server_address}/login")
    assert outside.returncode in (7, 28), f"reachable from outside the LAN: {outside}"


def test_a_login_works(appliance):
    machine, _, _, tmp, _ = appliance
    jar = tmp / "cookies"
    base = f"https://{LAN.server_address}"
    page = curl(machine, LAN, "-c", str(jar), "-b", str(jar), f"{base}/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.stdout)
    assert token, page.stdout[-500:]
    answer = curl(machine, LAN, "-c", str(jar), "-b", str(jar), "-o", "/dev/null",
                  "-w", "%{http_code} %{redirect_url}",
                  "--data-urlencode", f"_csrf_token={token[1]}",
                  "--data-urlencode", "login=admin",
                  "--data-urlencode", f"password={ADMIN_PASSWORD}",
                  f"{base}/login")
    assert answer.stdout.startswith(("302", "303")), answer.stdout
    home = curl(machine, LAN, "-L", "-b", str(jar), "-c", str(jar), "-o", "/dev/null",
                "-w", "%{http_code} %{url_effective}", f"{base}/")
    code, where = home.stdout.split(" ", 1)
    assert code == "200" and "/login" not in where, home.stdout


def test_ezh_check_passes(appliance):
    """Every line OK or ВНИМ, except the clock: inside a container NTP runs on the host, which
    `ezh check` cannot see (it reads «не синхронизировано» from timedatectl)."""
    machine, *_ = appliance
    out = machine.ssh("runuser -u ezh -- /opt/ezh/current/.venv/bin/ezh check", check=False)
    failures = [line for line in out.stdout.splitlines()
                if line.startswith("СБОЙ") and not re.match(r"СБОЙ\s+часы", line)]
    assert out.returncode in (0, 1) and not failures, out.stdout + out.stderr
    assert re.search(r"^OK\s+база данных", out.stdout, re.MULTILINE), out.stdout
    assert re.search(r"^OK\s+резервная копия", out.stdout, re.MULTILINE), out.stdout
    # the school's seal was made for the service's account (issue 12 item 2)
    assert re.search(r"^OK\s+электронная печать системы", out.stdout, re.MULTILINE), out.stdout
    # the playbook installs HarfBuzz's font subsetter (not preloaded in APPLIANCE_PACKAGES):
    # without it every transcript prints 2.5× slower
    assert re.search(r"^OK\s+печать PDF", out.stdout, re.MULTILINE), out.stdout


def test_timers_are_scheduled(appliance):
    machine, *_ = appliance
    calendar = machine.ssh("systemctl show -p TimersCalendar --value ezh-maintenance.timer").stdout
    assert "02:00:00" in calendar, calendar
    next_run = machine.ssh("systemctl show -p NextElapseUSecRealtime --value "
                           "ezh-maintenance.timer").stdout.strip()
    assert re.search(r"\b02:00:00\b", next_run), next_run  # local time of the school
    for timer in ("ezh-maintenance", "ezh-backup-dump", "ezh-checkpoint", "ezh-probe"):
        state = machine.ssh(f"systemctl is-enabled {timer}.timer; systemctl is-active {timer}.timer",
                            check=False).stdout.split()
        assert state == ["enabled", "active"], f"{timer}.timer: {state}"
    # The first backup was taken and the repository is there for the nightly one.
    runs = machine.ssh("cat /var/lib/ezh/backups/runs.jsonl").stdout
    assert '"ok": true' in runs.replace('"ok":true', '"ok": true'), runs


def test_borg_is_1_4(appliance):
    """Issue 13 item 2: borg 1.4 from Debian's package (on Debian 12: bookworm-backports)."""
    machine, *_ = appliance
    version = machine.ssh("borg --version").stdout.strip()
    assert re.fullmatch(r"borg 1\.(?:[4-9]|\d\d)\.\d+", version), version


def test_second_run_changes_nothing(appliance):
    machine, hosts, _, _, timings = appliance
    again = play(hosts)
    timings["second run"] = again.seconds
    assert again.returncode == 0, again.stdout[-4000:]
    counts = recap(again)
    assert counts["changed"] == 0, "\n".join(changed_tasks(again))


def test_upgrade_takes_a_backup_first(appliance):
    """A changed checkout is a new release: backup with the old one, migrate, switch, check."""
    machine, _, _, tmp, timings = appliance
    source = tmp / "newer"
    for name in ("service", "archive", "backups", "templates", "static"):
        shutil.copytree(REPO / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy2(REPO / name, source / name)
    with (source / "README.md").open("a") as fh:
        fh.write("\n<!-- a newer release -->\n")
    before = machine.ssh("readlink /opt/ezh/current").stdout.strip()
    upgrade = play(inventory(tmp, machine.ssh_key, "upgrade.yml", app_source_dir=str(source)))
    timings["upgrade run"] = upgrade.seconds
    assert upgrade.returncode == 0, upgrade.stdout[-4000:]
    changed = "\n".join(changed_tasks(upgrade))
    assert "Backup before the upgrade" in changed, changed
    after = machine.ssh("readlink /opt/ezh/current").stdout.strip()
    assert after != before and after.startswith("/opt/ezh/releases/")
    assert machine.ssh("systemctl is-active ezh").stdout.strip() == "active"
    # The old release stays for a rollback.
    assert machine.ssh(f"test -x {before}/.venv/bin/ezh", check=False).returncode == 0


def test_bad_inventories_change_nothing(appliance):
    machine, _, _, tmp, _ = appliance
    before = machine.ssh("stat -c %Y /etc/ezh/ezh.toml /etc/nftables.conf").stdout

    no_lan = play(inventory(tmp, machine.ssh_key, "no-lan.yml", firewall_lan_ranges=None))
    assert no_lan.returncode != 0 and "firewall_lan_ranges" in no_lan.stdout, no_lan.stdout[-2000:]

    cert, key = tmp / "a.crt", tmp / "b.key"
    m.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
          "/CN=ezh.test", "-keyout", str(tmp / "a.key"), "-out", str(cert))
    m.run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
          "-out", str(key))
    mismatch = play(inventory(tmp, machine.ssh_key, "mismatch.yml",
                              nginx_certificate_file=str(cert), nginx_certificate_key_file=str(key)))
    assert mismatch.returncode != 0 and "не подходят друг к другу" in mismatch.stdout, \
        mismatch.stdout[-2000:]

    machine.ssh("mkdir /run/ezh-provision.lock")
    try:
        busy = play(inventory(tmp, machine.ssh_key, "busy.yml"))
    finally:
        machine.ssh("rmdir /run/ezh-provision.lock")
    assert busy.returncode != 0 and "уже идёт другая установка" in busy.stdout, busy.stdout[-2000:]

    assert machine.ssh("stat -c %Y /etc/ezh/ezh.toml /etc/nftables.conf").stdout == before
