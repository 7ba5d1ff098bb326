"""The HTML report of a real pipeline run, rendered in Debian's headless chromium.

Every page (#executive and one #team-<slug> per team) must render with no console error or
warning and no network request but the file itself; a screenshot of each lands in
test-output/report/ (printed in the log); the figures the browser shows equal the marts.

Needs `chromium` (scripts/setup_chromium.sh, run by `make test`). Without it the tests skip,
except under CI=true, where a missing browser must fail the build rather than hide."""

from __future__ import annotations

import shutil
import time
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project.serve.report.formatting import money_value
from tests.chromium import Chromium, chromium_binary
from tests.conftest import BuiltWarehouse
from tests.unavailable import skip_or_fail_under_ci

pytestmark = [pytest.mark.integration, pytest.mark.browser]

OUTPUT = Path(__file__).resolve().parents[1] / "test-output" / "report"


@pytest.fixture(scope="module")
def browser():
    binary = chromium_binary()
    if binary is None:
        skip_or_fail_under_ci(
            "chromium is not installed (run scripts/setup_chromium.sh as root)",
            "render the report",
        )
    chromium = Chromium(binary)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def report(built_warehouse: BuiltWarehouse) -> Path:
    assert built_warehouse.run_exit_code == 0
    path = built_warehouse.data_dir / "published" / "ai_finops_report.html"
    assert path.is_file(), "the html_report asset did not write the report in the run"
    return path


@pytest.fixture(scope="module")
def rendered(browser: Chromium, report: Path) -> dict[str, dict]:
    """Each page, shown by its URL fragment: what the console said, what was requested."""
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    print(f"\nreport screenshots: {OUTPUT}")
    browser.log.clear()
    browser.open(report.as_uri() + "#executive")
    pages = browser.evaluate(
        "[...document.querySelectorAll('section.page')].map(s => s.dataset.page)"
    )
    seen: dict[str, dict] = {}
    for index, page in enumerate(pages):
        if index:
            browser.log.clear()
            browser.evaluate(f"location.hash = {page!r}")
        browser.wait_for(
            f"document.body.dataset.page === {page!r} && [...document.querySelectorAll("
            f"'#page-' + CSS.escape({page!r}) + ' div.chart')].every(d => d.dataset.drawn)"
        )
        visible = browser.evaluate(
            "[...document.querySelectorAll('section.page')].filter(s => !s.hidden)"
            ".map(s => s.dataset.page)"
        )
        shot = browser.screenshot(OUTPUT / f"{page}.png")
        seen[page] = {
            "console": list(browser.log.console),
            "requests": list(browser.log.requests),
            "visible": visible,
            "charts": browser.evaluate(
                f"document.querySelectorAll('#page-' + CSS.escape({page!r}) + ' .main-svg').length"
            ),
            "screenshot": shot,
        }
    return seen


def _shown(browser: Chromium, selector: str) -> list[dict]:
    """data- attributes of the elements the page shows for a selector."""
    return browser.evaluate(
        f"[...document.querySelectorAll({selector!r})].map(e => Object.assign({{}}, e.dataset))"
    )


def test_every_page_renders_without_console_errors_or_network_requests(rendered, report):
    teams = [page for page in rendered if page.startswith("team-")]
    assert "executive" in rendered and len(teams) >= 2
    for page, seen in rendered.items():
        assert seen["console"] == [], page
        # the first page load fetches the file itself; showing a page fetches nothing
        allowed = [report.as_uri()] if page == "executive" else []
        assert seen["requests"] == allowed, page
        assert seen["visible"] == [page]
        assert seen["charts"] >= 1, f"{page}: no chart drawn"
        assert seen["screenshot"].stat().st_size > 10_000, page


def test_billed_total_shown_equals_the_fact(rendered, browser, built_warehouse):
    with built_warehouse.connect() as con:
        truth = dict(
            con.execute(
                "select billing_currency, sum(billed_cost) from marts.fct_allocated_costs "
                "group by 1"
            ).fetchall()
        )
    browser.evaluate("location.hash = 'executive'")
    shown = {
        e["currency"]: Decimal(e["value"]) for e in _shown(browser, "[data-metric=billed_total]")
    }
    assert truth and shown == {cur: money_value(total) for cur, total in truth.items()}


def test_a_teams_total_shown_equals_the_fact(rendered, browser, built_warehouse):
    with built_warehouse.connect() as con:
        team, currency, total = con.execute(
            """select team_id, billing_currency, sum(billed_cost) from marts.fct_allocated_costs
               where not is_unallocated group by all order by 3 desc limit 1"""
        ).fetchone()
    page = browser.evaluate(
        f"[...document.querySelectorAll('section.page')].find(s => s.dataset.team === {team!r})"
        ".dataset.page"
    )
    browser.evaluate(f"location.hash = {page!r}")
    browser.wait_for(f"document.body.dataset.page === {page!r}")
    shown = [
        e
        for e in _shown(browser, f"#page-{page} [data-metric=team_billed_total]")
        if e["currency"] == currency
    ]
    assert len(shown) == 1 and shown[0]["team"] == team
    assert Decimal(shown[0]["value"]) == money_value(total)


def test_a_cost_per_driver_shown_equals_the_mart(rendered, browser, built_warehouse):
    with built_warehouse.connect() as con:
        rows = con.execute(
            """select driver, dimension, dimension_value, period_start, cost_per_driver
               from marts.rpt_driver_unit_economics_long
               where period_grain = 'month' and cost_per_driver is not null
               order by billed_cost desc"""
        ).fetchall()
    assert rows, "the demo has month-grain costs per driver"
    browser.evaluate("location.hash = 'executive'")
    shown = {
        (e["driver"], e["dimension"], e["dimensionValue"], e["period"]): Decimal(e["value"])
        for e in _shown(browser, "#page-executive [data-metric=cost_per_driver]")
        if "value" in e  # a period still waiting for its bill shows no unit cost
    }
    for driver, dimension, value, period, cost in rows[:3]:
        assert shown[(driver, dimension, value, period.isoformat())] == cost


def test_long_tables_sort_when_a_header_is_clicked(rendered, browser):
    browser.evaluate("location.hash = 'executive'")
    values = browser.evaluate(
        """(() => {
             const th = document.querySelectorAll('#anomalies th')[3];  // Observed
             th.click();
             return [...document.querySelectorAll('#anomalies tbody tr')]
               .map(r => parseFloat(r.cells[3].dataset.sort));
           })()"""
    )
    if not values:
        pytest.skip("the demo run found no anomalies to sort")
    assert values == sorted(values)


def test_the_browser_harness_sees_console_errors_and_requests(browser, tmp_path):
    # the guarantee above is only as good as its detector: a page that logs an error, throws,
    # and loads an outside image must show up in all three records
    page = tmp_path / "bad.html"
    page.write_text(
        "<!doctype html><link rel='icon' href='data:,'><img src='http://example.invalid/x.png'>"
        "<script>console.error('boom'); setTimeout(() => { throw new Error('late'); });</script>"
    )
    browser.log.clear()
    browser.open(page.as_uri())
    browser.wait_for("true")
    time.sleep(0.5)
    browser.evaluate("0")  # drain the events that arrived meanwhile
    assert "http://example.invalid/x.png" in browser.log.requests
    assert any("boom" in line for line in browser.log.console)
    assert any("late" in line for line in browser.log.console)
