"""Issuing many documents at once on every core: each worker process loads the school's seal
once, renders its share of the documents as PDF/A, seals them and writes each to its path.
``Stream`` takes the documents as the caller makes them (a class at a time), so the workers
render while the caller is still reading the next classes from the database.

Workers get paths, not bytes, and answer with digests: 2,500 transcripts do not travel through
pipes twice. A worker is started with "spawn" (a fresh interpreter) because the caller may be
an asyncio server whose threads a fork would copy mid-flight."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from archive import documents, keys, pdfsign

# documents a worker renders and seals between two reports of progress
CHUNK = 50
# a stream's chunks: smaller, so that the last ones end together on every core
STREAM_CHUNK = 20


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


class Stream:
    """Documents handed in as they are ready, rendered and sealed on worker processes while
    more are being prepared; ``finish`` waits for all and answers them in the order given.

    The workers start with the first full chunk; a batch that never fills one (a class or
    two) stays in this process, as ``seal_many`` would keep it. ``close`` it in every case:
    closed early (an error while preparing), it stops the workers and drops their work."""

    def __init__(self, key_dir: Path, passphrase_file: Path | None, *, processes: int | None = None,
                 progress: Callable[[int, int], None] | None = None, render: str = "transcripts") -> None:
        self._key_dir = str(key_dir)
        self._phrase = str(passphrase_file) if passphrase_file else None
        self._processes = processes or workers()
        self._progress = progress
        self._render = render
        self._pending: list[tuple[dict, str]] = []
        self._futures: list[Future] = []
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._done = 0
        self.total = 0

    def add(self, jobs: list[tuple[dict, str]]) -> None:
        self._pending += jobs
        self.total += len(jobs)
        if self._processes == 1:
            return
        while len(self._pending) >= (STREAM_CHUNK if self._pool else CHUNK):
            size = STREAM_CHUNK if self._pool else CHUNK
            self._submit(self._pending[:size])
            del self._pending[:size]

    def _submit(self, chunk: list[tuple[dict, str]]) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self._processes,
                                             mp_context=multiprocessing.get_context("spawn"))
        future = self._pool.submit(seal_and_write, chunk, self._key_dir, self._phrase, self._render)
        future.add_done_callback(self._report)
        self._futures.append(future)

    def _report(self, future: Future) -> None:
        if future.cancelled() or future.exception() is not None or not self._progress:
            return
        with self._lock:
            self._done += len(future.result())
            self._progress(self._done, self.total)

    def finish(self) -> list[Written]:
        """Every document rendered, sealed and written (blocks: call it off the event loop)."""
        if self._pool is None:
            jobs, self._pending = self._pending, []
            if not jobs:
                return []
            return seal_many(jobs, Path(self._key_dir), Path(self._phrase) if self._phrase else None,
                             processes=1, render=self._render,
                             progress=(lambda n: self._progress(n, self.total)) if self._progress else None)
        rest, self._pending = self._pending, []
        # the tail in small pieces, so that no core is left waiting on the other's last chunk
        size = max(1, min(STREAM_CHUNK, -(-len(rest) // self._processes)))
        for i in range(0, len(rest), size):
            self._submit(rest[i:i + size])
        out: list[Written] = []
        for future in self._futures:
            out.extend(future.result())
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
