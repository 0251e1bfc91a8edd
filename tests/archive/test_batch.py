"""Issuing many documents on every core (issue 12 item 5, R-ARC-4): the documents of a batch
are handed to the workers class by class, and what comes back is each pupil's own sealed PDF,
in the order given. All names here are invented."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader

from archive import batch, keys, pdfsign
from tests.archive.test_documents import SURNAMES, transcript


def _class(first: int, count: int, name: str, folder: Path) -> list[tuple[dict, str]]:
    jobs = []
    for n in range(first, first + count):
        doc = transcript(n, surname=SURNAMES[n % len(SURNAMES)], name=f"Ученик{n}")
        doc["student"]["class"] = name
        jobs.append((doc, str(folder / name / f"{n:03d}.pdf")))
    return jobs


def test_a_stream_seals_on_workers_while_classes_still_come_and_answers_in_order(tmp_path):
    """R-ARC-4: three classes handed in one after another (more than a worker's first chunk,
    so the workers start while the third is still to come): every pupil's file is sealed,
    verifies against the school CA, carries that pupil's own data, and the answers come in
    the order the documents were given; progress reaches the whole batch."""
    seal = tmp_path / "keys" / "school"
    keys.init_school_keys(seal, school_name="Школа № 1 (тест)")
    out = tmp_path / "out"
    seen: list[tuple[int, int]] = []
    stream = batch.Stream(seal, None, processes=2, progress=lambda done, total: seen.append((done, total)))
    try:
        jobs = []
        for first, count, name in ((0, 26, "7А"), (26, 25, "7Б"), (51, 2, "7В")):
            part = _class(first, count, name, out)
            stream.add(part)
            jobs += part
        written = stream.finish()
    finally:
        stream.close()

    assert [w.path for w in written] == [path for _, path in jobs]
    roots = keys.trust_roots(seal)
    for (doc, path), w in zip(jobs, written, strict=True):
        data = Path(path).read_bytes()
        assert w.size == len(data)
        verdict = pdfsign.verify_pdf(data, roots)
        assert verdict.ok, (path, verdict.message)
        carried = json.loads(PdfReader(path).attachments["ezh-transcript.json"][0])
        assert carried["student"] == doc["student"]
    assert seen[-1] == (len(jobs), len(jobs))
    assert sorted(done for done, _ in seen) == [done for done, _ in seen]


def test_a_small_stream_stays_in_this_process(tmp_path, monkeypatch):
    """A class or two never starts the workers: nothing to gain from a fresh interpreter."""
    seal = tmp_path / "keys" / "school"
    keys.init_school_keys(seal, school_name="Школа № 1 (тест)")

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started for a handful of documents")

    monkeypatch.setattr(batch, "ProcessPoolExecutor", no_pool)
    stream = batch.Stream(seal, None, processes=2)
    try:
        jobs = _class(0, 3, "5А", tmp_path / "out")
        stream.add(jobs)
        written = stream.finish()
    finally:
        stream.close()
    assert [w.path for w in written] == [path for _, path in jobs]
    assert all(pdfsign.verify_pdf(Path(p).read_bytes(), keys.trust_roots(seal)).ok for _, p in jobs)
