"""Render-fit: every text run of a drawn graph stays inside its cell, whichever renderer laid it out
and whichever viewer draws it.

Each graph is rendered by each installed renderer (the system's ``dot`` and
``graphviz-pure``).  The SVG's cells are its node polygons (and ellipses); each
text run belongs to the smallest cell holding its anchor point.  The text's real
extent is then measured by a viewer:

* librsvg (``rsvg-convert``, as image viewers and converters use): every run is
  redrawn alone on its own row of one SVG, rasterised, and its ink measured;
* Chromium (when installed): ``getBBox()`` of every run, in the page itself.

Both are measured with the machine's fonts and again with only DejaVu (a viewer
without the metric-compatible Liberation fonts: Helvetica then falls back to the
much wider DejaVu Sans, which is how graphs sized for Helvetica overflowed).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

import pytest

from microgradlab import MLP, Value
from microgradlab.viz import available_renderers, pipe, to_dot

SVG = "{http://www.w3.org/2000/svg}"
RSVG = shutil.which("rsvg-convert")
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
ZOOM = 4  # rasterise 4 times larger: ink is measured to a fraction of a point
STROKE = 0.5  # half a cell border's width: text touching the border crosses it


class Run(NamedTuple):
    """A text run: its anchor, attributes and text, and the cell (x0, y0, x1, y1) it must stay in."""

    x: float
    y: float
    attrib: Dict[str, str]
    text: str
    cell: Tuple[float, float, float, float]


def _box(points: str) -> Tuple[float, float, float, float]:
    xs, ys = zip(*((float(a), float(b)) for a, b in (p.split(",") for p in points.split())))
    return min(xs), min(ys), max(xs), max(ys)


def text_runs(svg: bytes) -> List[Run]:
    """Every text run inside a node, with its cell; a run outside every cell of its node fails here."""
    runs = []
    for node in ET.fromstring(svg).iter(f"{SVG}g"):
        if node.get("class") != "node":
            continue
        cells = [_box(p.get("points")) for p in node.iter(f"{SVG}polygon")]
        cells += [(float(e.get("cx")) - float(e.get("rx")), float(e.get("cy")) - float(e.get("ry")),
                   float(e.get("cx")) + float(e.get("rx")), float(e.get("cy")) + float(e.get("ry")))
                  for e in node.iter(f"{SVG}ellipse")]
        for t in node.iter(f"{SVG}text"):
            if not (t.text or "").strip():
                continue
            x, y = float(t.get("x")), float(t.get("y"))
            holding = [c for c in cells if c[0] <= x <= c[2] and c[1] <= y <= c[3]]
            if not cells:
                continue  # a plaintext node (a constant): no border to cross
            assert holding, f"{t.text!r} is anchored outside every cell of its node"
            cell = min(holding, key=lambda c: (c[2] - c[0]) * (c[3] - c[1]))
            runs.append(Run(x, y, dict(t.attrib), t.text, cell))
    return runs


def _fontconfig(tmp_path: Path, fonts: str) -> Dict[str, str]:
    env = dict(os.environ)
    if fonts == "dejavu-only":
        if not DEJAVU.is_dir():
            pytest.skip("the DejaVu fonts (fonts-dejavu-core) are not installed")
        conf = tmp_path / "fonts.conf"
        conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                        f'<dir>{DEJAVU}</dir><cachedir>{tmp_path / "fc-cache"}</cachedir>'
                        f'<include ignore_missing="yes">/etc/fonts/conf.d</include></fontconfig>')
        env["FONTCONFIG_FILE"] = str(conf)
    return env


def librsvg_extents(runs: List[Run], tmp_path: Path, env: Dict[str, str]) -> List[Tuple[float, float, float, float]]:
    """The ink box of each run as librsvg draws it, in the SVG's coordinates."""
    Image = pytest.importorskip("PIL.Image", reason="measuring the raster needs pillow (the test extra)")
    row, pad = 24.0, 120.0  # each run on its own row, anchored at x = pad (room for any text-anchor)
    width = 2 * pad + max(len(r.text) for r in runs) * 12.0
    keep = ("font-family", "font-size", "font-weight", "font-style", "text-anchor")
    body = "".join(
        f'<text x="{pad}" y="{(i + 0.6) * row}" ' + " ".join(f'{k}="{html.escape(r.attrib[k])}"'
                                                             for k in keep if k in r.attrib)
        + f' xml:space="preserve">{html.escape(r.text)}</text>' for i, r in enumerate(runs))
    page = tmp_path / "runs.svg"
    page.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}pt" height="{row * len(runs)}pt" '
                    f'viewBox="0 0 {width} {row * len(runs)}"><rect width="100%" height="100%" fill="white"/>'
                    f'{body}</svg>')
    png = tmp_path / "runs.png"
    subprocess.run([RSVG, "-z", str(ZOOM), "-o", str(png), str(page)], check=True, env=env)
    # ink is whatever is darker than mid-grey; getbbox finds it without a pixel loop in Python
    ink = Image.open(png).convert("L").point(lambda p: 255 if p < 128 else 0)
    scale = ink.width / width  # pixels per SVG unit
    boxes = []
    for i, r in enumerate(runs):
        top = int(i * row * scale)
        found = ink.crop((0, top, ink.width, int((i + 1) * row * scale))).getbbox()
        assert found, f"librsvg drew nothing for {r.text!r}"
        left, upper, right, lower = found
        baseline = (i + 0.6) * row
        boxes.append((r.x + left / scale - pad, r.y + (top + upper) / scale - baseline,
                      r.x + right / scale - pad, r.y + (top + lower) / scale - baseline))
    return boxes


