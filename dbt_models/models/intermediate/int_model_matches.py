"""One row per distinct (provider_id, model_raw) that logs and bills name and genai-prices' own
model matching resolves to a price-catalog model (contract C5). The rules live in
dagster_project/transform/prices/model_matching.py; the pricing models join this table after the
organisation's hand aliases (seeds/model_aliases.csv), which win (the model an alias names is
resolved here too). A name that matches nothing has no row and stays unpriced.
The same code runs on DuckDB (relations) and on Spark (DataFrames; README, "Running on Spark")."""

import pyarrow as pa

from dagster_project.transform.prices.model_matching import MATCH_COLUMNS, match_rows

NAMES_SQL = "select distinct {provider}, model_raw from names where model_raw is not null"


def _pairs(relation, provider):
    if hasattr(relation, "createOrReplaceTempView"):  # a Spark DataFrame
        names = relation.selectExpr(f"{provider} as provider_id", "model_raw")
        return [tuple(row) for row in names.where("model_raw is not null").distinct().collect()]
    return relation.query("names", NAMES_SQL.format(provider=provider)).fetchall()


def _aliased_models(relation):
    if hasattr(relation, "createOrReplaceTempView"):
        return relation.selectExpr("provider_id", "model_id as model_raw")
    return relation.project("provider_id, model_id as model_raw")


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt reads refs of Python models statically: each one is written out literally.
    pairs = [
        *_pairs(dbt.ref("stg_litellm__requests"), "provider_id"),
        *_pairs(dbt.ref("stg_otel__genai_spans"), "provider_id"),
        *_pairs(dbt.ref("stg_focus__charges"), "provider_id"),
        # the vendor cost pages are their vendor's own bill (int_billed_charges_unioned)
        *_pairs(dbt.ref("stg_openai__costs"), "'openai'"),
        *_pairs(dbt.ref("stg_anthropic__costs"), "'anthropic'"),
        # the vendor usage APIs, reconciled against the logs by model
        *_pairs(dbt.ref("stg_openai__usage"), "'openai'"),
        *_pairs(dbt.ref("stg_anthropic__usage_report"), "'anthropic'"),
        # an org alias names a model: resolve that name too (an Azure deployment name aliased
        # to gpt-4o is priced at the list genai-prices gives Azure's gpt-4o)
        *_pairs(_aliased_models(dbt.ref("model_aliases")), "provider_id"),
    ]
    rows = match_rows(pairs)
    if hasattr(session, "createDataFrame"):  # Spark
        schema = ", ".join(f"{column} string" for column in MATCH_COLUMNS)
        return session.createDataFrame([tuple(row) for row in rows], schema)
    return pa.table(
        {
            column: pa.array([row[index] for row in rows], type=pa.string())
            for index, column in enumerate(MATCH_COLUMNS)
        }
    )
