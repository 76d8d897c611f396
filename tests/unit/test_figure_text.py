"""Every figure text is drawable: control characters never reach a figure file.

Found by the workflow hostile-text test (tests/workflow/test_hostile_text_workflow.py):
an arm description with an OSC escape (ESC ] 0 ; t BEL) reached the forest, Baujat, LOO,
GOSH and TSA labels, and matplotlib's SVG backend copied it into an XML comment, which made
every such SVG invalid XML (XML 1.0 forbids C0 controls but tab, LF and CR).
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt

from trialmeta.plots._style import drawable_text, save_figure


def test_svg_with_control_characters_in_labels_is_well_formed(tmp_path):
    fig, ax = plt.subplots()
    label = "Arm \x1b]0;pwned\x07 vs\tsham\x00\x85\x7f\ufffe end"
    ax.set_title(label)
    ax.set_yticks([0], [label])
    svg, png = save_figure(fig, tmp_path / "f", formats=("svg", "png"))
    plt.close(fig)
    text = svg.read_text(encoding="utf-8")
    ET.fromstring(text)  # well-formed
    assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"]
    assert "Arm ]0;pwned vs sham end" in text  # the label's comment, minus the controls
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_drawable_text_keeps_line_breaks_and_printable_text():
    assert (
        drawable_text("line 1\nline 2 <b>&amp;</b> $x$ \u202e")
        == "line 1\nline 2 <b>&amp;</b> $x$ \u202e"
    )
    assert drawable_text("\x01\x02") == ""