def chromium_extents(svg: bytes, tmp_path: Path, env: Dict[str, str]) -> List[Tuple[float, float, float, float]]:
    """``getBBox()`` of each text run in a node, as Chromium lays it out, in document order."""
    script = ("const out = [];"
              "for (const t of document.querySelectorAll('g.node text')) {"
              "  if (!t.textContent.trim() || !t.parentNode.querySelector('polygon, ellipse')) continue;"
              "  const b = t.getBBox(); out.push([b.x, b.y, b.x + b.width, b.y + b.height]); }"
              "document.getElementById('out').textContent = JSON.stringify(out);")
    # A page and a profile of its own for each graph: a reused file:// page can come back from
    # Chromium's cache with the previous graph's text (seen once in CI: 81 runs measured for 74).
    digest = hashlib.sha256(svg).hexdigest()[:16]
    page = tmp_path / f"page-{digest}.html"
    body = re.sub(rb"^<\?xml[^>]*>|<!DOCTYPE[^>]*>", b"", svg.strip()).decode("utf-8")
    page.write_text(f"<!DOCTYPE html><html><body>{body}<pre id='out'></pre><script>{script}</script></body></html>")
    profile = tmp_path / f"chromium-profile-{digest}"
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                          capture_output=True, env=env, timeout=120)
    found = re.search(rb"<pre id=\"out\">(.*?)</pre>", proc.stdout, re.S)
    assert found and found.group(1), f"Chromium measured nothing: {proc.stderr[-500:]!r}"
    return [tuple(b) for b in json.loads(html.unescape(found.group(1).decode("utf-8")))]


def graphs():
    """The issue's cases: a model's long parameter names and negative numbers, the legend, NaN, and boxes."""
    model = MLP(2, [3, 1], seed=0)
    out = model([Value(0.8648, label="x1"), Value(-3.0, label="x2")])
    out.backward()
    x = Value(-3.0, label="data")
    bad = x * float("nan") + Value(1e-7, label="tiny")
    bad.backward()
    model2 = MLP(2, [4, 4, 1], seed=1)
    loss = sum((model2([a, b]) - 1.0) ** 2 for a, b in ((0.5, -1.0), (1.5, 2.0)))
    loss.backward()
    return {
        "model": to_dot(out, model=model),
        "nan": to_dot(bad),
        "neurons": to_dot(loss, collapse="neuron", model=model2),
        "layers": to_dot(loss, collapse="layer", model=model2),
    }


RENDERERS = [r.name for r in available_renderers()]
VIEWERS = ["librsvg", "chromium"]


@pytest.fixture(scope="module")
def rendered():
    drawn = graphs()
    return {(renderer, name): pipe(graph, renderer=renderer) for renderer in RENDERERS
            for name, graph in drawn.items()}


@pytest.mark.parametrize("fonts", ["system", "dejavu-only"])
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("renderer", ["dot", "graphviz-pure"])
def test_every_text_run_stays_inside_its_cell(renderer, viewer, fonts, rendered, tmp_path):
    if renderer not in RENDERERS:
        pytest.skip(f"renderer {renderer!r} is not installed")
    if viewer == "librsvg" and RSVG is None:
        pytest.skip("rsvg-convert (Debian librsvg2-bin) is not installed")
    if viewer == "chromium" and CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    env = _fontconfig(tmp_path, fonts)
    checked = 0
    for (who, name), svg in rendered.items():
        if who != renderer:
            continue
        runs = text_runs(svg)
        boxes = librsvg_extents(runs, tmp_path, env) if viewer == "librsvg" else chromium_extents(svg, tmp_path, env)
        assert len(boxes) == len(runs)
        for run, (x0, y0, x1, y1) in zip(runs, boxes):
            c0, d0, c1, d1 = run.cell
            inside = c0 + STROKE <= x0 and x1 <= c1 - STROKE and d0 + STROKE <= y0 and y1 <= d1 - STROKE
            assert inside, (f"{name} graph, {renderer} layout, {viewer} with {fonts} fonts: {run.text!r} spans "
                            f"x {x0:.1f}..{x1:.1f}, y {y0:.1f}..{y1:.1f} in a cell x {c0:.1f}..{c1:.1f}, "
                            f"y {d0:.1f}..{d1:.1f}")
            checked += 1
    assert checked > 50  # every value cell, box title, op symbol and legend entry of the four graphs
