"""The marts' cross-engine macros (dbt_models/macros/cross_db/) give on Spark what their DuckDB
form gives, on the inputs where a plain translation does not: a decimal Spark prints as
6.000E-7, a decimal average Spark rounds to the input's scale, a JSON object with a null
member, a percentile between two values, text that is JSON but no object. Each macro is
rendered by dbt for both targets (`dbt compile --inline`); DuckDB runs its form, a local
Spark session configured as dbt-spark's (ANSI off, decimal precision kept) runs the other,
over the same rows written to Parquet (as Spark reads every upstream table). The contract
mapping is checked on every data_type the marts declare: each must be a type Spark parses.
Needs Java (scripts/setup_java.sh); without it these tests skip, except under CI=true."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.spark_java import java_or_skip

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt_models"

pytestmark = pytest.mark.spark

# (name, template): each rendered once per target; {column} is filled in below
FRAGMENTS = {
    "decimal_text": "{{ decimal_text('amount', 10) }}",
    "mean": "{{ mean_as_double('driver_value') }}",
    "json_object": "{{ json_object_from([('basis', 'basis'), ('share', 'share'),"
    " ('rule_id', 'rule_id')]) }}",
    "percentile": "{{ percentile_cont('tokens', 0.9) }}",
    "is_object": "{{ json_is_object('json_text') }}",
}


def _declared_types() -> list[str]:
    types: set[str] = set()
    for yml in (DBT_DIR / "models" / "marts").rglob("*.yml"):
        types.update(re.findall(r"^\s*data_type:\s*(.+?)\s*$", yml.read_text(), re.M))
    return sorted(types)


def _render(target: str, tmp: Path) -> dict[str, str]:
    """Each fragment as dbt compiles it for `target`, keyed by name."""
    from dbt.cli.main import dbtRunner

    declared = _declared_types()
    parts = [f"-- @@{name}\n{template}" for name, template in FRAGMENTS.items()]
    parts += [
        f"-- @@type:{declared_type}\n{{{{ contract_data_type('{declared_type}') }}}}"
        for declared_type in declared
    ]
    result = dbtRunner().invoke(
        ["compile", "--quiet", "--no-populate-cache", "--target", target,
         "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
         "--target-path", str(tmp / f"target-{target}"), "--log-path", str(tmp / "logs"),
         "--inline", "\n".join(parts)]
    )  # fmt: skip
    assert result.success, result.exception
    code = result.result.results[0].node.compiled_code
    rendered = {}
    for chunk in code.split("-- @@")[1:]:
        name, _, body = chunk.partition("\n")
        rendered[name.strip()] = body.strip()
    return rendered


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory):
    java_or_skip()
    tmp = tmp_path_factory.mktemp("spark_macros")
    with pytest.MonkeyPatch.context() as env:  # the dev profile's DuckDB file (never opened)
        env.setenv("AIFINOPS_DUCKDB_PATH", str(tmp / "unused.duckdb"))
        env.setenv("AIFINOPS_DUCKDB_TEMP_DIR", str(tmp / "duckdb_tmp"))
        duck_sql, spark_sql = _render("dev", tmp), _render("spark", tmp)

    duck = duckdb.connect()
    duck.execute("set TimeZone = 'UTC'")
    # amounts a Spark session holds as Java BigDecimals once read from Parquet (printed as
    # 6.000E-7); driver values whose average (47.1666...) a decimal type must round
    duck.execute("""
        create table rows as select * from (values
            (0.0000006::decimal(38, 10), 'list_cost', 0.5::double, null::varchar, 1::bigint,
             '{"a": 1}', 47::decimal(38, 6)),
            (47.000001::decimal(38, 10), 'tokens', 0.0121261116::double, 'rule_1', 2::bigint,
             '[1, 2]', 47::decimal(38, 6)),
            (47.5::decimal(38, 10), 'requests', 0.3333333333::double, null::varchar, 4::bigint,
             'not json', 47.5::decimal(38, 6)),
            (46.999999::decimal(38, 10), 'list_cost', 0.25::double, null::varchar, 10::bigint,
             null::varchar, null::decimal(38, 6))
        ) as t(amount, basis, share, rule_id, tokens, json_text, driver_value)
    """)
    parquet = tmp / "rows.parquet"
    duck.execute(f"copy rows to '{parquet}' (format parquet)")

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        # as in dbt's session: ANSI off (dbt-spark sets it), precision kept (profiles.yml)
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        .config("spark.sql.warehouse.dir", str(tmp / "spark-warehouse"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.parquet(str(parquet)).createOrReplaceTempView("rows")
    yield duck, spark, duck_sql, spark_sql
    spark.stop()


def _both(engines, select: str, key: str) -> tuple[list, list]:
    """`select` (with {fragment} filled in per engine) on both engines, rows sorted."""
    duck, spark, duck_sql, spark_sql = engines
    duck_rows = duck.execute(select.format(fragment=duck_sql[key])).fetchall()
    spark_rows = [tuple(row) for row in spark.sql(select.format(fragment=spark_sql[key])).collect()]
    order = lambda row: tuple((value is None, str(value)) for value in row)  # noqa: E731
    return sorted(duck_rows, key=order), sorted(spark_rows, key=order)


def test_decimal_text_prints_every_decimal_plainly_on_both(engines) -> None:
    _, spark, _, _ = engines
    # the input that breaks a plain cast: Spark prints it in scientific notation
    plain_cast = spark.sql("select cast(amount as string) from rows where amount < 1").first()[0]
    assert plain_cast == "6.000E-7"
    duck_rows, spark_rows = _both(engines, "select {fragment} from rows", "decimal_text")
    assert duck_rows == spark_rows
    assert ("0.0000006000",) in duck_rows and ("47.5000000000",) in duck_rows


def test_mean_as_double_rounds_like_duckdb_where_spark_avg_does_not(engines) -> None:
    """As rpt_driver_unit_economics_long uses it: an average or a sum of driver values, as
    decimal(38, 8). Spark's avg is a decimal, and beside the sum its scale drops to 6."""
    _, spark, _, _ = engines
    select = (
        "select cast(case when count(*) > 0 then {fragment} else sum(driver_value) end"
        " as decimal(38, 8)) from rows"
    )
    duck_rows, spark_rows = _both(engines, select, "mean")
    assert duck_rows == spark_rows == [(Decimal("47.16666667"),)]
    spark_avg = spark.sql(select.format(fragment="avg(driver_value)")).first()[0]
    assert spark_avg == Decimal("47.16666700")  # why the macro exists


