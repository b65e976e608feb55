"""animate(): the page's frames, that it is self-contained, and that it plays in a real browser."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from microgradlab import MLP, Value
from microgradlab.viz import animate


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


class Page(HTMLParser):
    """Collects the tags, attributes and the frames' JSON of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def frames_of(page_text):
    page = Page()
    page.feed(page_text)
    script = "".join(page.scripts)
    return page, json.loads(re.search(r"var frames = (\[.*?\]);\n", script).group(1))


def test_frames_are_the_forward_then_the_backward_steps():
    o = neuron()
    movie = animate(o)
    page, frames = frames_of(movie.to_html())
    n_ops = 5  # x1*w1, x2*w2, +, + b, tanh
    assert movie.n_forward == n_ops and movie.n_backward == n_ops
    assert len(frames) == len(movie.frames) == n_ops + n_ops
    assert [f["title"].split(":")[0] for f in frames] == (
        [f"forward {k}/5" for k in range(1, 6)] + [f"backward {k}/5" for k in range(1, 6)])
    assert frames[4]["data"] and frames[4]["title"].endswith("o = tanh(n) = 0.7071")
    # the first backward frame seeds o.grad = 1 and writes the product on the edge n -> o
    assert frames[5]["grad"] == {str(frames[4]["node"]): "1", str(frames[3]["node"]): "0.5"}
    assert list(frames[5]["edges"].values()) == ["0.5 × 1 = 0.5"]
    last = frames[-1]
    assert sorted(last["edges"].values()) == ["-3 × 0.5 = -1.5", "2 × 0.5 = 1"]
    assert round(o.grad, 12) == 1.0  # backward ran


def test_page_is_self_contained():
    text = animate(neuron()).to_html()
    page, _ = frames_of(text)
    assert not re.search(r"https?:|//[a-z]", text)  # no URL at all
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed")
        assert "src" not in attrs and "href" not in attrs
    assert {tag for tag, _ in page.tags} >= {"svg", "script", "button", "input"}
    assert any(t == "input" and a.get("type") == "range" for t, a in page.tags)


def test_an_input_used_twice_gets_two_edges_and_accumulates():
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    frames = animate(b).frames
    assert len(frames) == 2
    assert list(frames[1]["edges"].values()) == ["3 × 1 = 3", "3 × 1 = 3"]
    assert frames[1]["grad"][0] == "6"


def test_a_network_collapses_its_leaves_and_stays_small():
    model = MLP(3, [16, 16, 1], seed=0)
    out = model([0.5, -1.0, 2.0])
    movie = animate(out)
    assert movie.svg.count('class="node') == 65  # dot and activation of 33 neurons (the output is linear), no weights
    assert movie.n_backward < movie.n_forward  # inactive relus pass nothing back: backward skips them
    assert movie.n_forward == len([f for f in movie.frames if f["title"].startswith("forward")])
    assert len(movie.to_html()) < 400_000
    everything = animate(out.tanh(), collapse=None)
    assert everything.svg.count('class="node leaf') > 300


def test_bad_arguments():
    with pytest.raises(TypeError, match="animate: expected a Value"):
        animate(2.0)
    with pytest.raises(ValueError, match="collapse must be"):
        animate(Value(1.0) * 2, collapse="layers")


def test_jupyter_and_saving(tmp_path):
    movie = animate(neuron())
    fragment = movie._repr_html_()
    assert fragment.startswith("<div id=") and "<script>" in fragment and "<html" not in fragment
    path = tmp_path / "backprop.html"
    movie.save(path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_plays_in_headless_chromium(tmp_path):
    path = tmp_path / "backprop.html"
    movie = animate(neuron())
    movie.save(path)
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    url = f"{path.as_uri()}#frame=7"
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    # the script ran: frame 7 (backward step 2, at n) is shown, n highlighted, its inputs' gradients filled in
    assert "frame 7 of 10" in dom
    assert movie.frames[6]["title"] in dom.replace("&gt;", ">")
    assert re.search(r'class="node op current"[^>]*>.*?n \(\+\)', dom)
    assert "1 × 0.5 = 0.5" in dom
    shot = tmp_path / "frame7.png"
    subprocess.run(flags + ["--window-size=1200,500", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
