"""Tabular landing files: FOCUS billing exports (Parquet or CSV, FOCUS 1.0 to 1.3 column names)
and business-driver metrics in long format (CSV or Parquet).

FOCUS columns are kept as delivered, as text: exports differ in version, column set and types
(AWS writes Parquet, Azure and GCP CSV), and text keeps every digit. Staging casts.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.extract.landing import (
    LINEAGE_COLUMNS,
    Counts,
    UnreadableFile,
    probe,
    split_good_and_bad,
)

FOCUS_SOURCE = "focus_billing"
FOCUS_TABLE = "raw.focus_billing"
FOCUS_PATTERNS = ("*.parquet", "*.csv")
# FOCUS 1.0 to 1.3 columns (reference/focus_columns.csv) exist in the raw table from the
# start, so staging can name every one even before an export carries it.
FOCUS_COLUMNS = (
    "AllocatedMethodDetails",
    "AllocatedMethodId",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "CommitmentProgramEligibilityDetails",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractApplied",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "HostProviderName",
    "InvoiceDetailId",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceProviderName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
)
FOCUS_DDL = f"""
create table if not exists {FOCUS_TABLE} (
    {", ".join(f'"{c}" varchar' for c in FOCUS_COLUMNS)},
    x_ServiceCode varchar,
    x_UsageType varchar,
    x_Operation varchar,
    export_name varchar,
    row_hash varchar,
    {LINEAGE_COLUMNS}
)
"""
FOCUS_REQUIRED = ("BilledCost", "BillingCurrency", "BillingAccountId", "ChargePeriodStart")
FOCUS_DECIMALS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")

DRIVERS_SOURCE = "business_drivers"
DRIVERS_TABLE = "raw.business_drivers"
DRIVERS_PATTERNS = ("*.csv", "*.parquet")
DRIVERS_DDL = f"""
create table if not exists {DRIVERS_TABLE} (
    driver_date date not null,
    driver varchar not null,
    value decimal(38, 6) not null,
    unit varchar,
    product varchar,
    team varchar,
    dimensions json,
    row_hash varchar not null,
    {LINEAGE_COLUMNS}
)
"""
DRIVERS_COLUMNS = ["driver_date", "driver", "value", "unit", "product", "team", "dimensions",
                   "row_hash"]  # fmt: skip


def _read_as_text(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path]) -> list[str]:
    """Read Parquet and CSV files into one temp table of text columns, with file and row."""
    parquet = [str(p) for p in paths if p.suffix == ".parquet"]
    csv = [str(p) for p in paths if p.suffix != ".parquet"]
    parts = []
    if parquet:
        parts.append(
            """select filename as source_file, file_row_number + 1 as source_row,
                      columns(* exclude (filename, file_row_number))::varchar
               from read_parquet($parquet, union_by_name = true, filename = true,
                                 file_row_number = true)"""
        )
    if csv:
        parts.append(
            """select filename as source_file,
                      row_number() over (partition by filename) as source_row,
                      columns(* exclude (filename))
               from read_csv($csv, all_varchar = true, header = true, union_by_name = true,
                             filename = true)"""
        )
    params = ({"parquet": parquet} if parquet else {}) | ({"csv": csv} if csv else {})
    probe(
        con,
        f"create or replace temp table {table} as {' union all by name '.join(parts)}",
        params,
        "file could not be read",
    )
    return [
        r[0]
        for r in con.execute(f"select column_name from (describe {table})").fetchall()
        if r[0] not in ("source_file", "source_row")
    ]


def parse_focus(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    file_columns = _read_as_text(con, "focus_file", paths)
    missing = [c for c in FOCUS_REQUIRED if c not in file_columns]
    if missing:
        raise UnreadableFile(f"not a FOCUS export: missing column(s) {', '.join(missing)}")
    existing = {
        r[0].lower()
        for r in con.execute(
            """select column_name from information_schema.columns
               where table_schema = 'raw' and table_name = 'focus_billing'"""
        ).fetchall()
    }
    for column in file_columns:
        if column.lower() not in existing:
            # A newer FOCUS version or a provider's x_ column: keep it.
            con.execute(f'alter table {FOCUS_TABLE} add column "{column}" varchar')
    quoted = ", ".join(f'"{c}"' for c in file_columns)
    required = " ".join(
        f"when nullif(trim(\"{c}\"), '') is null then '{c}'" for c in FOCUS_REQUIRED
    )
    decimals = " ".join(
        f'when "{c}" is not null and try_cast("{c}" as decimal(38, 10)) is null then \'{c}\''
        for c in FOCUS_DECIMALS
        if c in file_columns
    )
    con.execute(
        f"""create or replace temp table focus_staged as
            with flagged as (
                select *, case {required} {decimals} end as reject_field from focus_file
            )
            select
                *,
                -- the export's folder names the provider feed: focus/<export_name>/...
                regexp_extract(source_file, '/focus/([^/]+)/', 1) as export_name,
                md5(concat_ws('|', {quoted})) as row_hash,
                case when reject_field is null then null
                     when reject_field in ({", ".join(f"'{c}'" for c in FOCUS_REQUIRED)})
                         then 'missing required FOCUS column value ' || reject_field
                     else reject_field || ' is not a decimal number' end as reject_reason,
                left(concat_ws('|', {quoted}), 500) as reject_value
            from flagged"""
    )
    con.execute("drop table focus_file")
    return split_good_and_bad(
        con, FOCUS_SOURCE, "focus_staged", FOCUS_TABLE, [*file_columns, "export_name", "row_hash"]
    )


def parse_drivers(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    columns = _read_as_text(con, "drivers_file", paths)
    missing = [c for c in ("date", "driver", "value") if c not in columns]
    if missing:
        raise UnreadableFile(f"business driver file lacks column(s) {', '.join(missing)}")
    extra = [c for c in columns if c not in ("date", "driver", "value", "unit")]
    dims = ", ".join(f"'{c}': \"{c}\"" for c in extra) or "'none': null"
    optional = {c: (f'"{c}"' if c in columns else "null::varchar") for c in
                ("unit", "product", "team")}  # fmt: skip
    con.execute(
        f"""create or replace temp table drivers_staged as
            with typed as (
                select
                    source_file,
                    source_row,
                    try_cast("date" as date) as driver_date,
                    nullif(trim("driver"), '') as driver,
                    try_cast(trim("value") as decimal(38, 6)) as value,
                    "value" as value_text,
                    {optional["unit"]} as unit,
                    {optional["product"]} as product,
                    {optional["team"]} as team,
                    to_json({{{dims}}}) as dimensions,
                    md5(concat_ws('|', "date", "driver", "value", {optional["unit"]},
                                  {optional["product"]}, {optional["team"]})) as row_hash,
                    concat_ws(',', "date", "driver", "value") as raw_text
                from drivers_file
            )
            select
                *,
                case when driver_date is null then 'date'
                     when driver is null then 'driver'
                     when value is null then 'value' end as reject_field,
                case when driver_date is null then 'date missing or not a date'
                     when driver is null then 'missing required field driver'
                     when value is null
                         then 'value is not a number: ' || coalesce(value_text, 'empty')
                end as reject_reason,
                raw_text as reject_value
            from typed"""
    )
    con.execute("drop table drivers_file")
    return split_good_and_bad(con, DRIVERS_SOURCE, "drivers_staged", DRIVERS_TABLE,
                              DRIVERS_COLUMNS)  # fmt: skip
