"""The paper key: ``borg key export --paper`` text, and a page to print for the safe."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from backups.borg import Repository


def paper_key_page(repo: Repository, key_text: str, school: str, when: datetime) -> str:
    lines = "\n".join(html.escape(line) for line in key_text.strip().splitlines())
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Ключ резервных копий</title>
<style>body{{font-family:'DejaVu Sans',sans-serif;font-size:11pt;margin:2cm}}
pre{{font-family:'DejaVu Sans Mono',monospace;font-size:12pt;border:1px solid #000;padding:8pt}}
td{{padding:4pt 8pt 4pt 0}}</style></head><body>
<h1>Ключ резервных копий электронного журнала</h1>
<p>{html.escape(school)}. Напечатано {when:%d.%m.%Y %H:%M}. Хранилище: {html.escape(str(repo.path))}.</p>
<p><b>Хранить в сейфе.</b> Без этого ключа и пароля резервные копии прочитать нельзя, если
сервер погибнет. Восстановление ключа: <code>borg key import --paper ХРАНИЛИЩЕ</code> и ввести
строки ниже.</p>
<pre>{lines}</pre>
<table><tr><td>Пароль резервных копий (вписать от руки):</td><td>______________________________</td></tr>
<tr><td>Ответственный:</td><td>______________________________</td></tr></table>
</body></html>
"""


def write_paper_key(repo: Repository, target: Path, school: str, when: datetime) -> Path:
    """An HTML page (``.html``) or a PDF (any other suffix) with the paper key."""
    text = repo.key_export_paper()
    page = paper_key_page(repo, text, school, when)
    if target.suffix.lower() in (".html", ".htm"):
        target.write_text(page, encoding="utf-8")
    else:
        from weasyprint import HTML

        HTML(string=page).write_pdf(target)
    target.chmod(0o600)
    return target
