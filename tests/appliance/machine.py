"""Debian 12 machines for the appliance tests: a root file system made by debootstrap once and
cached, a second cached layer with the appliance's Debian packages already installed (keyed by
a hash of the package list), and per test an overlay of that layer booted by systemd-nspawn in a
network namespace of its own, wired to the host and to client namespaces by veth pairs.

The machines have no route out of their namespaces: package downloads go through a proxy on
the host (proxy.py)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(os.environ.get("APPLIANCE_TEST_CACHE", "/var/cache/ezh-tests"))
SUITE = "bookworm"
MIRROR = os.environ.get("APPLIANCE_TEST_MIRROR", "http://deb.debian.org/debian")

# What debootstrap puts in: enough to boot, to be reached by ssh and to run Ansible's modules.
BASE_PACKAGES = ("systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "iproute2",
                 "ca-certificates", "sudo", "locales")

# The packages the playbook installs (roles/*/tasks), preinstalled to save minutes per run. A
# package missing here is still installed by the playbook: only slower, never wrong.
APPLIANCE_PACKAGES = (
    "acl", "tzdata", "unattended-upgrades", "apt-listchanges", "systemd-timesyncd",
    "postgresql", "postgresql-contrib", "python3-venv", "python3-pip", "libpango-1.0-0",
    "libpangoft2-1.0-0", "fonts-dejavu-core", "openssl", "nginx", "nftables", "borgbackup",
    "curl", "cron-daemon-common",
)

# Where the host's package configuration lives: copied in so that the machine reaches the same
# mirrors, through the same proxy and with the same certificate authorities, as the host.
HOST_FILES = ("/etc/apt/sources.list", "/etc/apt/sources.list.d", "/etc/apt/apt.conf.d",
              "/etc/apt/auth.conf", "/etc/apt/auth.conf.d", "/etc/pip.conf",
              "/usr/local/share/ca-certificates")


def run(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, text=True, capture_output=True, **kw)


def why_not_bootable() -> str | None:
    """Why this machine cannot boot a container, or None."""
    if os.geteuid() != 0:
        return "нужен root (debootstrap, systemd-nspawn, ip netns)"
    for tool in ("debootstrap", "systemd-nspawn", "ip"):
        if shutil.which(tool) is None:
            return f"нет {tool} (apt-get install debootstrap systemd-container iproute2)"
    probe = f"ezh-probe-{os.getpid()}"
    out = run("ip", "netns", "add", probe, check=False)
    if out.returncode != 0:
        return f"ядро не даёт создать сетевое пространство имён: {out.stderr.strip()}"
    run("ip", "netns", "del", probe, check=False)
    return None


@contextlib.contextmanager
def _locked(name: str):
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _copy_host_config(root: Path) -> None:
    if Path("/etc/apt/sources.list.d").exists() and not Path("/etc/apt/sources.list").exists():
        (root / "etc/apt/sources.list").unlink(missing_ok=True)  # debootstrap's, doubled otherwise
    for name in HOST_FILES:
        src = Path(name)
        if not src.exists():
            continue
        dst = root / name.lstrip("/")
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=False,
                            ignore=shutil.ignore_patterns("*.disabled*", "docker-*"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _nspawn(root: Path, *command: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    """A command in the tree without booting it (the host's network: for apt)."""
    return run("systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--timezone=off",
               "--resolv-conf=replace-host", "-E", "DEBIAN_FRONTEND=noninteractive",
               "-D", str(root), *command, timeout=timeout)


def base_rootfs() -> Path:
    """Debian 12 by debootstrap, made once and kept in CACHE."""
    target = CACHE / f"{SUITE}-base"
    with _locked("base"):
        if (target / ".complete").exists():
            return target
        tmp = CACHE / f"{SUITE}-base.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        run("debootstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
            SUITE, str(tmp), MIRROR, timeout=1800)
        _copy_host_config(tmp)
        _nspawn(tmp, "update-ca-certificates")
        # The container's sshd lets root in by key only; the per-run key is added to the overlay.
        (tmp / "etc/ssh/sshd_config.d/ezh-test.conf").write_text(
            "PermitRootLogin prohibit-password\nUseDNS no\n")
        # No console getty: nothing reads the console, and it only slows the boot.
        for unit in ("console-getty.service", "getty@tty1.service"):
            link = tmp / "etc/systemd/system" / unit
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to("/dev/null")
        (tmp / ".complete").write_text("")
        tmp.rename(target)
        return target


def packages_key(packages: tuple[str, ...]) -> str:
    return hashlib.sha256(" ".join(sorted(packages)).encode()).hexdigest()[:12]


def preloaded_rootfs(packages: tuple[str, ...] = APPLIANCE_PACKAGES) -> Path:
    """The base tree plus the appliance's packages, cached by a hash of the package list."""
    base = base_rootfs()
    key = packages_key(packages)
    target = CACHE / f"{SUITE}-preloaded-{key}"
    with _locked("preloaded"):
        if (target / ".complete").exists():
            return target
        tmp = CACHE / f"{SUITE}-preloaded-{key}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        run("cp", "-a", "--reflink=auto", str(base), str(tmp))
        (tmp / ".complete").unlink()
        # Services are not started inside a tree that is not booted.
        policy = tmp / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        _nspawn(tmp, "apt-get", "update", "-qq")
        _nspawn(tmp, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages)
        _nspawn(tmp, "apt-get", "clean")
        policy.unlink()
        (tmp / ".complete").write_text("")
        for old in CACHE.glob(f"{SUITE}-preloaded-*"):
            if old.is_dir() and old.name != target.name and not old.name.endswith(".tmp"):
                shutil.rmtree(old, ignore_errors=True)
        tmp.rename(target)
        return target


