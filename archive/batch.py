"""Issuing many documents at once on every core: each worker process loads the school's seal
once, renders its share of the documents as PDF/A, seals them and writes each to its path.

Workers get paths, not bytes, and answer with digests: 2,500 transcripts do not travel through
pipes twice. A worker is started with "spawn" (a fresh interpreter) because the caller may be
an asyncio server whose threads a fork would copy mid-flight."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from archive import documents, keys, pdfsign

# documents a worker renders and seals between two reports of progress
CHUNK = 50


@dataclass(frozen=True)
class Written:
    path: str
    sha256: str
    size: int


def _write(path: Path, data: bytes) -> Written:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Written(str(path), hashlib.sha256(data).hexdigest(), len(data))


def seal_and_write(jobs: list[tuple[dict, str]], key_dir: str, passphrase_file: str | None,
                   render: str = "transcripts") -> list[Written]:
    """Render ``jobs`` (document, path) with ``documents.render_<render>``, seal and write each.
    Runs in a worker process (or in the caller for a handful)."""
    identity = keys.load_identity(Path(key_dir), passphrase_file=Path(passphrase_file) if passphrase_file else None)
    docs = [doc for doc, _ in jobs]
    if render == "transcripts":
        pdfs = documents.render_transcripts(docs)
    elif render == "summary_sheet":
        pdfs = [documents.render_summary_sheet(doc) for doc in docs]
    else:
        raise ValueError(f"unknown document kind {render!r}")
    return [_write(Path(path), pdfsign.sign_pdf(pdf, identity)) for (_, path), pdf in zip(jobs, pdfs, strict=True)]


def workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def seal_many(jobs: list[tuple[dict, str]], key_dir: Path, passphrase_file: Path | None, *,
              processes: int | None = None, progress: Callable[[int], None] | None = None,
              render: str = "transcripts") -> list[Written]:
    """Every job on ``processes`` worker processes (default: one per core); results in the
    order of ``jobs``. Small batches stay in this process."""
    processes = processes or workers()
    phrase = str(passphrase_file) if passphrase_file else None
    if len(jobs) <= CHUNK or processes == 1:
        done = seal_and_write(jobs, str(key_dir), phrase, render)
        if progress:
            progress(len(done))
        return done
    chunks = [jobs[i:i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    out: list[Written] = []
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        for written in pool.map(seal_and_write, chunks, [str(key_dir)] * len(chunks), [phrase] * len(chunks),
                                [render] * len(chunks)):
            out.extend(written)
            if progress:
                progress(len(out))
    return out
