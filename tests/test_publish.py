"""The published file BI tools read (issue 10, item 3): DuckDB 1.x opens it, counts are never
HUGEINT, and the table and column comments dbt wrote travel with the tables.

The older-DuckDB tests need the venvs from scripts/setup_old_duckdb.sh (`make old-duckdb`).
Without them they skip, except under CI=true, where a missing venv fails the build.
"""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project import db
from dagster_project.serve.publish import (
    STORAGE_VERSION,
    PublishError,
    publish,
    published_path,
)
from tests.unavailable import skip_or_fail_under_ci

REPO_ROOT = Path(__file__).resolve().parents[1]
OLD_DUCKDB_VENVS = Path(os.environ.get("OLD_DUCKDB_VENVS", REPO_ROOT / ".venv-duckdb-old"))
if not OLD_DUCKDB_VENVS.is_absolute():
    OLD_DUCKDB_VENVS = REPO_ROOT / OLD_DUCKDB_VENVS

# Read in the old client: every published table's row count, and the sum of every DECIMAL
# column (money) as text, so the comparison is exact.
READ_IN_OLD_CLIENT = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
out = {"version": duckdb.__version__, "tables": {}}
tables = con.execute(
    "select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()
for schema, table in tables:
    name = '"' + schema + '"."' + table + '"'
    money = [c for (c,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
        "and data_type like 'DECIMAL%' order by column_index", [schema, table]).fetchall()]
    row = con.execute("select count(*)" + "".join(
        ", cast(sum(\\"" + c + "\\") as varchar)" for c in money) + " from " + name).fetchone()
    out["tables"][schema + "." + table] = {
        "rows": row[0], "money": dict(zip(money, row[1:], strict=True))}
print(json.dumps(out))
"""


def _old_pythons() -> list[Path]:
    found = sorted(OLD_DUCKDB_VENVS.glob("*/bin/python"))
    if found:
        return found
    skip_or_fail_under_ci(
        "no older duckdb venv (run scripts/setup_old_duckdb.sh or `make old-duckdb`)",
        "open the published file with DuckDB 1.x",
    )


def _reading(database: Path) -> dict:
    """What READ_IN_OLD_CLIENT prints, read here with the project's duckdb (2.x)."""
    with db.connect(database, read_only=True) as con:
        out = {}
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            money = [
                column
                for (column,) in con.execute(
                    """select column_name from duckdb_columns() where schema_name = ?
                       and table_name = ? and data_type like 'DECIMAL%' order by column_index""",
                    [schema, table],
                ).fetchall()
            ]
            sums = "".join(f', cast(sum("{column}") as varchar)' for column in money)
            row = con.execute(f'select count(*){sums} from "{schema}"."{table}"').fetchone()
            out[f"{schema}.{table}"] = {
                "rows": row[0],
                "money": dict(zip(money, row[1:], strict=True)),
            }
        return out


def _assert_old_clients_read(published: Path) -> None:
    expected = _reading(published)
    for python in _old_pythons():
        result = subprocess.run(
            [str(python), "-c", READ_IN_OLD_CLIENT, str(published)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{python}: {result.stderr[-2000:]}"
        reading = json.loads(result.stdout)
        assert reading["version"].startswith("1."), reading["version"]
        assert reading["tables"] == expected, f"duckdb {reading['version']} reads other figures"


def _small_warehouse(path: Path, tokens_type: str = "bigint") -> None:
    """Two marts and a reference table, commented as dbt's persist_docs comments them."""
    with db.connect(path) as con:
        con.execute("create schema marts")
        con.execute("create schema reference")
        con.execute("create schema staging")
        con.execute(
            f"""create table marts.fct_costs as select
                  'team ' || i as team_id,
                  cast(i * 1.1234567891 as decimal(38, 10)) as billed_cost,
                  cast(i * 1000 as {tokens_type}) as total_tokens,
                  json_object('team', 'a''b') as allocated_tags,
                  timestamptz '2026-07-01 00:00:00+00' + to_days(cast(i as integer))
                      as charge_period_start
                from range(1, 101) as t(i)"""
        )
        con.execute("create table marts.rpt_empty (month_start date, amount decimal(18, 2))")
        con.execute("create table reference.org_teams as select 'a' as team_id, 'A' as team_name")
        con.execute("create table staging.stg_hidden as select 1 as x")  # never published
        con.execute("comment on table marts.fct_costs is 'One row per charge: the owner''s cost.'")
        con.execute("comment on column marts.fct_costs.team_id is 'Team \"id\"; it''s the key.'")
        con.execute("comment on column marts.fct_costs.billed_cost is 'Billed cost.'")


def test_published_file_is_written_in_a_storage_version_duckdb_1x_reads(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    _small_warehouse(warehouse)
    publish(warehouse, tmp_path / "published")
    published = published_path(tmp_path / "published")
    # the main header: 8 bytes of checksum, the magic "DUCK", then the storage version number
    header = published.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    # 64 is the number every DuckDB from 0.10 to 2.x reads; 2.0's own format is not read by 1.x
    assert int.from_bytes(header[12:20], "little") == 64
    assert STORAGE_VERSION == "v1.0.0"


def test_an_older_duckdb_reads_the_same_rows_and_money(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    _small_warehouse(warehouse)
    publish(warehouse, tmp_path / "published")
    published = published_path(tmp_path / "published")
    reading = _reading(published)
    assert reading["marts.fct_costs"] == {
        "rows": 100,
        # sum of i * 1.1234567891 for i = 1..100, written out
        "money": {"billed_cost": str(Decimal("1.1234567891") * 5050)},
    }
    assert "staging.stg_hidden" not in reading
    _assert_old_clients_read(published)


def test_comments_are_carried_into_the_published_file(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    _small_warehouse(warehouse)
    publish(warehouse, tmp_path / "published")
    with db.connect(published_path(tmp_path / "published"), read_only=True) as con:
        table_comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'fct_costs'"
        ).fetchone()[0]
        column_comments = dict(
            con.execute(
                """select column_name, comment from duckdb_columns()
                   where table_name = 'fct_costs' and comment is not null"""
            ).fetchall()
        )
        publication = con.execute(
            """select count(*) from duckdb_columns() where table_name = '_publication'
               and coalesce(comment, '') <> ''"""
        ).fetchone()[0]
    # quotes inside comments survive intact (escaped, not mangled or injected)
    assert table_comment == "One row per charge: the owner's cost."
    assert column_comments == {
        "team_id": 'Team "id"; it\'s the key.',
        "billed_cost": "Billed cost.",
    }
    assert publication == 2


def test_a_hugeint_column_stops_publication_naming_it_and_keeps_the_previous_file(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.duckdb"
    _small_warehouse(good)
    publish(good, tmp_path / "published")
    published = published_path(tmp_path / "published")
    before = published.read_bytes()

    bad = tmp_path / "bad.duckdb"
    _small_warehouse(bad, tokens_type="hugeint")
    with pytest.raises(PublishError, match=r"marts\.fct_costs\.total_tokens \(HUGEINT\)"):
        publish(bad, tmp_path / "published")
    assert published.read_bytes() == before  # the previous snapshot is untouched
    assert sorted(p.name for p in (tmp_path / "published").iterdir()) == [published.name]


def test_the_pipelines_published_file_is_commented_bigint_and_read_by_duckdb_1x(
    built_warehouse,
) -> None:
    """The real marts: every published column has a comment (dbt persist_docs, carried over),
    no HUGEINT anywhere, and an older DuckDB reads every table's rows and money as 2.x does."""
    assert built_warehouse.run_exit_code == 0
    published = published_path(built_warehouse.data_dir / "published")
    with db.connect(published, read_only=True) as con:
        uncommented = con.execute(
            """select schema_name || '.' || table_name || '.' || column_name
               from duckdb_columns() where schema_name = 'marts'
                 and coalesce(trim(comment), '') = ''
               order by 1"""
        ).fetchall()
        untitled = con.execute(
            """select schema_name || '.' || table_name from duckdb_tables()
               where coalesce(trim(comment), '') = '' order by 1"""
        ).fetchall()
        hugeint = con.execute(
            "select table_name, column_name from duckdb_columns() where data_type like '%HUGEINT%'"
        ).fetchall()
    assert uncommented == []
    assert untitled == []
    assert hugeint == []
    _assert_old_clients_read(published)
