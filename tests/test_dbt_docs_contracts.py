"""Every mart BI tools read is documented and under contract (issue 10, item 4), read from the
dbt manifest: the model's description opens with its grain (long-format marts open with the
warning not to sum them), every column has a description and a data_type, and the contract is
enforced, so a column renamed or retyped fails the build instead of a dashboard."""

from __future__ import annotations

import json
import re

import pytest

from dagster_project.serve.assets import MARTS
from dagster_project.transform.dbt_project import dbt_project

LONG_WARNING = "LONG FORMAT, DO NOT SUM ACROSS ROWS"


@pytest.fixture(scope="module")
def mart_nodes() -> dict[str, dict]:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }


def _problems(node: dict) -> list[str]:
    name = node["name"]
    problems = []
    description = " ".join(node.get("description", "").split())
    if name.endswith("_long"):
        if not description.startswith(LONG_WARNING):
            problems.append(f"{name}: a long-format mart's description must open with the warning")
        description = description.split(". ", 1)[-1]
    grain = re.match(r"(START HERE[^.]*\. )?One row per ", description)
    if not grain:
        problems.append(f"{name}: description does not open with its grain ('One row per ...')")
    if not node["config"].get("contract", {}).get("enforced"):
        problems.append(f"{name}: contract not enforced")
    if not node["columns"]:
        problems.append(f"{name}: no columns documented")
    for column in node["columns"].values():
        if not (column.get("description") or "").strip():
            problems.append(f"{name}.{column['name']}: no description")
        if not (column.get("data_type") or "").strip():
            problems.append(f"{name}.{column['name']}: no data_type")
    if node["config"].get("persist_docs") != {"relation": True, "columns": True}:
        problems.append(f"{name}: persist_docs must write table and column comments")
    return problems


def test_every_served_mart_is_documented_and_contracted(mart_nodes: dict[str, dict]) -> None:
    missing = [name for name in MARTS if name not in mart_nodes]
    assert missing == [], f"served marts that are not dbt models in the marts schema: {missing}"
    problems = [problem for name in MARTS for problem in _problems(mart_nodes[name])]
    assert problems == []


def test_every_other_mart_is_documented_and_contracted(mart_nodes: dict[str, dict]) -> None:
    """The marts schema is published whole: a mart not in MARTS is still read by BI tools."""
    problems = [
        problem
        for name, node in sorted(mart_nodes.items())
        if name not in MARTS
        for problem in _problems(node)
    ]
    assert problems == []


def test_the_checks_catch_an_undocumented_uncontracted_mart(mart_nodes: dict[str, dict]) -> None:
    node = json.loads(json.dumps(mart_nodes["fct_allocated_costs"]))
    node["name"] = "rpt_something_long"
    node["description"] = "Totals by dimension."
    node["config"]["contract"] = {"enforced": False}
    node["columns"]["team_id"]["description"] = ""
    node["columns"]["billed_cost"]["data_type"] = None
    assert sorted(_problems(node)) == [
        "rpt_something_long.billed_cost: no data_type",
        "rpt_something_long.team_id: no description",
        "rpt_something_long: a long-format mart's description must open with the warning",
        "rpt_something_long: contract not enforced",
        "rpt_something_long: description does not open with its grain ('One row per ...')",
    ]
