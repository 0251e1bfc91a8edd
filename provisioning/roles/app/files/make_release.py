"""Pack the ezh checkout into a release archive, run on the machine that runs the playbook.

The archive is byte-for-byte the same for the same files (sorted names, fixed times and owners),
so its hash names the release: the same checkout gives the same release and the playbook changes
nothing; any changed file gives a new release, which the app role installs as an upgrade.

Usage: make_release.py SOURCE_DIR OUTPUT_DIR  → prints {"id": ..., "path": ...} as JSON."""

import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

# What the service needs at run time (and to build its virtual environment from uv.lock).
INCLUDE = ("pyproject.toml", "uv.lock", "README.md", "service", "archive", "backups",
           "templates", "static")
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", "~")


def files(source: Path):
    for name in INCLUDE:
        top = source / name
        if top.is_file():
            yield top
        elif top.is_dir():
            for path in sorted(top.rglob("*")):
                rel = path.relative_to(source)
                if any(part in SKIP_DIRS for part in rel.parts) or path.name.endswith(SKIP_SUFFIXES):
                    continue
                if path.is_file() and not path.is_symlink():
                    yield path


def main(source: Path, out_dir: Path) -> dict:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files(source)):
            info = tarfile.TarInfo(str(path.relative_to(source)))
            data = path.read_bytes()
            info.size = len(data)
            info.mode = 0o755 if path.stat().st_mode & 0o100 else 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    data = packed.getvalue()
    release = hashlib.sha256(data).hexdigest()[:16]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"ezh-{release}.tar.gz"
    if not target.exists():
        target.write_bytes(data)
    for old in out_dir.glob("ezh-*.tar.gz"):
        if old != target:
            old.unlink()
    return {"id": release, "path": str(target)}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))))
