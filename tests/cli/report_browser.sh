#!/usr/bin/env bash
# report.html in a real browser: renders the report made from the fixture
# tests/data/report/report.json in headless Chromium (Debian's, from scripts/setup),
# checks the charts and tables are in the rendered DOM and the page loads nothing from
# the network, and that a screenshot of it is not blank. Then the same for
# report_cv.json (baselines: softmax regression, k-NN, and the cross-validation section
# with its two interval plots).
# labels: browser
# timeout: 120
set -euo pipefail
: "${PANCAN:?}" "${PANCAN_SCRATCH:?}" "${PANCAN_TEST_DATA:?}"
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH"
cd "$PANCAN_SCRATCH"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$PANCAN" report --from "$PANCAN_TEST_DATA/report/report.json" --out out
[[ -s out/report.html && -s out/report.md && -s out/report.json ]] || fail "report files missing"

chromium_flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --user-data-dir="$PANCAN_SCRATCH/profile")
# The page must not reach out: with every request to anything but file:// refused, the
# DOM must still be complete (and the HTML itself names no external resource).
chromium "${chromium_flags[@]}" --host-resolver-rules="MAP * ~NOTFOUND" \
  --dump-dom "file://$PANCAN_SCRATCH/out/report.html" >dom.html 2>chromium-dom.log ||
  { cat chromium-dom.log >&2; fail "chromium --dump-dom failed"; }
chromium "${chromium_flags[@]}" --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars \
  --window-size=1280,3200 --screenshot="$PANCAN_SCRATCH/shot.png" \
  "file://$PANCAN_SCRATCH/out/report.html" >/dev/null 2>chromium-shot.log ||
  { cat chromium-shot.log >&2; fail "chromium --screenshot failed"; }
[[ -s shot.png ]] || fail "no screenshot"

/usr/bin/python3 - "$PANCAN_SCRATCH/dom.html" "$PANCAN_SCRATCH/shot.png" <<'PY'
import re
import sys
from html.parser import HTMLParser

from PIL import Image

dom_path, shot_path = sys.argv[1], sys.argv[2]
dom = open(dom_path, encoding="utf-8").read()


class Collector(HTMLParser):
    """Counts the elements the report promises, as the browser left them in the DOM."""

    def __init__(self):
        super().__init__()
        self.svgs = {}
        self.ids = set()
        self.external = []
        self.polylines = 0
        self.cells = 0
        self.count_texts = 0
        self._in_count = False
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs[a.get("class")] = self.svgs.get(a.get("class"), 0) + 1
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table":
            self.tables += 1
        if tag == "polyline" and a.get("class") == "series" and len(a.get("points", "").split()) == 10:
            self.polylines += 1
        if tag == "rect" and a.get("class") == "cell":
            self.cells += 1
        self._in_count = tag == "text" and a.get("class") == "count"
        for key in ("src", "href"):
            if key in a and not a[key].startswith("#"):
                self.external.append((tag, a[key]))
        if tag in ("script", "iframe", "object", "embed"):
            self.external.append((tag, a))

    def handle_data(self, data):
        if self._in_count and data.strip().isdigit():
            self.count_texts += 1
        self._in_count = False


c = Collector()
c.feed(dom)
problems = []
if c.svgs.get("learning-curve") != 4:
    problems.append(f"expected 4 learning-curve charts (loss + accuracy x 2 models), got {c.svgs}")
if c.svgs.get("confusion-heatmap") != 2:
    problems.append(f"expected 2 confusion heat maps, got {c.svgs}")
if c.polylines != 8:
    problems.append(f"expected 8 curves of 10 epochs, got {c.polylines}")
if c.cells != 50 or c.count_texts != 50:
    problems.append(f"expected 2 x 25 heat-map cells with counts, got {c.cells} / {c.count_texts}")
for wanted in ("comparison", "data", "timings", "best-model", "model-model1", "model-model2"):
    if wanted not in c.ids:
        problems.append(f"no element #{wanted}")
if c.tables < 7:
    problems.append(f"expected at least 7 tables, got {c.tables}")
if c.external:
    problems.append(f"external resources: {c.external}")
