"""The demo's Azure OpenAI subscription and Vertex AI project (issue 13, item 3, done-when):
their token lines are allocated to the teams that logged the calls, not left unallocated;
provisioned throughput hours follow their rule; each bill source adds up to its files."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from tests.conftest import BuiltWarehouse

pytestmark = pytest.mark.integration

CLOUD_AI = ("azure_openai", "gcp_vertex_ai")


def test_azure_and_vertex_token_lines_are_allocated_not_unallocated(
    built_warehouse: BuiltWarehouse,
):
    with built_warehouse.connect() as con:
        rows = con.execute(
            """select provider_id, is_unallocated, count(distinct charge_id), sum(billed_cost),
                      min(unallocated_reason)
               from marts.fct_allocated_costs
               where provider_id in ('azure_openai', 'gcp_vertex_ai') and token_part is not null
               group by all order by all"""
        ).fetchall()
        teams = con.execute(
            """select distinct provider_id, team_id from marts.fct_allocated_costs
               where provider_id in ('azure_openai', 'gcp_vertex_ai') and token_part is not null
               order by all"""
        ).fetchall()
    assert [(provider, unallocated) for provider, unallocated, *_ in rows] == [
        ("azure_openai", False),
        ("gcp_vertex_ai", False),
    ], rows
    assert all(count > 0 and billed > 0 for _, _, count, billed, _ in rows)
    assert teams == [("azure_openai", "growth"), ("gcp_vertex_ai", "growth")]


def test_provisioned_throughput_hours_are_allocated_by_their_rule(
    built_warehouse: BuiltWarehouse,
):
    with built_warehouse.connect() as con:
        methods = con.execute(
            """select distinct allocated_method_id from marts.fct_allocated_costs
               where provider_id = 'azure_openai' and sku_meter = 'Provisioned Managed Global'
               order by 1"""
        ).fetchall()
    assert methods == [("rule:azure_openai_provisioned",), ("rule:azure_openai_provisioned:idle",)]


def test_each_cloud_bill_adds_up_to_its_files(built_warehouse: BuiltWarehouse):
    landing = built_warehouse.landing_dir
    with duckdb.connect() as con:
        files = {
            "azure_openai": con.execute(
                f"""select sum(BilledCost::decimal(38, 10))
                    from read_csv('{landing}/focus/azure/*/*.csv', all_varchar = true)"""
            ).fetchone()[0],
            "gcp_vertex_ai": con.execute(
                f"""select sum(BilledCost::decimal(38, 10))
                    from read_parquet('{landing}/focus/gcp/*/*.parquet')"""
            ).fetchone()[0],
        }
    with built_warehouse.connect() as con:
        fact = dict(
            con.execute(
                """select provider_id, sum(billed_cost) from marts.fct_allocated_costs
                   where provider_id in ('azure_openai', 'gcp_vertex_ai') group by 1"""
            ).fetchall()
        )
    truth = {p: Decimal(built_warehouse.truth["billed_usd"][p]) for p in CLOUD_AI}
    assert fact == files == truth
