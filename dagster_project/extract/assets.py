"""One asset per source family: landing files -> DuckDB schema `raw`. Bodies stay thin: the
work is in `dagster_project.extract`, which tests call directly."""

import dagster as dg

from dagster_project.extract.sources import (
    BILL_SOURCES,
    SOURCES,
    Source,
    extract,
    load_balance,
)
from dagster_project.resources import WarehouseResource


def _make_extract_asset(source: Source) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"raw_{source.name}",
        group_name="extract",
        kinds={"python", "duckdb"},
        description=f"{source.description} Landing folder: `<landing>/{source.folder}/`.",
    )
    def _extract(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            summary = extract(con, source, warehouse.landing_folder)
            total = con.execute(f"select count(*) from {source.table}").fetchone()[0]
        for message in summary.messages[:50]:
            context.log.info(message)
        if summary.files_failed:
            context.log.warning(
                f"{summary.files_failed} file(s) could not be read and were quarantined"
            )
        return dg.MaterializeResult(
            metadata={**summary.as_metadata(), "table": source.table, "table_rows": total}
        )

    return _extract


def _blocking_check(source: Source, name: str, description: str):
    """The decorator of a blocking check on a source's raw asset."""
    return dg.asset_check(
        asset=f"raw_{source.name}", name=name, description=description, blocking=True
    )


def _make_balance_check(source: Source) -> dg.AssetChecksDefinition:
    @_blocking_check(
        source,
        "rows_in_equal_loaded_plus_quarantined",
        "Every row read from a landing file is either in the raw table or in the "
        "quarantine: nothing is dropped on the floor.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            balance = load_balance(con, source)
        return dg.AssetCheckResult(passed=balance.balanced, metadata=balance._asdict())

    return _check


def _make_bill_check(source: Source) -> dg.AssetChecksDefinition:
    @_blocking_check(
        source,
        "every_bill_file_read",
        "Bills may not vanish: a bill file that cannot be read, or a bill line that "
        "was quarantined, fails this blocking check, so nothing downstream is built or "
        "published until the file is fixed or removed.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            failed = con.execute(
                """select source_file, reason from raw._landing_files
                   where source = ? and state = 'failed' order by source_file""",
                [source.name],
            ).fetchall()
            lines = con.execute(
                """select source_file, count(*), min(coalesce(field, '') || ': ' || reason)
                   from raw._quarantine where source = ? and source_row is not null
                   group by source_file order by source_file""",
                [source.name],
            ).fetchall()
        problems = [f"{file}: {reason}" for file, reason in failed]
        problems += [f"{file}: {n} bill line(s) quarantined, e.g. {why}" for file, n, why in lines]
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            description="\n".join(problems[:20]) or None,
            metadata={"unreadable_files": len(failed), "files_with_quarantined_lines": len(lines)},
        )

    return _check


extract_assets = [_make_extract_asset(source) for source in SOURCES]
extract_checks = [_make_balance_check(source) for source in SOURCES]
extract_checks += [_make_bill_check(source) for source in BILL_SOURCES]
