"""How `make test` shares the tests between two pytest-xdist workers (`-n 2`; `--dist loadgroup`
and `--no-loadscope-reorder` are in pyproject's addopts). The hooks are imported into
tests/conftest.py.

- Each test module is one group, run by one worker in file order: its tests share its
  module-scoped fixtures (a pipeline run each) and some rely on the order of their steps.
- Every module with a test reading a session-scoped fixture of ours (the built warehouse) is in
  one group, "built_warehouse", so that warehouse is built once.
- The longest groups start first: a long group that starts last leaves the other worker idle.

xdist's own `loadgroup` reads `xdist_group` marks by renaming each test's node id, which pytest
9.2 no longer lets a plugin do (the rename is lost). So each worker writes the groups it
collected to a file and the controlling process schedules whole groups from it."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

SHARED_FIXTURE_GROUP = "built_warehouse"
# Started first, in this order (longest first, measured with --durations); every other group
# follows in collection order.
LONGEST_GROUPS = (
    "test_spark",
    SHARED_FIXTURE_GROUP,
    "test_time_zones",
    "test_any_company_setup",
    "test_incremental",
    "test_resilience",
    "test_budgets",
)
_GROUPS_DIR = pytest.StashKey[Path]()


def _distributing(config: pytest.Config) -> bool:
    return config.getoption("dist", "no") == "loadgroup" and bool(config.getoption("tx", None))


def _reads_a_session_fixture_of_ours(item: pytest.Item) -> bool:
    return any(
        fixture.scope == "session" and fixture.baseid.startswith("tests")
        for name in item.fixturenames
        for fixture in item._fixtureinfo.name2fixturedefs.get(name, ())
    )


def groups_of(items: list[pytest.Item]) -> dict[str, str]:
    """{node id: group} for the collected tests."""
    shared = {item.module.__name__ for item in items if _reads_a_session_fixture_of_ours(item)}
    return {
        item.nodeid: SHARED_FIXTURE_GROUP
        if item.module.__name__ in shared
        else item.module.__name__.split(".")[-1]
        for item in items
    }


def pytest_configure(config: pytest.Config) -> None:
    if _distributing(config) and not hasattr(config, "workerinput"):
        config.stash[_GROUPS_DIR] = Path(tempfile.mkdtemp(prefix="aifinops-xdist-groups-"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _GROUPS_DIR in config.stash:
        shutil.rmtree(config.stash[_GROUPS_DIR], ignore_errors=True)


def pytest_configure_node(node) -> None:  # xdist's WorkerController
    """Controller side: tell each worker where to write the groups it collects."""
    node.workerinput["aifinops_groups_dir"] = str(node.config.stash[_GROUPS_DIR])


@pytest.hookimpl(trylast=True)  # after deselection (-k, -m)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Worker side: the longest groups first (the same order on every worker, as xdist
    requires), and the groups written for the controller."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or "aifinops_groups_dir" not in workerinput:
        return
    groups = groups_of(items)
    rank = {group: index for index, group in enumerate(LONGEST_GROUPS)}
    items.sort(key=lambda item: rank.get(groups[item.nodeid], len(rank)))  # stable
    written = Path(workerinput["aifinops_groups_dir"]) / f"{workerinput['workerid']}.json"
    written.write_text(json.dumps(groups))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        """xdist's scheduling by scope (whole work units to one worker, in collection order),
        with our groups as the scopes."""

        def __init__(self, config: pytest.Config, log: object) -> None:
            super().__init__(config, log)
            self.groups: dict[str, str] = {}

        def schedule(self) -> None:
            if self.collection is None:  # the first call: every worker has collected
                folder = config.stash[_GROUPS_DIR]
                for written in sorted(folder.glob("*.json")):
                    self.groups = {**json.loads(written.read_text()), **self.groups}
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return self.groups.get(nodeid) or super()._split_scope(nodeid)

    return GroupScheduling(config, log)
