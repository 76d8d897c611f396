"""Shared styling, text measurement and deterministic saving for every figure.

The package's rcParams make output reproducible: a fixed SVG hash salt, DejaVu Sans
(bundled with matplotlib, so every machine renders the same glyphs) and no timestamps in
any file; two saves of the same figure are byte-identical. They apply only inside the
drawing functions (decorated with :func:`styled`) and :func:`save_figure`, through
``matplotlib.rc_context``: importing :mod:`trialmeta.plots` changes neither the backend
nor any rcParam, so a notebook keeps its own. Every text is drawn as typed: never TeX,
never mathtext (:func:`plain_text`).
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FixedFormatter, Formatter, FuncFormatter

from trialmeta.io.outputs import naming
from trialmeta.io.safe_csv import write_csv

__all__ = [
    "FONT_FAMILY",
    "FORMATS",
    "INK",
    "MUTED",
    "ACCENT",
    "new_figure",
    "drawable_text",
    "plain_text",
    "save_figure",
    "styled",
    "text_width_in",
    "fit_text",
    "wrap_text",
    "write_rows",
]

FONT_FAMILY = "DejaVu Sans"
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
DEFAULT_FORMATS: tuple[str, ...] = ("svg", "png")
DPI = 150
# zlib level of the PNGs: 1 writes 2-3x faster than matplotlib's 6 for ~8 % larger files
PNG_COMPRESS_LEVEL = 1

INK = "#1a1a1a"  # text, diamonds, axis
MUTED = "#5f5f5f"  # secondary text, reference lines
ACCENT = "#1f5a8a"  # study squares (dark blue: legible in grey-scale print too)
GRID = "#d9d9d9"

_RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_FAMILY],
    "font.size": 8.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "axes.linewidth": 0.7,
    "lines.linewidth": 0.9,
    "svg.hashsalt": "trialmeta",
    "svg.fonttype": "none",  # real <text> in the SVG: searchable, selectable, small (report)
    "svg.image_inline": True,
    "pdf.fonttype": 3,  # Type 3 subsets: 4x faster to write than Type 42, equally sharp
    "path.simplify": False,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "axes.unicode_minus": True,
    "text.parse_math": False,  # labels are plain text: a "$" prints as itself
    "text.usetex": False,
    # PNG glyphs unhinted, as the layout measures them (TextToPath outlines, unhinted): with
    # matplotlib's default autohinting, raster text came out wider than measured and
    # a footnote letter overlapped the ")" before it; unhinted it sits where the SVG puts
    # it, and the PNG costs 15% less CPU. SVG and PDF text is unaffected (vector).
    "text.hinting": "no_hinting",
}

_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}

_T2P = TextToPath()


P = ParamSpec("P")
R = TypeVar("R")


def styled(draw: Callable[P, R]) -> Callable[P, R]:
    """Run a drawing function with the package's rcParams, restoring the caller's after."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(cast(Any, _RC)):
            return draw(*args, **kwargs)

    return wrapper


def new_figure(width_in: float, height_in: float) -> Figure:
    """A blank figure of the given size in inches (call it inside a :func:`styled`
    function, so the package style applies to everything drawn on it).

    A plain :class:`~matplotlib.figure.Figure` on an Agg canvas, not one of pyplot's:
    nothing registers it (no ``plt.close`` needed; garbage collection frees it), and
    drawing never imports pyplot, which costs a figure process ~0.3 s of CPU.
    """
    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)  # text measurement and PNG; savefig switches for SVG/PDF
    return fig


