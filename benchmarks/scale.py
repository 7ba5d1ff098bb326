"""The scale benchmark: the pipeline against DuckDB by hand, at N requests over D days.

    make benchmark-scale REQUESTS=1000000 DAYS=90
    python -m benchmarks.scale --requests 1000000 --days 90 [--work data/benchmark/...]

1. generates the landing files (benchmarks/scale_data.py) into <work>/landing;
2. runs the pipeline as a user does: `aifinops-run` (beside this Python) with AIFINOPS_DATA_DIR,
   AIFINOPS_LANDING_DIR, AIFINOPS_DUCKDB_PATH, AIFINOPS_DUCKDB_MEMORY_LIMIT,
   AIFINOPS_DUCKDB_TEMP_DIR and DAGSTER_HOME pointing into <work>; samples the RSS of its whole
   process tree (dbt runs as a child) from /proc every 0.2 s;
3. profiles each run (the full one and the incremental ones of step 5) per stage: landing -> raw,
   the dbt layers, checks, export, publish, from its Dagster runs' step events (in
   <work>/dagster) and dbt's run_results.json, with its slowest dbt nodes;
4. runs the yardstick (benchmarks/yardstick.py) over the same files in a process of its own
   (DuckDB's default memory limit: under the pipeline's it cannot load 10M requests),
   prints the ratio pipeline / yardstick and checks that both give the same billed total per
   team on the token lines (to 10^-6);
5. measures the incremental cases: a re-run with no new file (aifinops-run sees nothing changed
   and skips), the same with --force (dbt's incremental models with no new day), one more day
   (day D+1 written into the landing folder, its month's FOCUS export re-stated), one late log
   file for a past day;
6. prints one markdown table with the machine and writes it to benchmarks/results/<UTC>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from benchmarks import scale_data

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
TOLERANCE = Decimal("0.000001")
SAMPLE_SECONDS = 0.2
SLOWEST = 12  # dbt nodes listed per profiled run
STARTUP = "start, dbt parse"


# --------------------------------------------------------------------------------------------
# Memory of a process tree
# --------------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                # the command may hold spaces and parentheses: the fields follow the last ')'
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root: int) -> int:
    """Resident memory of `root` and all its descendants, in bytes."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo += tree.get(pid, [])
    return total


@dataclass
class Measured:
    seconds: float
    peak_rss: int
    returncode: int
    samples: list[tuple[float, int]] = field(default_factory=list)  # (unix time, bytes)
    started: float = 0.0
    log: Path | None = None


def measure(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run `command`, sampling its process tree's RSS; its output goes to `log`."""
    samples: list[tuple[float, int]] = []
    started = time.time()
    began = time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.time(), tree_rss(process.pid)))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        done.set()
        sampler.join()
    seconds = time.perf_counter() - began
    peak = max((rss for _, rss in samples), default=0)
    return Measured(seconds, peak, code, samples, started, log)


# --------------------------------------------------------------------------------------------
# The run's profile
# --------------------------------------------------------------------------------------------


def _stage_of_step(step: str) -> str:
    """Stage of a Dagster step, by its op name."""
    if step.startswith("raw_") or "extract" in step:
        return "landing -> raw"
    if "dbt" in step:
        return "dbt build"
    if "focus_export" in step:
        return "export"
    if "publish" in step:
        return "publish"
    if "report" in step:
        return "report"
    return "checks"


