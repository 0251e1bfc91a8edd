"""The diary's templates render, in Russian, with realistic data, exactly as
tests/test_templates.py renders every template (its helpers are reused here), and every diary
template has a context or is a partial."""

from __future__ import annotations

import pytest

from service.web import TEMPLATES_DIR, jinja
from tests.diary.contexts import CONTEXTS, PARTIALS
from tests.test_templates import _common


def test_every_diary_template_is_covered():
    mine = {str(p.relative_to(TEMPLATES_DIR)) for p in (TEMPLATES_DIR / "diary").rglob("*.html")}
    assert mine - PARTIALS - CONTEXTS.keys() == set()


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_diary_template_renders_in_russian(name):
    viewer, context, phrase = CONTEXTS[name]
    html = jinja().get_template(name).render(**_common(viewer), **context)
    assert phrase in html and '<html lang="ru"' in html
    assert html.lower().count('method="post"') == html.count('name="_csrf_token" value="t0ken"')
    assert phrase not in jinja().get_template("base.html").render(**_common(viewer))


def test_the_week_shows_a_change_as_a_change_and_the_finals_page_its_button():
    """R-DIARY-1, R-GRADE-6: the substitution is marked «Изменение», the absence has its
    reason, the grade its kind and weight; the published period has the button."""
    viewer, context, _ = CONTEXTS["diary/week.html"]
    html = jinja().get_template("diary/week.html").render(**_common(viewer), **context)
    assert "Изменение:</strong> замена: Кузнецов О. И." in html
    assert "по болезни" in html and "Контрольная работа" in html and "вес 3" in html
    viewer, context, _ = CONTEXTS["diary/finals.html"]
    html = jinja().get_template("diary/finals.html").render(**_common(viewer), **context)
    assert html.count(">Ознакомлен(а)</button>") == 1 and "Морозова Е. В.: ознакомлен(а)" in html
