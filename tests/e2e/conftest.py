"""Browser tests: the real service in its own process (uvicorn, SQLite with the S demo school)
and Debian's Chromium driven by Playwright. No browser is ever downloaded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# where the live server keeps its database: browser tests look up what to click in it
LIVE: dict[str, Path] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """http://127.0.0.1:<port> of a real `ezh serve` over a fresh demo school (size S)."""
    var = tmp_path_factory.mktemp("e2e-var")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    env.update({"EZH_CONFIG": os.devnull,  # never the machine's own /etc/ezh/ezh.toml
                "EZH_VAR_DIR": str(var), "EZH_DATABASE_URL": f"sqlite:///{var / 'ezh.sqlite3'}",
                "EZH_LOG_JSON": "false", "EZH_SCHOOL_NAME": "Школа № 1 (e2e)"})
    LIVE["database"] = var / "ezh.sqlite3"
    cli = [sys.executable, "-m", "service.cli"]
    for args in (["migrate"], ["demo-data", "--size", "S", "--seed", "7"]):
        subprocess.run([*cli, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(url + "/healthz", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError("ezh serve did not start: " + server.stdout.read().decode()[-2000:])
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API holds an event loop in this thread while it runs, so
    it must be closed before the async tests of other modules start theirs."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (scripts/system-packages installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()