def step_windows(dagster_home: Path, since: float, until: float) -> list[tuple[str, float, float]]:
    """(step, start, end) of the Dagster runs stored in `dagster_home` that started between
    `since` and `until` (unix times): the runs one `aifinops-run` launched, none when it skipped."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    import dagster as dg

    instance = dg.DagsterInstance.get()
    runs = [r for r in instance.get_run_records(limit=20)
            if r.start_time is not None and since <= r.start_time <= until]  # fmt: skip
    starts: dict[str, float] = {}
    windows = []
    for record in runs:
        for entry in instance.all_logs(record.dagster_run.run_id):
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type_value == "STEP_START":
                starts[event.step_key] = entry.timestamp
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                begin = starts.get(event.step_key, entry.timestamp)
                windows.append((event.step_key, begin, entry.timestamp))
    instance.dispose()
    return windows


def _dbt_layer(result: dict) -> str:
    unique_id = result.get("unique_id", "")
    kind, name = unique_id.split(".")[0], unique_id.split(".")[-1]
    relation = (result.get("relation_name") or "").replace('"', "").split(".")
    schema = relation[-2] if len(relation) >= 2 else ""
    if kind == "test":
        return "dbt tests"
    if kind == "seed":
        return "seeds"
    if schema == "staging" or name.startswith("stg_"):
        return "staging"
    if schema == "intermediate" or name.startswith("int_"):
        if any(word in name for word in ("price", "model_match", "requests_unioned")):
            return "pricing"
        if any(word in name for word in ("alloc", "charges", "usage")):
            return "allocation"
        return "intermediate, other"
    return "marts"


def dbt_results(since: float, until: float) -> list[dict]:
    """The node results of the newest run_results.json dbt wrote between `since` and `until`
    (dagster-dbt writes one per invocation under dbt_models/target/)."""
    candidates = [
        path
        for path in (REPO_ROOT / "dbt_models" / "target").rglob("run_results.json")
        if since <= path.stat().st_mtime <= until
    ]
    if not candidates:
        return []
    newest = max(candidates, key=lambda p: p.stat().st_mtime)
    return json.loads(newest.read_text()).get("results", [])


def dbt_layers(results: list[dict]) -> dict[str, tuple[float, int]]:
    """Layer -> (node seconds, nodes)."""
    layers: dict[str, tuple[float, int]] = {}
    for result in results:
        seconds, nodes = layers.get(_dbt_layer(result), (0.0, 0))
        layers[_dbt_layer(result)] = (seconds + float(result.get("execution_time") or 0), nodes + 1)
    return layers


def slowest_nodes(results: list[dict], count: int = SLOWEST) -> list[tuple[str, float]]:
    """The `count` dbt nodes that took longest: (name, seconds)."""
    timed = [(r.get("unique_id", "?").split(".", 2)[-1], float(r.get("execution_time") or 0))
             for r in results]  # fmt: skip
    return sorted(timed, key=lambda t: -t[1])[:count]


@dataclass
class StageLine:
    stage: str
    seconds: float
    peak_rss: int
    note: str = ""


@dataclass
class Profile:
    stages: list[StageLine]
    slowest: list[tuple[str, float]]

    def seconds(self) -> dict[str, float]:
        return {line.stage: line.seconds for line in self.stages}


def profile(run: Measured, dagster_home: Path) -> Profile:
    """Where `run`'s time went: per stage (Dagster steps), per dbt layer, the slowest nodes."""
    until = run.started + run.seconds + 1
    windows = step_windows(dagster_home, run.started, until)
    stages: dict[str, list[tuple[float, float]]] = {}
    for step, begin, end in windows:
        stages.setdefault(_stage_of_step(step), []).append((begin, end))
    lines = []
    first = min((begin for _, begin, _ in windows), default=until)
    before = [rss for t, rss in run.samples if t < first]
    lines.append(StageLine(STARTUP, min(first, until) - run.started, max(before, default=0)))
    order = ["landing -> raw", "dbt build", "checks", "export", "publish", "report"]
    results = dbt_results(run.started, until)
    for stage in sorted(stages, key=lambda s: order.index(s) if s in order else len(order)):
        spans = stages[stage]
        seconds = sum(end - begin for begin, end in spans)
        peak = max((rss for t, rss in run.samples if any(b <= t <= e for b, e in spans)), default=0)
        lines.append(StageLine(stage, seconds, peak, f"{len(spans)} step(s)"))
        if stage == "dbt build":
            for layer, (node_seconds, nodes) in dbt_layers(results).items():
                lines.append(StageLine(f"  dbt: {layer}", node_seconds, 0, f"{nodes} nodes"))
    return Profile(lines, slowest_nodes(results))


# --------------------------------------------------------------------------------------------
# Comparison with the yardstick
# --------------------------------------------------------------------------------------------


