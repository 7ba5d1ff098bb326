"""Known anomalies the demo generator injects into its traffic and bills, recorded in the truth
file so the anomaly mart (marts.rpt_cost_anomalies) can be scored for precision and recall.

Four kinds, each on its own days chosen from the seed (deterministic per seed, drawn from a
random stream of their own so the rest of the demo is unchanged by them):

- `runaway_retry_loop`: one day, a gateway feature in production re-sends its successful calls
  (same end user and prompt, seconds apart) three extra times each;
- `dev_environment_left_running`: two days, a large model called around the clock from the
  development environment of one team;
- `prompt_change_tripled_input`: three days, one feature's prompts carry three times the input
  tokens (then the change is rolled back);
- `idle_gpu_host`: three days, a third GPU host billed with no traffic of its own (cost with no
  matching tokens).

Each record names its first and last day and the owners it moves (owner key -> values, in the
warehouse's own ids, model ids as the model_aliases seed resolves them).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.demo import org
from dagster_project.demo.prices import PriceBook

MIN_DAYS = 21  # shorter demos have too little history for a trailing baseline: no injection
IDLE_GPU_INSTANCE = "i-0c5e7a9d13f8b2663"
ENVIRONMENTS = [name for name, _ in org.ENVIRONMENTS]


@dataclass(frozen=True)
class Plan:
    """Days (day indexes) and targets of the injected anomalies."""

    retry_day: int
    retry_workload: int
    dev_days: tuple[int, ...]
    dev_workload: int
    prompt_days: tuple[int, ...]
    prompt_workload: int
    idle_gpu_days: tuple[int, ...]


def plan(days: int, seed: int) -> Plan | None:
    if days < MIN_DAYS:
        return None
    rng = np.random.default_rng(seed + 1009)
    lo, hi = max(14, days // 3), days - 3  # after two weeks of history, before the billing lag
    workloads = org.WORKLOADS
    gateway = [
        i for i, w in enumerate(workloads) if w.channel == "litellm" and w.output_tokens_median
    ]
    large = [
        i
        for i in gateway
        if workloads[i].model_as_logged.startswith(("gpt-4o-2", "gpt-4o", "claude-sonnet"))
    ]
    large = [i for i in large if workloads[i].model_as_logged != "gpt-4o-mini"]
    prompted = [
        i
        for i, w in enumerate(workloads)
        if w.output_tokens_median and w.provider_id != "self_hosted"
    ]

    def start(length: int) -> int:
        return int(rng.integers(lo, hi - length + 2))

    retry_day = start(1)
    dev_start, prompt_start, gpu_start = start(2), start(3), start(3)
    return Plan(
        retry_day=retry_day,
        retry_workload=int(rng.choice(gateway)),
        dev_days=(dev_start, dev_start + 1),
        dev_workload=int(rng.choice(large)),
        prompt_days=tuple(range(prompt_start, prompt_start + 3)),
        prompt_workload=int(rng.choice(prompted)),
        idle_gpu_days=tuple(range(gpu_start, gpu_start + 3)),
    )


def _new_ids(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    ids = rng.integers(0, 2**62, size=(len(rows), 2), dtype=np.int64)
    rows = rows.copy()
    rows["id_a"], rows["id_b"] = ids[:, 0], ids[:, 1]
    return rows


def _moved(rows: pd.DataFrame) -> dict:
    """What the injected or changed rows carry beyond their workload's own ids: untagged
    calls and unmapped keys move the 'unassigned' owner, the demo's dirt other model names."""
    return {
        "untagged": bool(rows["tags_missing"].any()),
        "unmapped_key": bool(rows["key_unmapped"].any()),
        "models": sorted({(p, m) for p, m in zip(rows["provider_id"], rows["model"], strict=True)}),
    }


