"""Print outputs: charts as PNG (Kaleido) and the report as PDF (headless Chromium).

Both need a Chromium binary (Debian: ``apt-get install chromium fonts-wqy-zenhei``).
Neither fetches anything: Kaleido is given plotly.js from the installed
plotly package and MathJax is switched off.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import plotly
import plotly.graph_objects as go

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary on PATH, or ``None``."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def export_pngs(figures: dict[str, go.Figure], out_dir: Path, width: int = 1100) -> tuple[list[Path], str | None]:
    """Write every figure as ``out_dir/<slug>.png``; returns the files and a note when export is impossible."""
    chromium = find_chromium()
    if chromium is None:
        return [], "PNG charts skipped: no Chromium found (apt-get install chromium)"
    try:
        import kaleido
    except ImportError:
        return [], "PNG charts skipped: kaleido is not installed (pip install kaleido)"
    out_dir.mkdir(parents=True, exist_ok=True)
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    jobs = [
        {"fig": fig, "path": str(out_dir / f"{slug}.png"),
         "opts": {"format": "png", "width": width, "height": fig.layout.height or 450, "scale": 1.5}}
        for slug, fig in figures.items()
    ]
    try:
        errors = kaleido.write_fig_from_object_sync(
            jobs, kopts={"mathjax": False, "plotlyjs": str(plotly_js), "path": chromium}
        )
    except Exception as exc:  # Kaleido raises many kinds (browser start, timeouts): report, don't crash
        return [], f"PNG charts skipped: Kaleido failed ({type(exc).__name__}: {exc})"
    written = [Path(j["path"]) for j in jobs if Path(j["path"]).is_file()]
    note = f"{len(errors)} chart(s) failed to export as PNG: {errors[0]}" if errors else None
    return written, note


#: Flags for headless Chromium on a closed network: no sandbox as root, no GPU, and no
#: background connections (they would be refused, and must not leave the machine).
HEADLESS_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)


def export_pdf(html: Path, pdf: Path, timeout: int = 180) -> str | None:
    """Print ``html`` to ``pdf`` with headless Chromium; returns a note when that is impossible."""
    chromium = find_chromium()
    if chromium is None:
        return "PDF skipped: no headless Chromium found (Debian: apt-get install chromium fonts-wqy-zenhei)"
    cmd = [
        chromium, "--headless", *HEADLESS_ARGS, "--no-pdf-header-footer",
        "--run-all-compositor-stages-before-draw", "--virtual-time-budget=20000",
        f"--print-to-pdf={pdf}", html.resolve().as_uri(),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"PDF failed: {exc}"
    if not pdf.is_file() or pdf.stat().st_size == 0:
        return f"PDF failed: chromium exited {proc.returncode}: {proc.stderr.strip()[-300:]}"
    return None