if not re.search(r'id="best-model">[^<]*<strong>model2</strong>', dom):
    problems.append("the comparison does not name model2 (best by validation) as best")

image = Image.open(shot_path).convert("RGB")
colours = image.getcolors(maxcolors=1 << 20)
distinct = len(colours) if colours else 1 << 20
# A blank or failed render is one or two colours; text, charts and heat maps give hundreds.
if distinct < 200:
    problems.append(f"screenshot looks blank: {distinct} distinct colours")
# The heat maps' darkest blue (8,48,107) must be on screen: the charts were painted.
if not any(abs(r - 8) + abs(g - 48) + abs(b - 107) < 12 for _, (r, g, b) in (colours or [])):
    problems.append("no heat-map colour in the screenshot")
if problems:
    print("\n".join("FAIL: " + p for p in problems), file=sys.stderr)
    sys.exit(1)
print(f"ok: DOM has {c.svgs} and {c.tables} tables; screenshot {image.size} with {distinct} colours")
PY

# --- the baselines-and-CV report ---------------------------------------------------------
"$PANCAN" report --from "$PANCAN_TEST_DATA/report/report_cv.json" --out cv
chromium "${chromium_flags[@]}" --host-resolver-rules="MAP * ~NOTFOUND" \
  --dump-dom "file://$PANCAN_SCRATCH/cv/report.html" >cv-dom.html 2>chromium-cv-dom.log ||
  { cat chromium-cv-dom.log >&2; fail "chromium --dump-dom failed (cv)"; }
# Tall enough to reach the CV section at the bottom of the page.
chromium "${chromium_flags[@]}" --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars \
  --window-size=1280,9000 --screenshot="$PANCAN_SCRATCH/cv-shot.png" \
  "file://$PANCAN_SCRATCH/cv/report.html" >/dev/null 2>chromium-cv-shot.log ||
  { cat chromium-cv-shot.log >&2; fail "chromium --screenshot failed (cv)"; }
/usr/bin/python3 - "$PANCAN_SCRATCH/cv-dom.html" "$PANCAN_SCRATCH/cv-shot.png" <<'PY'
import sys
from html.parser import HTMLParser

from PIL import Image

dom = open(sys.argv[1], encoding="utf-8").read()


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs, self.ids, self.marks, self.external = {}, set(), {}, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs[a.get("class")] = self.svgs.get(a.get("class"), 0) + 1
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("circle", "line") and a.get("class") in ("mean", "fold", "interval"):
            self.marks[a["class"]] = self.marks.get(a["class"], 0) + 1
        for key in ("src", "href"):
            if key in a and not a[key].startswith("#"):
                self.external.append((tag, a[key]))


c = Collector()
c.feed(dom)
problems = []
if c.svgs.get("cv-interval") != 2:
    problems.append(f"expected 2 cv-interval plots (accuracy, macro F1), got {c.svgs}")
if c.svgs.get("learning-curve") != 6:
    problems.append(f"expected 6 learning curves (3 networks; none for k-NN), got {c.svgs}")
if c.svgs.get("confusion-heatmap") != 4:
    problems.append(f"expected 4 confusion heat maps (k-NN included), got {c.svgs}")
# 4 models x 2 plots: a mean and an interval each; 10 fold scores each.
want = {"mean": 8, "interval": 8, "fold": 80}
if c.marks != want:
    problems.append(f"expected interval-plot marks {want}, got {c.marks}")
for wanted in ("cv", "cv-summary", "cv-comparisons", "model-knn", "model-softmax"):
    if wanted not in c.ids:
        problems.append(f"no element #{wanted}")
if c.external:
    problems.append(f"external resources: {c.external}")
image = Image.open(sys.argv[2]).convert("RGB")
colours = image.getcolors(maxcolors=1 << 20) or []
# The means are drawn in (214,39,40): the interval plots were painted.
if not any(abs(r - 214) + abs(g - 39) + abs(b - 40) < 12 for _, (r, g, b) in colours):
    problems.append("no interval-plot mean colour in the screenshot")
if problems:
    print("\n".join("FAIL: " + p for p in problems), file=sys.stderr)
    sys.exit(1)
print(f"ok: CV report DOM has {c.svgs} and marks {c.marks}")
PY