def save_figure(
    fig: Figure, stem: str | Path, formats: Sequence[str] = FORMATS, dpi: int = DPI
) -> list[Path]:
    """Write ``fig`` as ``stem.png`` (``dpi``, zlib level 1), ``stem.svg`` and/or ``stem.pdf``.

    Dates, creator strings and the SVG id salt are fixed, so the bytes depend
    only on the figure. The parent directory is created when missing. The review
    writes the config's ``figures.formats`` (default SVG, which the report embeds, and
    PNG at 150 dpi, which prints sharp at the figures' 6-8 inch widths).

    Parameters
    ----------
    fig
        The figure to write.
    stem
        Output path without suffix, e.g. ``results/figures/forest_pain_sham``.
    formats
        Any subset of ``("png", "svg", "pdf")``.
    dpi
        Resolution of the PNG (SVG and PDF are vector).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    plain_text(fig)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        if fmt not in _METADATA:
            raise ValueError(f"formats: got {fmt!r}, expected any of {', '.join(FORMATS)}")
        path = stem.with_name(stem.name + "." + fmt)
        extra: dict[str, Any] = {}
        if fmt == "png":
            extra["pil_kwargs"] = {"compress_level": PNG_COMPRESS_LEVEL}
        buf = io.BytesIO()  # rendered in memory, then written in one call: a full disk
        with matplotlib.rc_context(cast(Any, _RC)):  # is then one OSError naming the file,
            fig.savefig(
                buf,
                format=fmt,
                dpi=dpi,
                metadata=_METADATA[fmt],  # never an error
                facecolor="white",
                **extra,
            )  # inside a backend's half-written file
        with naming(path):
            path.write_bytes(buf.getvalue())
        written.append(path)
    return written


def plain_text(fig: Figure) -> None:
    """Draw every text of ``fig`` as typed: never TeX, never mathtext.

    Labels come from data and config; ``$…$`` in them must print as typed instead of
    being parsed as math (an unbalanced ``$x^{$`` would stop the drawing with an error).
    The rcParams say so already; this also covers a text made with ``parse_math=True``.
    Axis numbers therefore need formatters that write plain text (``LogFormatter``, not
    the default mathtext superscripts of a log scale).

    Control characters (and U+FFFE/U+FFFF), which no font draws and which XML forbids,
    are dropped and a tab becomes a space, so that every SVG is well-formed XML: its
    backend copies each text into a comment.
    """
    for t in fig.findobj(Text):
        t.set_usetex(False)
        t.set_parse_math(False)
        text = t.get_text()
        if drawable_text(text) != text:
            t.set_text(drawable_text(text))
    for axis in (a for ax in fig.axes for a in (ax.xaxis, ax.yaxis)):
        for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
            _drawable_ticks(formatter)


def _drawable_ticks(formatter: Formatter) -> None:
    """Tick labels are redrawn from their formatter, so its labels are cleaned there."""
    if isinstance(formatter, FixedFormatter):
        formatter.seq = [drawable_text(str(x)) for x in formatter.seq]
    elif isinstance(formatter, FuncFormatter) and not isinstance(formatter.func, _Drawable):
        formatter.func = _Drawable(formatter.func)


class _Drawable:
    """A tick-label function whose labels go through :func:`drawable_text`."""

    def __init__(self, func: Callable[..., object]) -> None:
        self.func = func

    def __call__(self, x: float, pos: int | None = None) -> str:
        return drawable_text(str(self.func(x, pos)))


def drawable_text(text: str) -> str:
    r"""``text`` without the characters a figure cannot hold (see :func:`plain_text`).

    >>> drawable_text("a\x1b]0;t\x07b\tc\nd\ufffe")
    'a]0;tb c\nd'
    """
    return "".join(" " if ch == "\t" else ch for ch in text
                   if ch in "\t\n" or (unicodedata.category(ch) != "Cc"
                                        and ch not in "\ufffe\uffff"))  # fmt: skip


def text_width_in(text: str, size: float, weight: str = "normal") -> float:
    """Rendered width of ``text`` in inches at ``size`` points (DejaVu Sans).

    Memoised: layout measures the same labels many times (the ellipsis search of
    :func:`fit_text`, one study label in every figure of an outcome), and each
    measurement lays the glyphs out with FreeType (about a third of a figure job's CPU
    before the cache).
    """
    return _text_width_in(text, float(size), weight)


@functools.lru_cache(maxsize=65536)
def _text_width_in(text: str, size: float, weight: str) -> float:
    if not text:
        return 0.0
    prop = FontProperties(family=FONT_FAMILY, size=size, weight=weight)
    width_pt, _, _ = _T2P.get_text_width_height_descent(text, prop, ismath=False)
    return float(width_pt) / 72.0


def fit_text(text: str, max_width_in: float, size: float, weight: str = "normal") -> str:
    """``text`` cut at the last character that fits ``max_width_in``, ending in an ellipsis."""
    if text_width_in(text, size, weight) <= max_width_in:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix p such that prefix + "…" fits
        mid = (lo + hi + 1) // 2
        if text_width_in(text[:mid].rstrip() + "…", size, weight) <= max_width_in:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def wrap_text(text: str, max_width_in: float, size: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``max_width_in`` (measured)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and text_width_in(trial, size, weight) > max_width_in:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def write_rows(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write a guarded, deterministic CSV via :func:`trialmeta.safe_csv.write_csv`.

    Text cells starting with ``= + - @`` are neutralised there; NaN becomes empty.
    """
    columns = list(header)
    write_csv(path, (dict(zip(columns, row, strict=True)) for row in rows), columns)
    return Path(path)
