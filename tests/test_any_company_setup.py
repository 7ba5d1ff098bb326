"""Any company's setup runs (issue 8, part 5): any subset of sources builds and publishes with
the invariants holding for the sources present; every seed declares its column types, a
header-only seed works and a seed that failed to load once does not break the next run;
fixed-percentage shares that do not sum to 100 and overlapping price overrides fail a check
that names them; relative paths in the AIFINOPS_* variables work.

The seed and reference-check tests run dbt alone on a copy of the dbt project (so a test can
edit a seed) against a warehouse whose raw tables exist but are empty. The subset matrix runs
the whole pipeline on a small generated landing folder with the other source folders deleted.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from dagster_project import db
from dagster_project.config import DBT_PROJECT_DIR, REPO_ROOT, SEEDS_DIR, Settings
from dagster_project.demo.generator import DemoConfig, generate
from dagster_project.run import failure_reasons
from dagster_project.serve.publish import published_path
from tests.conftest import pipeline_env, run_pipeline
from tests.dbt_copy import DbtCopy

# --------------------------------------------------------------------------------------------
# Seeds declare their column types
# --------------------------------------------------------------------------------------------


def _seed_column_types(seeds_dir: Path) -> dict[str, dict[str, str]]:
    """column_types of every seed declared in any properties file under seeds/."""
    declared: dict[str, dict[str, str]] = {}
    for path in sorted(seeds_dir.glob("*.yml")) + sorted(seeds_dir.glob("*.yaml")):
        for seed in (yaml.safe_load(path.read_text()) or {}).get("seeds", []):
            declared[seed["name"]] = dict((seed.get("config") or {}).get("column_types") or {})
    return declared


def test_every_seed_declares_a_type_for_every_column():
    declared = _seed_column_types(SEEDS_DIR)
    seeds = sorted(SEEDS_DIR.glob("*.csv"))
    assert seeds, "no seed files found"
    for path in seeds:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle))
        types = declared.get(path.stem)
        assert types is not None, f"seeds/{path.name}: no column_types declared in seeds/*.yml"
        assert sorted(types) == sorted(header), (
            f"seeds/{path.name}: columns {header} but column_types declares {sorted(types)}"
        )


# --------------------------------------------------------------------------------------------
# dbt alone on a copy of the project
# --------------------------------------------------------------------------------------------


@pytest.fixture
def dbt_copy(tmp_path: Path) -> DbtCopy:
    return DbtCopy(tmp_path)


def _openai_fixed_percentage_rule(
    columns: list[str], rule_id: str, priority: str, match_description: str
) -> list[str]:
    """A row of the allocation_rules seed: OpenAI charges whose description matches are split
    by the fixed shares of allocation_rule_shares, per billing period."""
    rule = dict.fromkeys(columns, "")
    rule.update(rule_id=rule_id, priority=priority, charge_provider_id="openai",
                match_description=match_description, method="fixed_percentage",
                period_scope="billing_period")  # fmt: skip
    return list(rule.values())


def _failures(project: DbtCopy, test_name: str) -> list[str]:
    """The reasons `aifinops-run` prints under a failed check (the test stores its failures)."""
    return failure_reasons(project.warehouse, test_name)


def test_fixed_shares_not_summing_to_100_fail_naming_rule_sum_and_teams(dbt_copy: DbtCopy):
    header = ["rule_id", "team_id", "share_pct"]
    dbt_copy.write_seed(
        "allocation_rule_shares",
        [header, ["fee_rule_x", "team_b", "50"], ["fee_rule_x", "team_a", "40"]],
    )
    rules = dbt_copy.read_seed("allocation_rules")
    method = rules[0].index("method")
    for row in rules[1:]:
        row[method] = "proportional_usage"
    rule = _openai_fixed_percentage_rule(rules[0], "fee_rule_x", "5", "%fee%")
    dbt_copy.write_seed("allocation_rules", [*rules, rule])

    result = dbt_copy.dbt("build", "--select", "allocation_rule_shares", "allocation_rules")

    assert result.returncode != 0, result.stdout[-3000:]
    assert "assert_fixed_percentage_shares_sum_to_100" in result.stdout
    reasons = _failures(dbt_copy, "assert_fixed_percentage_shares_sum_to_100")
    assert len(reasons) == 1, reasons
    assert "fee_rule_x" in reasons[0] and "90" in reasons[0], reasons
    assert "team_a 40" in reasons[0] and "team_b 50" in reasons[0], reasons


def test_fixed_shares_summing_to_100_pass(dbt_copy: DbtCopy):
    dbt_copy.write_seed(
        "allocation_rule_shares",
        [["rule_id", "team_id", "share_pct"], ["openai_platform_fee", "a", "33.3333"],
         ["openai_platform_fee", "b", "66.6667"]],
    )  # fmt: skip
    rules = dbt_copy.read_seed("allocation_rules")
    method = rules[0].index("method")
    kept = [rules[0]] + [r for r in rules[1:] if r[method] != "fixed_percentage"]
    fixed = _openai_fixed_percentage_rule(rules[0], "openai_platform_fee", "10", "%platform fee%")
    dbt_copy.write_seed("allocation_rules", [*kept, fixed])

    result = dbt_copy.dbt("build", "--select", "allocation_rule_shares", "allocation_rules")

    assert result.returncode == 0, result.stdout[-3000:]


def test_overlapping_price_overrides_fail_naming_provider_account_model_and_dates(
    dbt_copy: DbtCopy,
):
    header = dbt_copy.read_seed("price_overrides")[0]

    def row(**values: str) -> list[str]:
        return [values.get(column, "") for column in header]

    dbt_copy.write_seed(
        "price_overrides",
        [
            header,
            # overlapping: June to open-ended, and a renegotiated term from August
            row(provider_id="acme_ai", billing_account_id="acct-9", model_id="*",
                effective_from="2026-06-01", discount_pct="10"),
            row(provider_id="acme_ai", billing_account_id="acct-9", model_id="*",
                effective_from="2026-08-01", discount_pct="15"),
            # adjacent, not overlapping (effective_to is exclusive)
            row(provider_id="acme_ai", billing_account_id="acct-9", model_id="m-1",
                effective_from="2026-01-01", effective_to="2026-03-01", discount_pct="5"),
            row(provider_id="acme_ai", billing_account_id="acct-9", model_id="m-1",
                effective_from="2026-03-01", discount_pct="7"),
        ],
    )  # fmt: skip

    result = dbt_copy.dbt("build", "--select", "price_overrides")

    assert result.returncode != 0, result.stdout[-3000:]
    reasons = _failures(dbt_copy, "assert_price_overrides_do_not_overlap")
    assert reasons == [
        "price_overrides overlap: provider acme_ai, account acct-9, model *: "
        "2026-06-01 to open and 2026-08-01 to open"
    ]


def test_header_only_seeds_build_and_a_failed_seed_load_does_not_outlive_the_fix(
    dbt_copy: DbtCopy,
):
    # A warehouse left behind by an earlier failed or header-only load: seed tables whose
    # columns have the wrong types.
    with db.connect(dbt_copy.warehouse) as con:
        con.execute("create schema if not exists reference")
        con.execute(
            "create table reference.org_services "
            "(service_name integer, team_id integer, product integer, use_case integer)"
        )
    good_rules = (dbt_copy.seeds / "allocation_rules.csv").read_text()
    (dbt_copy.seeds / "allocation_rules.csv").write_text(
        good_rules.replace(",10,openai,", ",ten,openai,", 1)
    )
    failed = dbt_copy.dbt("seed")
    assert failed.returncode != 0, failed.stdout[-3000:]

    # The file is fixed; org_services and org_api_keys are delivered header-only.
    (dbt_copy.seeds / "allocation_rules.csv").write_text(good_rules)
    dbt_copy.write_seed("org_services", [["service_name", "team_id", "product", "use_case"]])
    dbt_copy.write_seed("org_api_keys", [["api_key_hash", "key_alias", "team_id"]])
    built = dbt_copy.dbt("build", "--exclude-resource-type", "unit_test")

    assert built.returncode == 0, built.stdout[-5000:]
    types = dict(
        dbt_copy.query(
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'reference' and table_name in ('org_services', "
            "'org_api_keys', 'allocation_rules')"
        )
    )
    assert types["org_services.team_id"] == "VARCHAR"
    assert types["org_api_keys.api_key_hash"] == "VARCHAR"
    assert types["allocation_rules.priority"] == "INTEGER"
    assert dbt_copy.query("select count(*) from reference.org_services") == [(0,)]


# --------------------------------------------------------------------------------------------
# Relative paths
# --------------------------------------------------------------------------------------------


def test_settings_make_relative_paths_absolute_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIFINOPS_DATA_DIR", "company")
    monkeypatch.setenv("AIFINOPS_DUCKDB_PATH", "./db/wh.duckdb")
    monkeypatch.setenv("AIFINOPS_SEEDS_DIR", "org_seeds")
    for name in ("AIFINOPS_LANDING_DIR", "AIFINOPS_PUBLISH_DIR", "AIFINOPS_EXPORT_DIR",
                 "AIFINOPS_DUCKDB_TEMP_DIR"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)

    settings = Settings.from_env()

    assert settings.landing_dir == tmp_path / "company" / "landing"
    assert settings.warehouse_path == tmp_path / "db" / "wh.duckdb"
    assert settings.publish_dir == tmp_path / "company" / "published"
    assert settings.seeds_dir == tmp_path / "org_seeds"
    assert settings.duckdb.temp_directory == tmp_path / "company" / "tmp"
    paths = [p for p in vars(settings).values() if isinstance(p, Path)]
    assert len(paths) == 5 and all(p.is_absolute() for p in paths)


# --------------------------------------------------------------------------------------------
# Any subset of sources: the whole pipeline
# --------------------------------------------------------------------------------------------

SMALL_DEMO = DemoConfig(seed=11, start=date(2026, 7, 29), days=5, requests_per_day=60)
SOURCE_FOLDERS = {
    "litellm": ("litellm",),
    "otel": ("otel",),
    "vendor_api": ("openai", "anthropic"),
    "focus": ("focus",),
    "drivers": ("business",),
}
SUBSETS = {
    "only_litellm": {"litellm"},
    "only_otel": {"otel"},
    "only_focus": {"focus"},
    "no_drivers": set(SOURCE_FOLDERS) - {"drivers"},
    "no_vendor_api_pages": set(SOURCE_FOLDERS) - {"vendor_api"},
}
BILL_TOTALS = {
    "vendor_api": (
        "select coalesce(sum(amount_value), 0) from raw.openai_costs where superseded_by is null",
        "select coalesce(sum(amount_cents * 0.01), 0) from raw.anthropic_cost_report "
        "where superseded_by is null",
    ),
    "focus": (
        'select coalesce(sum(cast("BilledCost" as decimal(38, 10))), 0) from raw.focus_billing '
        "where superseded_by is null",
    ),
}


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("small_company") / "landing"
    generate(SMALL_DEMO, landing)
    (landing / "_demo_truth.json").unlink()  # a real company has no answer key
    return landing


def _landing_with(small_landing: Path, data_dir: Path, keep: set[str]) -> None:
    shutil.copytree(small_landing, data_dir / "landing")
    for family, folders in SOURCE_FOLDERS.items():
        if family not in keep:
            for folder in folders:
                shutil.rmtree(data_dir / "landing" / folder, ignore_errors=True)


@pytest.mark.parametrize("subset", sorted(SUBSETS))
def test_any_subset_of_sources_builds_and_publishes(
    subset: str, small_landing: Path, tmp_path: Path
):
    keep = SUBSETS[subset]
    _landing_with(small_landing, tmp_path, keep)

    code = run_pipeline(tmp_path)

    assert code == 0, f"{subset}: the run failed (see the captured output)"
    published = published_path(tmp_path / "published")
    assert published.exists(), f"{subset}: nothing was published"
    with db.connect(tmp_path / "warehouse.duckdb", read_only=True) as con:
        raw_rows = {
            "litellm": con.execute("select count(*) from raw.litellm_spend_logs").fetchone()[0],
            "otel": con.execute("select count(*) from raw.otel_genai_spans").fetchone()[0],
            "vendor_api": con.execute(
                "select (select count(*) from raw.openai_costs)"
                " + (select count(*) from raw.anthropic_cost_report)"
            ).fetchone()[0],
            "focus": con.execute("select count(*) from raw.focus_billing").fetchone()[0],
            "drivers": con.execute("select count(*) from raw.business_drivers").fetchone()[0],
        }
        billed_in_files = sum(
            (
                Decimal(con.execute(sql).fetchone()[0])
                for family in keep
                for sql in BILL_TOTALS.get(family, ())
            ),
            Decimal(0),
        )
    # the sources present were loaded, the others are empty
    assert {f for f, n in raw_rows.items() if n > 0} == keep, raw_rows
    with db.connect(published, read_only=True) as con:
        billed_published = con.execute(
            "select coalesce(sum(billed_cost), 0) from marts.fct_allocated_costs"
        ).fetchone()[0]
        requests_published = con.execute("select count(*) from marts.fct_llm_requests")
        requests_published = requests_published.fetchone()[0]
    # every billed cent of the files present is in the published fact, none invented
    assert Decimal(billed_published) == billed_in_files, (subset, billed_published)
    if keep & {"litellm", "otel"}:
        assert requests_published > 0
    else:
        assert requests_published == 0


def test_relative_aifinops_paths_run_from_another_working_directory(
    small_landing: Path, tmp_path: Path
):
    """`aifinops-run` started in a company folder with relative paths: dbt runs in
    dbt_models/, yet reads and writes the same files as every other step."""
    _landing_with(small_landing, tmp_path, {"litellm", "vendor_api"})
    env = {
        **os.environ,
        **pipeline_env(tmp_path),
        "AIFINOPS_DATA_DIR": ".",
        "AIFINOPS_LANDING_DIR": "landing",
        "AIFINOPS_DUCKDB_PATH": "./state/warehouse.duckdb",
        "AIFINOPS_PUBLISH_DIR": "out/published",
        "AIFINOPS_EXPORT_DIR": "out/exports",
        "DAGSTER_HOME": ".dagster",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }

    result = subprocess.run(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip

    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    assert (tmp_path / "state" / "warehouse.duckdb").exists()
    assert published_path(tmp_path / "out" / "published").exists()
    assert (tmp_path / "out" / "exports").is_dir()
    # nothing landed relative to dbt's own working directory
    assert not (DBT_PROJECT_DIR / "state").exists()
    with db.connect(tmp_path / "state" / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_allocated_costs").fetchone()[0] > 0


def _insert_openai_lines(project: DbtCopy, lines: list[tuple[str, str | None, str, int | None]]):
    """Raw OpenAI cost lines (amount, project id, line item, quantity) for 2026-07-01."""
    with db.connect(project.warehouse) as con:
        for row, (amount, project_id, line_item, quantity) in enumerate(lines, 1):
            con.execute(
                """insert into raw.openai_costs (bucket_start_time, bucket_end_time, amount_value,
                       amount_currency, line_item, project_id, quantity, result_json, row_hash,
                       bill_key, delivery_id, delivered_at, source_file, source_row,
                       content_hash, loaded_at, load_id)
                   values (timestamptz '2026-07-01 00:00:00+00',
                           timestamptz '2026-07-02 00:00:00+00', ?, 'usd', ?, ?, ?, '{}', ?, ?,
                           'p.json', now(), 'p.json', ?, 'h', now(), 'l')""",
                [amount, line_item, project_id, quantity, f"r{row}", f"k{row}", row],
            )


def test_vendor_lines_of_an_unmapped_organisation_are_kept_not_dropped(dbt_copy: DbtCopy):
    """The OpenAI cost API names no organisation: with no OpenAI account in the org seed, its
    lines stay, under an explicit placeholder account, and reach the unallocated bucket."""
    accounts = dbt_copy.read_seed("org_provider_accounts")
    provider = accounts[0].index("provider_id")
    dbt_copy.write_seed(
        "org_provider_accounts",
        [accounts[0], *(r for r in accounts[1:] if r[provider] != "openai")],
    )
    _insert_openai_lines(
        dbt_copy, [("12.5000", "proj_x", "gpt-4o, input", None), ("0.2500", None, "fee", None)]
    )

    result = dbt_copy.dbt("build", "--select", "+int_billed_charges_unioned+1", "--exclude",
                          "resource_type:unit_test")  # fmt: skip

    charges = dbt_copy.query(
        """select billing_account_id, billed_cost from intermediate.int_billed_charges_unioned
           where provider_id = 'openai' order by billed_cost"""
    )
    assert [(a, str(c)) for a, c in charges] == [
        ("unmapped-openai-account", "0.2500000000"),
        ("unmapped-openai-account", "12.5000000000"),
    ], result.stdout[-3000:]
    assert "assert_every_bill_line_reaches_the_charges" in result.stdout
    assert "FAIL" not in result.stdout.split("assert_every_bill_line_reaches_the_charges")[1][:200]


def test_a_vendor_rate_the_catalog_does_not_know_is_price_variance_not_a_failed_run(
    dbt_copy: DbtCopy,
):
    """240,000 gpt-4o output tokens billed at 2.41 while the catalog says 2.40: the FOCUS
    pricing columns stay consistent (ContractedUnitPrice x PricingQuantity = ContractedCost)."""
    _insert_openai_lines(dbt_copy, [("2.41", None, "gpt-4o-2024-08-06, output", 240000)])

    result = dbt_copy.dbt("build", "--exclude", "resource_type:unit_test")

    test = "assert_focus_list_cost_equals_unit_price_times_quantity"
    assert test in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]
    (row,) = dbt_copy.query(
        """select billed_cost, list_cost, contracted_unit_price, pricing_quantity
           from marts.fct_allocated_costs where provider_id = 'openai'"""
    )
    billed, list_cost, contracted_rate, quantity = row
    assert billed == Decimal("2.41") and list_cost == Decimal("2.40")
    # the rate is kept to 10 decimals: price x quantity is within FOCUS' 1e-6 of the cost
    assert abs(contracted_rate * quantity - Decimal("2.41")) < Decimal("0.000001")