@dataclass
class Link:
    """One veth pair from the server's namespace to a peer (the host, or a client namespace)."""
    name: str
    server_address: str
    peer_address: str
    peer_ns: str | None  # None: the host's own namespace
    prefix: int = 24


@dataclass
class Machine:
    name: str
    root: Path
    workdir: Path
    netns: str
    links: list[Link]
    ssh_key: Path
    process: subprocess.Popen | None = None
    log: Path = field(default=Path("/dev/null"))

    @property
    def ssh_address(self) -> str:
        return next(link.server_address for link in self.links if link.peer_ns is None)

    def ssh_args(self) -> list[str]:
        return ["ssh", "-i", str(self.ssh_key), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=3", "-o", "BatchMode=yes", f"root@{self.ssh_address}"]

    def ssh(self, command: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
        out = subprocess.run([*self.ssh_args(), command], text=True, capture_output=True,
                             timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"{command!r} on {self.name}: exit {out.returncode}\n"
                                 f"{out.stdout}\n{out.stderr}")
        return out

    def in_peer(self, peer_ns: str, *command: str, timeout: int = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", peer_ns, *command], text=True,
                              capture_output=True, timeout=timeout)


def _unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 100000}"


def make_machine(name: str, lower: Path, links: list[Link], ssh_key: Path) -> Machine:
    """An overlay of ``lower`` (kept unchanged), a network namespace and its veth pairs."""
    workdir = Path(tempfile.mkdtemp(prefix=f"ezh-{name}-", dir=CACHE))
    for sub in ("upper", "work", "root"):
        (workdir / sub).mkdir()
    root = workdir / "root"
    run("mount", "-t", "overlay", "overlay", "-o",
        f"lowerdir={lower},upperdir={workdir / 'upper'},workdir={workdir / 'work'}", str(root))
    netns = _unique(f"ezh-{name}-")
    run("ip", "netns", "add", netns)
    for link in links:
        if link.peer_ns and not Path(f"/run/netns/{link.peer_ns}").exists():
            run("ip", "netns", "add", link.peer_ns)
        host_end, srv_end = f"{link.name}h", f"{link.name}s"
        run("ip", "link", "del", host_end, check=False)  # left by a run that was killed
        run("ip", "link", "add", host_end, "type", "veth", "peer", "name", srv_end)
        run("ip", "link", "set", srv_end, "netns", netns)
        run("ip", "-n", netns, "addr", "add", f"{link.server_address}/{link.prefix}", "dev", srv_end)
        run("ip", "-n", netns, "link", "set", srv_end, "up")
        if link.peer_ns:
            run("ip", "link", "set", host_end, "netns", link.peer_ns)
            run("ip", "-n", link.peer_ns, "addr", "add", f"{link.peer_address}/{link.prefix}",
                "dev", host_end)
            run("ip", "-n", link.peer_ns, "link", "set", host_end, "up")
            run("ip", "-n", link.peer_ns, "link", "set", "lo", "up")
        else:
            run("ip", "addr", "add", f"{link.peer_address}/{link.prefix}", "dev", host_end)
            run("ip", "link", "set", host_end, "up")
    run("ip", "-n", netns, "link", "set", "lo", "up")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(Path(f"{ssh_key}.pub").read_text())
    (ssh_dir / "authorized_keys").chmod(0o600)
    (root / "etc/hostname").write_text(f"{name}\n")
    return Machine(name, root, workdir, netns, links, ssh_key, log=workdir / "console.log")


def boot(machine: Machine, timeout: float = 90, binds: list[str] = ()) -> float:
    """Boot and wait for sshd; returns the seconds it took. ``binds``: host:machine folders."""
    started = time.monotonic()
    log = machine.log.open("w")
    machine.process = subprocess.Popen(
        ["systemd-nspawn", "--boot", "--register=no", "--keep-unit", "--console=read-only",
         f"--network-namespace-path=/run/netns/{machine.netns}", "--capability=CAP_NET_ADMIN",
         "--timezone=off", "--resolv-conf=off", f"--machine={machine.netns}",
         *[f"--bind={bind}" for bind in binds], "-D", str(machine.root)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    while time.monotonic() - started < timeout:
        if machine.process.poll() is not None:
            raise RuntimeError(f"systemd-nspawn exited {machine.process.returncode}:\n"
                               + machine.log.read_text()[-3000:])
        if machine.ssh("true", check=False, timeout=10).returncode == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"{machine.name}: sshd not reachable in {timeout} s:\n"
                       + machine.log.read_text()[-3000:])


def destroy(machine: Machine) -> None:
    if machine.process and machine.process.poll() is None:
        machine.process.terminate()  # nspawn asks the container's systemd to power off
        try:
            machine.process.wait(30)
        except subprocess.TimeoutExpired:
            machine.process.kill()
            machine.process.wait(10)
    run("umount", "-l", str(machine.root), check=False)
    for link in machine.links:
        if link.peer_ns is None:
            run("ip", "link", "del", f"{link.name}h", check=False)
    run("ip", "netns", "del", machine.netns, check=False)
    shutil.rmtree(machine.workdir, ignore_errors=True)


def new_ssh_key(directory: Path) -> Path:
    key = directory / "id_ed25519"
    if not key.exists():
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
    return key
