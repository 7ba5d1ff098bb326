"""The allocation invariants are tests that fail when allocation breaks: each case corrupts a
copy of a built warehouse the way a broken allocation would, and the matching dbt test must
fail on it (and pass on the untouched copy)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR
from tests.conftest import BuiltWarehouse

pytestmark = pytest.mark.integration

DBT = str(Path(sys.executable).parent / "dbt")


def dbt_test(warehouse: Path, selector: str) -> subprocess.CompletedProcess:
    """`dbt test` on `warehouse`, with a target folder beside it: every case's copy has the same
    path, so dbt parses the project once for the module, not once per case."""
    env = {**os.environ, "AIFINOPS_DUCKDB_PATH": str(warehouse)}
    command = [DBT, "test", "--select", *selector.split(), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(warehouse.parent / "target")]  # fmt: skip
    return subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300
    )


CORRUPTIONS = {
    # one owner's row gains a cent its charge never billed
    "assert_allocated_cost_equals_billed_cost": """
        update marts.fct_allocated_costs set billed_cost = billed_cost + 0.01
        where allocated_cost_id = (select min(allocated_cost_id) from marts.fct_allocated_costs)
    """,
    # a charge's rows vanish: the period no longer adds up
    "assert_allocated_plus_unallocated_equals_billed_per_period": """
        delete from marts.fct_allocated_costs
        where charge_id = (select min(charge_id) from marts.fct_allocated_costs)
    """,
    # a row of a positive charge turns negative
    "assert_no_allocated_row_flips_sign": """
        update marts.fct_allocated_costs set billed_cost = -billed_cost - 1
        where allocated_cost_id = (select min(allocated_cost_id) from marts.fct_allocated_costs
                                   where billed_cost > 0)
    """,
    # tokens counted twice on one row
    "assert_fact_tokens_equal_staging_tokens": """
        update marts.fct_allocated_costs set allocated_tokens = allocated_tokens * 2
        where allocated_cost_id = (select min(allocated_cost_id) from marts.fct_allocated_costs
                                   where allocated_tokens > 0)
    """,
    # one owner's reporting-currency amount drifts from its charge's converted cost
    "assert_reporting_cost_equals_converted_billed_cost": """
        update marts.fct_allocated_costs set billed_cost_reporting = billed_cost_reporting + 0.01
        where allocated_cost_id = (select min(allocated_cost_id) from marts.fct_allocated_costs
                                   where billed_cost_reporting is not null)
    """,
    # a charge whose currency has no rate: its reporting columns are null
    "assert_every_charge_has_a_reporting_rate": """
        update marts.fct_allocated_costs set fx_rate = null, billed_cost_reporting = null
        where charge_id = (select min(charge_id) from marts.fct_allocated_costs
                           where billing_currency = 'EUR')
    """,
    # most of a month's cost loses its owner
    "assert_allocation_coverage_above_threshold": """
        update marts.rpt_allocation_reconciliation
        set allocated_to_owners = billed_cost * 0.5, allocation_coverage = 0.5
        where billed_cost > 0
    """,
}


@pytest.fixture(scope="module")
def copy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("invariants")


@pytest.fixture
def warehouse_copy(built_warehouse: BuiltWarehouse, copy_dir: Path) -> Path:
    """A fresh copy of the built warehouse for each case, always at the same path."""
    copy = copy_dir / "warehouse.duckdb"
    copy.with_name(copy.name + ".wal").unlink(missing_ok=True)  # nothing of the last case
    shutil.copyfile(built_warehouse.warehouse_path, copy)
    return copy


def test_invariants_pass_on_the_untouched_warehouse(warehouse_copy: Path):
    result = dbt_test(warehouse_copy, " ".join(CORRUPTIONS))
    assert result.returncode == 0, result.stdout[-3000:]
    # every invariant ran and passed (the totals also count the on-run-start hook)
    passed = {line.split(" PASS ")[1].split()[0] for line in result.stdout.splitlines()
              if " PASS " in line}  # fmt: skip
    assert set(CORRUPTIONS) <= passed, result.stdout[-3000:]


@pytest.mark.parametrize("invariant", sorted(CORRUPTIONS))
def test_invariant_fails_when_allocation_is_broken(invariant: str, warehouse_copy: Path):
    with duckdb.connect(str(warehouse_copy)) as con:
        changed = con.execute(CORRUPTIONS[invariant]).fetchone()[0]
    assert changed > 0
    result = dbt_test(warehouse_copy, invariant)
    assert result.returncode != 0
    assert "FAIL" in result.stdout and invariant in result.stdout


def test_dbt_unit_tests_pass(warehouse_copy: Path):
    # the pipeline's dbt build skips unit tests (they test SQL, not data): they run here
    result = dbt_test(warehouse_copy, "test_type:unit")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "PASS=" in result.stdout and " ERROR=0 " in result.stdout
