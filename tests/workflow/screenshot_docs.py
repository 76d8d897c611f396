"""Screenshots of a finished run for docs/: the key-findings page, a Summary of Findings
table, a forest plot (headless Chromium, Debian package `chromium`) and a printed PDF page
(`pdftoppm`, Debian package poppler-utils).

Each HTML shot is one element of results/report.html (by id) on a page with the report's
own stylesheet, so it looks exactly as in the report. Usage, after `snakemake --cores 2`:

    python3 tests/workflow/screenshot_docs.py [results] [docs]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SHOTS = (  # (file, element id, window width, height)
    ("report_key_findings.png", "key-findings", 1100, 1250),
    ("report_sof.png", "sof-sham", 1250, 1500),
    ("report_forest.png", "fig-pain_eot__sham", 1250, 620),
)
PDF_PAGE = ("report_pdf_page.png", 3)  # the first Summary of Findings page


def _element(html: str, ident: str) -> str:
    """The element with id ``ident`` (a section: up to the next heading of its level)."""
    start = html.index(f'id="{ident}"')
    start = html.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", html[start:]).group(1)  # type: ignore[union-attr]
    if tag == "h2":
        end = html.find("<h2", start + 3)
        return html[start:end]
    depth, i = 0, start
    for m in re.finditer(rf"<(/?){tag}\b", html[start:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            i = start + m.end()
            break
    return html[start : html.index(">", i) + 1]


def _chromium(page: Path, out: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                        f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={out}", page.as_uri()], check=True,
                       capture_output=True, timeout=180)  # fmt: skip


def main(results: Path, docs: Path) -> None:
    html = (results / "report.html").read_text(encoding="utf-8")
    style = re.search(r"<style>.*?</style>", html, flags=re.S).group(0)  # type: ignore[union-attr]
    docs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, ident, width, height in SHOTS:
            page = Path(tmp) / f"{ident}.html"
            page.write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{style}'
                            f"</head><body>{_element(html, ident)}</body></html>",
                            encoding="utf-8")  # fmt: skip
            _chromium(page, docs / name, width, height)
            print(f"wrote {docs / name}")
        name, number = PDF_PAGE
        stem = Path(tmp) / "page"
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "110",
                "-png",
                "-singlefile",
                "-f",
                str(number),
                "-l",
                str(number),
                str(results / "report.pdf"),
                str(stem),
            ],
            check=True,
        )
        shutil.copyfile(stem.with_suffix(".png"), docs / name)
        print(f"wrote {docs / name}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1] if len(sys.argv) > 1 else "results"),
        Path(sys.argv[2] if len(sys.argv) > 2 else "docs"),
    )