def test_json_object_from_keeps_null_members_and_key_order(engines) -> None:
    duck_rows, spark_rows = _both(
        engines, "select cast({fragment} as string) from rows", "json_object"
    )
    assert duck_rows == spark_rows
    assert ('{"basis":"list_cost","share":0.5,"rule_id":null}',) in duck_rows


def test_percentile_cont_interpolates_between_values(engines) -> None:
    duck_rows, spark_rows = _both(engines, "select {fragment} from rows", "percentile")
    assert duck_rows == spark_rows == [(pytest.approx(8.2),)]


def test_json_is_object_only_for_objects(engines) -> None:
    select = "select json_text, coalesce({fragment}, false) from rows"
    duck_rows, spark_rows = _both(engines, select, "is_object")
    assert duck_rows == spark_rows
    assert dict(duck_rows) == {'{"a": 1}': True, "[1, 2]": False, "not json": False, None: False}


def test_every_declared_mart_type_maps_to_a_type_spark_parses(engines) -> None:
    _, spark, duck_sql, spark_sql = engines
    declared = _declared_types()
    assert {"VARCHAR", "TIMESTAMP WITH TIME ZONE", "JSON"} <= set(declared)
    for declared_type in declared:
        # DuckDB keeps the declared type (the dev contract); Spark parses the mapped one
        assert duck_sql[f"type:{declared_type}"] == declared_type
        spark.sql(f"select cast(null as {spark_sql[f'type:{declared_type}']}) as c").collect()
