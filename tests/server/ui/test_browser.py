"""The web UI in a real Chromium against a real ``autolog server``: what a person sees.

Every test leaves a screenshot (see conftest) and fails on a page error, a console error
(CSP violations included) or a dialog (a stored value that ran as script).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.server.conftest import Server
from tests.server.ui.conftest import Page
from tests.server.ui.seed import XSS_NAME, XSS_PARAM

pytestmark = pytest.mark.slow

# counts the pixels of the first series' colour (#2563eb) on a chart's canvas
_SERIES_PIXELS = """(box) => {
  const canvas = box.querySelector("canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 100 && data[i + 2] > 180 && data[i] < 90 && data[i + 1] < 140) n++;
  return n;
}"""


def names(page: Any) -> list[str]:
    return page.locator("table.runs tbody td.c-name a").all_inner_texts()


def test_experiments_list_with_counts_and_search(tab: Page) -> None:
    page = tab.open("/")
    row = page.locator("table.experiments tbody tr", has_text="churn")
    row.wait_for()
    assert row.locator("td").nth(1).inner_text() == "10"
    tab.shot("experiments")
    page.fill("input[type=search]", "no-such")
    page.get_by_text("No experiment name contains").wait_for()
    assert "q=no-such" in page.url


def test_runs_table_sorts_filters_and_groups_children(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open(f"/experiments/{seeded['experiment_id']}")
    page.locator("table.runs tbody tr").first.wait_for()
    assert len(names(page)) == 10
    # children are grouped under their parent, in the page's order
    rows = page.locator("table.runs tbody tr")
    parent_at = names(page).index("search")
    assert [rows.nth(parent_at + k).get_attribute("data-depth") for k in (1, 2, 3)] == ["1", "1", "1"]
    page.locator("button.sort[title='Sort by Run']").click()
    page.wait_for_function("() => location.hash.includes('order=')")
    page.wait_for_function("() => document.querySelector('th.sorted')")
    tops = [n for n in names(page) if not n.startswith("trial")]
    assert tops == sorted(tops)
    tab.shot("runs-sorted")
    page.fill("input.filter", "metrics.acc > 0.85 AND (params.model = 'mlp' OR tags.team = 'nobody')")
    page.press("input.filter", "Enter")
    page.wait_for_function("() => document.querySelectorAll('table.runs tbody tr').length === 2")
    assert sorted(names(page)) == ["deep", "wide"]
    assert "filter=" in page.url
    tab.shot("runs-filtered")


def test_bad_filter_shows_an_inline_error(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open(f"/experiments/{seeded['experiment_id']}")
    page.locator("table.runs tbody tr").first.wait_for()
    page.fill("input.filter", "metrics.acc > AND")
    page.press("input.filter", "Enter")
    error = page.locator(".filter-error")
    error.wait_for()
    assert "column" in error.inner_text() and "^" in error.inner_text()
    assert "invalid" in (page.locator("input.filter").get_attribute("class") or "")
    tab.shot("runs-bad-filter")


def test_column_picker_adds_a_metric_column_kept_in_the_address(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open(f"/experiments/{seeded['experiment_id']}")
    page.locator("table.runs tbody tr").first.wait_for()
    page.get_by_role("button", name="Columns").click()
    page.locator("[data-column='metrics.acc']").check()
    header = page.locator("table.runs thead th.col-metrics", has_text="acc")
    header.wait_for()
    deep = page.locator("table.runs tbody tr", has=page.locator("a", has_text=re.compile("^deep$")))
    assert deep.locator("td.num").last.inner_text() == "0.91"
    assert "col=metrics.acc" in page.url
    tab.shot("runs-column-picker")
    page.reload()
    page.locator("table.runs thead th.col-metrics", has_text="acc").wait_for()
    # sort by the new column, descending
    page.locator("button.sort[title='Sort by acc']").click()
    page.locator("button.sort[title='Sort by acc']").click()
    page.wait_for_function("() => location.hash.includes('DESC')")
    # the table is drawn again from the server's answer: wait until its numbers are in order
    page.wait_for_function(
        """() => {
          const cells = [...document.querySelectorAll("table.runs tbody tr[data-depth='0'] td.num")];
          const values = cells.map((td) => td.textContent).filter(Boolean).map(Number);
          return values.length > 1 && values.every((v, i) => i === 0 || values[i - 1] >= v);
        }"""
    )
    values = [float(v) for v in page.locator("table.runs tbody tr[data-depth='0'] td.num").all_inner_texts() if v]
    assert values == sorted(values, reverse=True)


def test_run_page_draws_metric_charts(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open(f"/runs/{seeded['runs']['trial-1']}")
    chart = page.locator(".chart[data-key='loss']")
    chart.wait_for()
    page.wait_for_function("() => document.querySelector(\".chart[data-key='loss']\")?.dataset.drawn")
    assert chart.evaluate(_SERIES_PIXELS) > 200
    assert chart.get_attribute("data-points") == "200"
    assert page.get_by_text("Parent run:").is_visible()
    # log scale, smoothing and wall time redraw it
    page.get_by_label("Log scale").check()
    page.select_option("select[aria-label='X axis']", "relative")
    page.wait_for_function("() => document.querySelector(\".chart[data-key='loss'] .u-legend\")?.textContent.includes('Relative')")
    assert chart.evaluate(_SERIES_PIXELS) > 200
    # a second metric on the same chart
    chart.locator("select.add-metric").select_option("acc")
    chart.locator(".chart-title", has_text="loss, acc").wait_for()
    tab.shot("run-charts")


def test_system_metrics_have_their_own_section(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open(f"/runs/{seeded['runs']['deep']}")
    section = page.locator(".system-section")
    section.locator(".chart[data-key='system/cpu_utilization_percentage']").wait_for()
    assert section.is_visible()


def test_artifact_previews(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open(f"/runs/{seeded['runs']['artifacts']}")
    tree = page.locator(".tree")
    tree.locator("button.entry", has_text="data").click()
    tree.locator("button.entry", has_text="predictions.csv").click()
    table = page.locator(".preview table.csv-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == 25
    assert table.locator("thead th").all_inner_texts() == ["id", "feature", "score", "label"]
    assert table.locator("tbody tr").nth(3).locator("td").nth(1).inner_text() == "f, 3"
    assert page.locator(".preview a.download").get_attribute("href").endswith("/data/predictions.csv")
    tab.shot("artifact-csv")

    tree.locator("button.entry", has_text="plots").click()
    tree.locator("button.entry", has_text="loss.svg").click()
    svg = page.locator(".preview img.svg")
    svg.wait_for()
    assert svg.get_attribute("src").startswith("blob:")
    page.wait_for_function("() => document.querySelector('.preview img.svg')?.naturalWidth === 200")
    tab.shot("artifact-svg")
    tree.locator("button.entry", has_text="image.png").click()
    page.wait_for_function("() => document.querySelector('.preview img.image')?.naturalWidth === 64")

    tree.locator("button.entry", has_text="config.json").click()
    page.locator(".preview pre.json", has_text='"layers": [').wait_for()
    tree.locator("button.entry", has_text="logs").click()
    tree.locator("button.entry", has_text="train.log").click()
    page.locator(".preview pre.text", has_text="<script>alert('log')</script>").wait_for()

    tree.locator("button.entry", has_text="model").first.click()
    model = page.locator(".preview .model")
    model.wait_for()
    assert "sklearn" in model.locator("table.flavors").inner_text()
    assert any(r.startswith("scikit-learn==") for r in model.locator(".requirements li").all_inner_texts())
    assert model.locator("table.signature").count() == 2
    assert model.locator("table.example tbody tr").count() == 2
    tab.shot("artifact-model")


def test_compare_overlays_runs_and_marks_differences(tab: Page, seeded: dict[str, Any]) -> None:
    ids = ",".join(seeded["runs"][n] for n in ("baseline", "wide", "deep"))
    page = tab.open(f"/compare?runs={ids}&metric=loss")
    chart = page.locator(".compare-chart")
    page.wait_for_function("() => document.querySelector('.compare-chart')?.dataset.drawn")
    assert chart.get_attribute("data-points") == "300"
    legend = chart.locator(".u-legend").inner_text()
    assert all(name in legend for name in ("baseline", "wide", "deep"))
    assert chart.evaluate(_SERIES_PIXELS) > 100
    params = page.locator("table.compare", has=page.locator("th", has_text="layers"))
    assert "diff" in (params.locator("tr", has_text="layers").get_attribute("class") or "")
    assert "diff" not in (params.locator("tr", has_text="model").get_attribute("class") or "")
    assert page.locator("svg.scatter circle.point").count() == 3
    tab.shot("compare")


def test_registry_pages_list_versions_aliases_and_history(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open("/models")
    page.locator("table.models a", has_text=seeded["model"]).click()
    versions = page.locator("table.versions tbody tr")
    versions.first.wait_for()
    assert versions.count() == 3
    assert page.locator("tr[data-version='2'] .alias").inner_text() == "@champion"
    assert page.locator("tr[data-version='3'] .alias").inner_text() == "@challenger"
    assert page.locator("table.history", has_text="@champion: v1 → v2").is_visible()
    assert "owner" in page.locator("table.tags").inner_text()
    tab.shot("registry-model")


def test_markup_in_stored_values_shows_as_text(tab: Page, seeded: dict[str, Any]) -> None:
    page = tab.open(f"/experiments/{seeded['experiment_id']}")
    page.locator("table.runs a", has_text=XSS_NAME).wait_for()
    assert page.locator("img[src=x]").count() == 0
    page.locator("table.runs a", has_text=XSS_NAME).click()
    page.locator("h1", has_text=XSS_NAME).wait_for()
    assert page.locator("table.params td", has_text=XSS_PARAM).is_visible()
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
    tab.shot("xss-as-text")


def test_a_run_in_progress_updates_without_reloading(tab: Page, ui_server: Server, seeded: dict[str, Any]) -> None:
    run = ui_server.api("POST", "runs/create", {"experiment_id": seeded["experiment_id"], "run_name": "in-progress"})["run"]
    run_id = run["info"]["run_id"]
    ui_server.api("POST", "runs/log-batch", {"run_id": run_id, "metrics": [{"key": "loss", "value": 1.0, "timestamp": 1, "step": 0}]})
    page = tab.open(f"/runs/{run_id}")
    page.wait_for_function("() => document.querySelector(\".chart[data-key='loss']\")?.dataset.points === '1'")
    points = [{"key": "loss", "value": 1 / (s + 1), "timestamp": 1 + s, "step": s} for s in range(1, 50)]
    ui_server.api("POST", "runs/log-batch", {"run_id": run_id, "metrics": points})
    page.wait_for_function("() => document.querySelector(\".chart[data-key='loss']\")?.dataset.points === '50'", timeout=30_000)
    ui_server.api("POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 10_000_000_000_000})
    page.locator(".summary .status", has_text="FINISHED").wait_for(timeout=30_000)
    tab.shot("run-live")


def test_pages_carry_a_content_security_policy(ui_server: Server) -> None:
    for path in ("/", "/static/app.js", "/static/app.css"):
        response = ui_server.call("GET", path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert "<script type=\"module\" src=\"/static/app.js\">" in ui_server.call("GET", "/").text


def test_a_server_with_a_token_asks_for_it(browser: Any, seeded: dict[str, Any], shots: Any, tmp_path: Any) -> None:
    from tests.server.conftest import start_server, stop_server

    write, read = tmp_path / "token", tmp_path / "viewer"
    write.write_text("w" * 32 + "\n")
    read.write_text("r" * 32 + "\n")
    server = start_server(seeded["uri"], None, "--token-file", str(write), "--read-token-file", str(read))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        # the page and its assets hold no data and need no token; every API call does
        assert httpx_get(server.url + "/").status_code == 200 and httpx_get(server.url + "/static/app.js").status_code == 200
        assert httpx_get(server.url + "/static/../api/autolog/ui/experiments").status_code in (401, 404)
        tab = Page(context.new_page(), server.url, shots)
        page = tab.open(f"/runs/{seeded['runs']['artifacts']}")
        page.get_by_text("This server needs a token").wait_for()
        page.fill("input[type=password]", "r" * 32)
        page.press("input[type=password]", "Enter")
        page.locator("h1", has_text="artifacts").wait_for()
        page.locator(".tree button.entry", has_text="plots").click()
        page.locator(".tree button.entry", has_text="image.png").click()
        page.wait_for_function("() => document.querySelector('.preview img.image')?.naturalWidth === 64")
        assert page.locator(".preview img.image").get_attribute("src").startswith("blob:")
        tab.shot("token")
        assert [e for e in tab.errors if "401" not in e] == [] and tab.dialogs == []
    finally:
        context.close()
        stop_server(server)


def httpx_get(url: str) -> Any:
    import httpx

    return httpx.get(url, timeout=30)
