"""Province scorecards: one self-contained ``scorecard.html`` per province of a release.

``write_scorecards(release_dir)`` reads the published files of a release folder (the ``observations/`` parts,
``units.csv``, ``target_tracking.csv``, the ``explain/`` parts, the ``bieu06/`` parts for field names; the root CSVs
of a release written before layout v2) and writes
``<release>/by_province/<province_code>/scorecard.html`` for every province with Decision 766 observations, plus
``<release>/scorecard.html`` when the release covers exactly one province (one page in all). Pages are rendered
with jinja2 (autoescape on: names and reasons come from the provinces' files) and carry everything inline — CSS and
SVG charts, no script, nothing fetched from the network — so they can be opened offline, mailed and printed. Units
out of coverage in a period (METHODOLOGY §1: no data at all) are listed as "chưa có dữ liệu", never graded, ranked
or drawn.

This module renders and writes the pages; the release is read by ``release_reader.py``, each page's content is built
by ``scorecard_page.py`` and its numbers are written by ``vi_format.py``.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from orchestration.publish.release_reader import Release, load_release
from orchestration.publish.scorecard_page import build_page
from orchestration.publish.vi_format import fmt_vi

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE = "scorecard.html.j2"


def jinja_environment() -> Environment:
    """The pages' templates (``templates/``, autoescape on) with the ``vi`` number filter; the leadership report
    renders with it too."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["vi"] = fmt_vi
    return env


def render_scorecard(release_dir: Path | str, province: str) -> str:
    rel = load_release(Path(release_dir))
    try:
        return jinja_environment().get_template(TEMPLATE).render(page=build_page(rel, province))
    finally:
        rel.con.close()


def write_scorecards(release_dir: Path | str) -> list[Path]:
    """Write ``by_province/<code>/scorecard.html`` for every province with QD766 observations in the release (and
    ``scorecard.html`` at the release root when that is exactly one province). Returns the files written.
    Other files in the ``by_province/<code>/`` folders are left alone."""
    release_dir = Path(release_dir)
    rel = load_release(release_dir)
    try:
        return _write_pages(rel, release_dir)
    finally:
        rel.con.close()


def _write_pages(rel: Release, release_dir: Path) -> list[Path]:
    provinces = rel.provinces_scored()
    template = jinja_environment().get_template(TEMPLATE)
    written: list[Path] = []
    pages = {}
    for code in provinces:
        html = template.render(page=build_page(rel, code))
        pages[code] = html
        path = release_dir / "by_province" / code / "scorecard.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    # the root copy only for a release of exactly one province (the README's promise): with two or more, which
    # one would it be? A copy left by an earlier run of a wider release goes.
    path = release_dir / "scorecard.html"
    if len(provinces) == 1:
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(pages[provinces[0]], encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    else:
        path.unlink(missing_ok=True)
    return written


if __name__ == "__main__":  # pragma: no cover - manual use: python -m orchestration.publish.scorecard <release>
    import sys

    for p in write_scorecards(sys.argv[1]):
        print(p)
