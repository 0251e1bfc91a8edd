"""Charts drawn on the server (issue 11 item 8): well-formed SVG with a title and a text
description holding every number (for screen readers), each bar labelled with its number,
told apart by hatching rather than colour, nothing fetched from anywhere."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from service.reports.charts import bars, lines

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bars_carry_their_numbers_and_patterns():
    chart = bars("Итоговые отметки", ["«5»", "«4»", "«3»", "«2»", "н/а"], [5809, 16337, 7077, 114, None])
    root = _parse(chart.svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for n in ("5809", "16337", "7077", "114", "—"):
        assert n in texts
    assert root.find(f"{SVG}title").text == "Итоговые отметки"
    assert "«4»: 16337" in root.find(f"{SVG}desc").text and "н/а: нет" in root.find(f"{SVG}desc").text
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("stroke") == "#000"}
    assert len(fills) == 4 and any(f.startswith("url(#hatch") for f in fills)  # four bars, four fills
    ids = {p.get("id") for p in root.iter(f"{SVG}pattern")}
    assert all(f[5:-1] in ids for f in fills if f.startswith("url("))  # each fill names a pattern of its own chart
    assert "http://" not in chart.svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_lines_are_told_apart_without_colour():
    chart = lines("Успеваемость и качество, %", ["5 кл.", "6 кл.", "7 кл."],
                  {"успеваемость": [Decimal("96.2"), Decimal("100.0"), None], "качество": [Decimal("41.9"), 50, 38]})
    root = _parse(chart.svg)
    paths = [p for p in root.iter(f"{SVG}path") if p.get("fill") == "none"]
    assert len(paths) == 2 and {p.get("stroke-dasharray") for p in paths} == {None, "6 3"}
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "96,2" in texts and "41,9" in texts and "успеваемость" in texts
    assert "7 кл. нет" in root.find(f"{SVG}desc").text


def test_text_is_escaped():
    chart = bars("<script>", ["a&b"], [1])
    root = _parse(chart.svg)
    assert root.find(f"{SVG}title").text == "<script>" and "<script>" not in chart.svg


def test_two_charts_on_a_page_have_ids_of_their_own():
    a = _parse(bars("Итоговые отметки", ["«5»"], [3]).svg)
    b = _parse(bars("Пропущено уроков по причинам", ["по болезни"], [7]).svg)
    ids = lambda root: {e.get("id") for e in root.iter() if e.get("id")}  # noqa: E731
    assert ids(a).isdisjoint(ids(b))
    assert a.get("aria-labelledby") != b.get("aria-labelledby")