def pipeline_token_totals(warehouse: Path) -> dict[str, Decimal]:
    """Billed cost per team of the token bill lines (allocated by usage) in the fact."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """select team_id, sum(billed_cost)::varchar
               from marts.fct_allocated_costs
               where allocated_method_id like 'direct_usage%'
               group by team_id order by team_id"""
        ).fetchall()
    return {team: Decimal(total) for team, total in rows}


def request_count(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute("select count(*) from marts.fct_llm_requests").fetchone()[0])


def compare(pipeline: dict[str, Decimal], yardstick: dict[str, str]) -> tuple[bool, Decimal]:
    teams = set(pipeline) | set(yardstick)
    diffs = [abs(pipeline.get(t, Decimal(0)) - Decimal(yardstick.get(t, "0"))) for t in teams]
    worst = max(diffs, default=Decimal(0))
    return worst <= TOLERANCE, worst


# --------------------------------------------------------------------------------------------
# The machine and the table
# --------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, {ram:.0f} GiB RAM, {cpu}, {platform.system()} "
        f"{platform.release()}, load average {load:.1f} at the end"
    )


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _pct(part: float, whole: float) -> str:
    return f"{part:.1f} s ({100 * part / whole:.0f}%)" if whole else f"{part:.1f} s"


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def _env(work: Path, memory_limit: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIFINOPS_DATA_DIR=str(work / "data"),
        AIFINOPS_LANDING_DIR=str(work / "landing"),
        AIFINOPS_DUCKDB_PATH=str(work / "data" / "warehouse.duckdb"),
        AIFINOPS_PUBLISH_DIR=str(work / "data" / "published"),
        AIFINOPS_EXPORT_DIR=str(work / "data" / "exports"),
        AIFINOPS_DUCKDB_MEMORY_LIMIT=memory_limit,
        AIFINOPS_DUCKDB_TEMP_DIR=str(work / "tmp"),
        DAGSTER_HOME=str(work / "dagster"),
        # this checkout's code, whatever the virtualenv's editable install points at
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p),
    )
    return env


def _run_pipeline(work: Path, env: dict[str, str], name: str, *flags: str) -> Measured:
    command = [str(Path(sys.executable).parent / "aifinops-run"), *flags]
    print(f"  {name}: {' '.join(command)}", flush=True)
    run = measure(command, env, work / f"{name}.log")
    status = "" if run.returncode == 0 else f" (exit {run.returncode}: see {work / name}.log)"
    print(f"    {run.seconds:.1f} s, peak {_gib(run.peak_rss)}{status}", flush=True)
    return run


def _profile_tables(profiles: dict[str, Profile], requests: int) -> list[str]:
    """Markdown: seconds per stage of each profiled run (requests/s and peak memory of the full
    run), then the slowest dbt nodes of each."""
    full = profiles["full run"]
    others = [name for name in profiles if name != "full run"]
    seconds = {name: p.seconds() for name, p in profiles.items()}
    names = [line.stage for line in full.stages]
    names += sorted({s for p in profiles.values() for s in p.seconds()} - set(names))
    lines = {line.stage: line for line in full.stages}
    text = [
        "",
        "Per stage (Dagster step wall time; dbt layers: node seconds from run_results.json, "
        "which overlap across dbt's threads; requests/s = requests / seconds of the full run):",
        "",
        "| stage | full run | requests/s | peak memory | " + " | ".join(others) + " | |",
        "|---|---|---|---|" + "---|" * len(others) + "---|",
    ]
    for stage in names:
        line = lines.get(stage, StageLine(stage, 0.0, 0))
        work_done = line.seconds > 0 and stage != STARTUP
        rate = f"{requests / line.seconds:,.0f}" if work_done else "-"
        peak = _gib(line.peak_rss) if line.peak_rss else ""
        cells = [f"{seconds[n][stage]:.1f}" if stage in seconds[n] else "-" for n in others]
        text.append(
            f"| {stage} | {line.seconds:.1f} | {rate} | {peak} | "
            + "".join(f"{c} | " for c in cells)
            + f"{line.note} |"
        )
    for name, run_profile in profiles.items():
        text += ["", f"Slowest dbt nodes, {name} (seconds):", ""]
        text += [f"- {node}: {secs:.1f}" for node, secs in run_profile.slowest] or ["- (none)"]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--work", type=Path, default=None,
                        help="work folder (default data/benchmark/<requests>x<days>)")  # fmt: skip
    # the process tree peaks about 1.1 GiB above DuckDB's limit (the Dagster and dbt processes)
    parser.add_argument("--memory-limit", default="4GB",
                        help="AIFINOPS_DUCKDB_MEMORY_LIMIT for the pipeline")  # fmt: skip
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument(
        "--zstd", action="store_true", help="logs zstd-compressed (.zst): 10M and 100M fit the disk"
    )
    args = parser.parse_args(argv)
    work = args.work or REPO_ROOT / "data" / "benchmark" / f"{args.requests}x{args.days}"
    work = work.resolve()
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"{work} is not empty: remove it or give another --work")
    (work / "tmp").mkdir(parents=True)
    (work / "dagster").mkdir()
    (work / "dagster" / "dagster.yaml").write_text("")  # Dagster's defaults, without its warning
    landing = work / "landing"
    env = _env(work, args.memory_limit)
    scale = f"{args.days} d x {args.requests // args.days:,}"
    print(f"scale benchmark: {args.requests:,} requests over {args.days} days in {work}")

    # 1. generate
    gen = scale_data.generate(landing, args.requests, args.days, progress=True, zstd=args.zstd)
    size = scale_data.landing_size(landing)
    print(
        f"generated {gen.requests:,} requests, {gen.bill_lines:,} bill lines, {_size(size)} in "
        f"{gen.seconds:.1f} s ({gen.rate():,.0f} requests/s)",
        flush=True,
    )

    # 2-3. the pipeline, its profile
    full = _run_pipeline(work, env, "full_run")
    profiles = {"full run": profile(full, work / "dagster")}
    warehouse = work / "data" / "warehouse.duckdb"
    requests = request_count(warehouse) if warehouse.exists() else 0
    warehouse_size = warehouse.stat().st_size if warehouse.exists() else 0

    # 4. the yardstick, in a process of its own, over the same files
    ystick_json = work / "yardstick.json"
    # no memory limit: under the pipeline's it cannot load 10M requests' OTLP documents
    command = [sys.executable, str(REPO_ROOT / "benchmarks" / "yardstick.py"), "--landing",
               str(landing), "--json", str(ystick_json)]  # fmt: skip
    ystick = measure(command, env, work / "yardstick.log")
    if ystick.returncode != 0:
        raise SystemExit(f"the yardstick failed: see {work / 'yardstick.log'}")
    by_hand = json.loads(ystick_json.read_text())
    print(f"  yardstick: {ystick.seconds:.1f} s, peak {_gib(ystick.peak_rss)}", flush=True)
    totals = pipeline_token_totals(warehouse) if warehouse.exists() else {}
    agree, worst = compare(totals, by_hand["billed_by_team"])

    # 5. incremental cases
    rerun = forced = plus_day = late = None
    if not args.skip_incremental:
        rerun = _run_pipeline(work, env, "no_change_rerun")  # skipped: nothing changed
        forced = _run_pipeline(work, env, "no_change_forced", "--force")  # dbt's own no-op
        scale_data.generate(
            landing, args.requests, args.days, first_day=args.days, day_count=1, zstd=args.zstd
        )
        plus_day = _run_pipeline(work, env, "plus_one_day")
        late_day = args.days // 2
        late_requests = max(1, scale_data.requests_on(late_day, args.requests, args.days) // 10)
        scale_data.write_late_file(landing, late_day, late_requests, zstd=args.zstd)
        late = _run_pipeline(work, env, "late_file")
        for name, run in (("+1 day", plus_day), ("late file", late), ("same, --force", forced)):
            profiles[name] = profile(run, work / "dagster")

    # 6. the report
    ratio = full.seconds / ystick.seconds if ystick.seconds else float("nan")
    failed = [m for m in (full, rerun, forced, plus_day, late) if m is not None and m.returncode]
    report = [
        f"# Scale benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}. Pipeline DuckDB memory_limit {args.memory_limit}.",
        "",
        "| scale | requests | landing | full run | peak memory | yardstick | ratio | +1 day "
        "| no-change re-run | same, --force | late file |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {scale} | {gen.requests:,} | {_size(size)} | {full.seconds:.1f} s "
        f"| {_gib(full.peak_rss)} | {ystick.seconds:.1f} s ({_gib(ystick.peak_rss)}) "
        f"| {ratio:.1f}x | {_pct(plus_day.seconds, full.seconds) if plus_day else '-'} "
        f"| {_pct(rerun.seconds, full.seconds) if rerun else '-'} "
        f"| {_pct(forced.seconds, full.seconds) if forced else '-'} "
        f"| {_pct(late.seconds, full.seconds) if late else '-'} |",
        "",
        f"Generation: {gen.seconds:.1f} s ({gen.rate():,.0f} requests/s). Requests in "
        f"marts.fct_llm_requests after the full run: {requests:,}; warehouse file "
        f"{_size(warehouse_size)}.",
        f"Billed total per team on the token lines, pipeline vs yardstick: "
        f"{'agree' if agree else 'DIFFER'} (largest difference {worst}; tolerance {TOLERANCE}).",
    ]
    if failed:
        report.append(
            "Runs that exited non-zero: "
            + ", ".join(f"{m.log.name if m.log else '?'} (exit {m.returncode})" for m in failed)
        )
    report += _profile_tables(profiles, gen.requests)
    report += [
        "",
        "Billed cost per team on the token lines:",
        "",
        "| team | pipeline | yardstick |",
        "|---|---|---|",
    ]
    for team in sorted(set(totals) | set(by_hand["billed_by_team"])):
        report.append(
            f"| {team} | {totals.get(team, '-')} | {by_hand['billed_by_team'].get(team, '-')} |"
        )
    text = "\n".join(report) + "\n"
    print("\n" + text)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.md"
    path.write_text(text)
    print(f"written to {path}")
    return 0 if agree and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