def inject(
    frame: pd.DataFrame, the_plan: Plan, start: date, seed: int
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The requests with the planned anomalies added (sorted like simulate_requests' output),
    and per kind what the moved rows carry (see _moved)."""
    rng = np.random.default_rng(seed + 2003)
    workloads = frame["workload"].to_numpy()
    extra = []
    moved: dict[str, dict] = {}

    # Runaway retry loop: every successful production call of the feature that day, three
    # more times, 5 to 90 seconds apart (same end user, same prompt).
    base = frame[
        (frame["day"] == the_plan.retry_day)
        & (workloads == the_plan.retry_workload)
        & (frame["environment"] == "production")
        & ~frame["failed"]
        & ~frame["proxy_cache_hit"]
    ]
    for attempt in range(1, 4):
        retries = _new_ids(base, rng)
        offset = pd.to_timedelta(rng.integers(5, 90, len(retries)) * attempt, unit="s")
        retries["ts"] = (retries["ts"] + offset).clip(
            upper=retries["ts"].dt.normalize() + pd.Timedelta("86399s")
        )
        extra.append(retries)
    moved["runaway_retry_loop"] = _moved(base)
    # the re-sent gateway calls are also waste (duplicates of a successful call: marts/waste)
    resent = pd.concat(extra)
    resent = resent[resent["channel"] == "litellm"]
    moved["runaway_retry_loop"]["resent_request_ids"] = sorted(
        f"chatcmpl-{a:016x}{b:016x}" for a, b in zip(resent["id_a"], resent["id_b"], strict=True)
    )

    # Development environment left running a large model: calls around the clock, each with
    # a long prompt, on top of the team's normal development traffic.
    template = frame[
        (workloads == the_plan.dev_workload) & ~frame["failed"] & ~frame["proxy_cache_hit"]
    ]
    template = template[
        ~template["tags_missing"] & ~template["key_unmapped"] & ~template["team_id_missing"]
    ]
    moved["dev_environment_left_running"] = _moved(template)
    per_day = max(40, int(len(frame) / frame["day"].nunique() * 0.04))
    for day in the_plan.dev_days:
        rows = _new_ids(template.sample(n=per_day, replace=True, random_state=rng), rng)
        rows["day"] = day
        rows["environment"] = "development"
        rows["input_tokens"] = rows["input_tokens"] * 2
        seconds = np.sort(rng.integers(0, 86399, per_day))
        rows["ts"] = (
            pd.Timestamp(start, tz="UTC")
            + pd.to_timedelta(day, unit="D")
            + pd.to_timedelta(seconds, unit="s")
        )
        extra.append(rows)

    frame = pd.concat([frame, *extra], ignore_index=True)
    # Prompt change: three times the input tokens on one feature (cached parts unchanged).
    changed = (
        frame["day"].isin(the_plan.prompt_days)
        & (frame["workload"] == the_plan.prompt_workload)
        & ~frame["failed"]
    )
    frame.loc[changed, "input_tokens"] = frame.loc[changed, "input_tokens"] * 3
    moved["prompt_change_tripled_input"] = _moved(frame[changed])
    return frame.sort_values(["ts", "id_a"], kind="stable").reset_index(drop=True), moved


def truth(
    the_plan: Plan, moved: dict[str, dict], start: date, prices: PriceBook, seeds_dir: Path
) -> list[dict]:
    """The injected anomalies: kind, first and last date, what moved, and the owners moved."""
    with open(seeds_dir / "org_teams.csv", newline="") as handle:
        cost_centers = {row["team_id"]: row["cost_center_id"] for row in csv.DictReader(handle)}

    def day(index: int) -> str:
        return str(start + timedelta(days=index))

    def owners(
        index: int, environments: list[str], kind: str | None = None
    ) -> dict[str, list[str]]:
        work = org.WORKLOADS[index]
        rows = moved.get(kind or "", {"untagged": False, "unmapped_key": False, "models": []})
        models = [(work.provider_id, work.model_as_logged), *rows["models"]]
        unassigned = ["unassigned"] if rows["untagged"] else []
        unmapped = ["unassigned"] if rows["unmapped_key"] else []
        return {
            "team": [work.team_id, *unmapped],
            "cost_center": [cost_centers.get(work.team_id, "unassigned"), *unmapped],
            "product": [work.product, *unassigned],
            "use_case": [work.use_case, *unassigned],
            "feature": [work.feature, *unassigned],
            "model": sorted({prices.canonical(p, m)[1] for p, m in models}),
            "environment": environments + unassigned,
        }

    search_host = next(w for w in org.WORKLOADS if w.provider_id == "self_hosted")
    # the host's cost follows the model's users, in whichever environment they are
    gpu_owners = owners(org.WORKLOADS.index(search_host), ENVIRONMENTS)
    return [
        {
            "kind": "runaway_retry_loop",
            "first_date": day(the_plan.retry_day),
            "last_date": day(the_plan.retry_day),
            "metrics": ["cost", "tokens"],
            "owners": owners(the_plan.retry_workload, ["production"], "runaway_retry_loop"),
        },
        {
            "kind": "dev_environment_left_running",
            "first_date": day(the_plan.dev_days[0]),
            "last_date": day(the_plan.dev_days[-1]),
            "metrics": ["cost", "tokens"],
            "owners": owners(
                the_plan.dev_workload, ["development"], "dev_environment_left_running"
            ),
        },
        {
            "kind": "prompt_change_tripled_input",
            "first_date": day(the_plan.prompt_days[0]),
            "last_date": day(the_plan.prompt_days[-1]),
            "metrics": ["cost", "tokens"],
            "owners": owners(the_plan.prompt_workload, ENVIRONMENTS, "prompt_change_tripled_input"),
        },
        {
            "kind": "idle_gpu_host",
            "first_date": day(the_plan.idle_gpu_days[0]),
            "last_date": day(the_plan.idle_gpu_days[-1]),
            "metrics": ["cost"],
            "owners": gpu_owners,
            "resource_id": IDLE_GPU_INSTANCE,
        },
    ]


def score(detected: list[tuple[date, str, str]], injected: list[dict]) -> dict:
    """Precision and recall of detected anomalies (date, owner_key, owner_value) against the
    injected ones. A detection matches an injection when its date lies between the
    injection's first date and one day after its last, and its owner value is one of the
    values the injection moved for that owner key. Precision: share of detections matching
    an injection; recall: share of injections matched by at least one detection."""

    def matches(row: tuple[date, str, str], known: dict) -> bool:
        day, key, value = row
        first, last = (
            date.fromisoformat(known["first_date"]),
            date.fromisoformat(known["last_date"]),
        )
        return first <= day <= last + timedelta(days=1) and value in known["owners"].get(key, [])

    true_detections = [row for row in detected if any(matches(row, k) for k in injected)]
    found = [k["kind"] for k in injected if any(matches(row, k) for row in detected)]
    return {
        "detections": len(detected),
        "true_detections": len(true_detections),
        "false_detections": [row for row in detected if row not in true_detections],
        "injected": len(injected),
        "found": found,
        "precision": len(true_detections) / len(detected) if detected else 1.0,
        "recall": len(found) / len(injected) if injected else 1.0,
    }
