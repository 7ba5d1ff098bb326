"""A company's own reference data: `AIFINOPS_SEEDS_DIR` names a folder with the company's
versions of the organisation seeds (teams, API keys, services, provider accounts, allocation
rules and shares, price overrides, model aliases, internal rates, budgets, FX rates).

dbt reads seeds from one folder (`seed-paths` in dbt_project.yml is
`env_var('AIFINOPS_DBT_SEED_PATH', '../seeds')`, and dbt wants it relative to the project), so
the pipeline assembles that folder here before dbt parses or builds:

- every seed the company supplies is used as it is (a UTF-8 BOM, as spreadsheets write it, is
  removed; its header must have every column of the product's version of that seed);
- a product seed it lacks (the price catalog, FOCUS service categories, ...) comes from the
  repository's `seeds/`;
- an organisation seed it lacks is empty (the header of the repository's version, no rows):
  the demo company's teams or keys never leak into another company;
- a CSV whose name is not a seed of the project is an error (a misspelt `org_team.csv` would
  otherwise leave the company with no teams, silently).

Without `AIFINOPS_SEEDS_DIR` dbt reads the repository's `seeds/` directly (the demo company).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import sys
from pathlib import Path

from dagster_project.config import DBT_PROJECT_DIR, DBT_TARGET_DIR, SEEDS_DIR, Settings

# The seeds that describe one organisation. Every other seed under seeds/ is product reference
# data shipped with the code (price catalog, FOCUS categories), which a company may still
# replace by supplying a file of the same name.
ORGANISATION_SEEDS = (
    "org_teams",
    "org_api_keys",
    "org_services",
    "org_provider_accounts",
    "allocation_rules",
    "allocation_rule_shares",
    "price_overrides",
    "model_aliases",
    "price_internal_rates",
    "budgets",
    # the repository's rates are the demo's: a company converts only at rates it supplies
    # (here or as ECB files in the landing folder's fx/), never at the demo's
    "fx_rates",
)
DBT_SEED_PATH_VARIABLE = "AIFINOPS_DBT_SEED_PATH"
DEFAULT_DBT_SEED_PATH = "../seeds"
# In dbt's target folder (ignored by git), a path dbt takes relative to the project.
ASSEMBLED_SEEDS_DIR = DBT_TARGET_DIR / "company_seeds"
_BOM = b"\xef\xbb\xbf"


class SeedsError(ValueError):
    """The company's seed folder cannot be used; the message names the file and the fix."""


def _header(data: bytes, path: Path) -> list[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedsError(f"{path}: not UTF-8 text ({exc})") from exc
    first = next(csv.reader(io.StringIO(text)), None)
    if not first:
        raise SeedsError(f"{path}: empty file; a seed needs at least its header row")
    return [name.strip() for name in first]


def _product_seeds() -> dict[str, Path]:
    return {path.stem: path for path in sorted(SEEDS_DIR.glob("*.csv"))}


def assemble_seeds(company_dir: Path, out_dir: Path = ASSEMBLED_SEEDS_DIR) -> list[str]:
    """Write the seed folder dbt reads for `company_dir` into `out_dir` and return notes on
    what was not supplied. Files are rewritten only when their content changes, so dbt's
    partial parsing keeps working across runs."""
    if not company_dir.is_dir():
        raise SeedsError(f"AIFINOPS_SEEDS_DIR={company_dir} is not a folder")
    product = _product_seeds()
    supplied = {path.stem: path for path in sorted(company_dir.glob("*.csv"))}
    unknown = sorted(set(supplied) - set(product))
    if unknown:
        raise SeedsError(
            f"{company_dir}: {', '.join(name + '.csv' for name in unknown)} "
            f"is not a seed of this project; known seeds: {', '.join(sorted(product))}"
        )
    wanted: dict[str, bytes] = {}
    notes: list[str] = []
    for name, repo_path in product.items():
        repo_bytes = repo_path.read_bytes()
        if name in supplied:
            data = supplied[name].read_bytes()
            data = data[len(_BOM) :] if data.startswith(_BOM) else data
            missing = [
                column
                for column in _header(repo_bytes, repo_path)
                if column not in _header(data, supplied[name])
            ]
            if missing:
                raise SeedsError(
                    f"{supplied[name]}: header lacks column(s) {', '.join(missing)} "
                    f"(the header of {repo_path.name} in the product is "
                    f"{', '.join(_header(repo_bytes, repo_path))})"
                )
        elif name in ORGANISATION_SEEDS:
            header = repo_bytes.decode("utf-8").splitlines()[0]
            data = (header + "\n").encode("utf-8")
            notes.append(f"{name}.csv not in {company_dir}: empty")
        else:
            data = repo_bytes
        wanted[repo_path.name] = data
    # properties (column types, tests) of every seed come from the product
    for path in sorted(SEEDS_DIR.iterdir()):
        if path.is_file() and path.suffix in (".yml", ".yaml"):
            wanted[path.name] = path.read_bytes()
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in out_dir.iterdir():
        if path.name not in wanted:
            path.unlink() if path.is_file() else shutil.rmtree(path)
    for name, data in wanted.items():
        target = out_dir / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return notes


def dbt_seed_path(settings: Settings, assembled_dir: Path = ASSEMBLED_SEEDS_DIR) -> str:
    """The value of AIFINOPS_DBT_SEED_PATH for `settings`: the repository's seeds, or the
    folder `prepare_seeds` assembles for the company (relative to the dbt project)."""
    if settings.seeds_dir is None:
        return DEFAULT_DBT_SEED_PATH
    return os.path.relpath(assembled_dir, DBT_PROJECT_DIR)


def prepare_seeds(
    settings: Settings | None = None, assembled_dir: Path = ASSEMBLED_SEEDS_DIR
) -> str:
    """Point dbt at the seeds of the configured company (`AIFINOPS_SEEDS_DIR`, else the
    repository's) by setting AIFINOPS_DBT_SEED_PATH for this process and the dbt processes it
    starts. Returns a fingerprint of the seed folder dbt will read (path and every file's
    content), which changes whenever the parsed dbt manifest must."""
    settings = settings or Settings.from_env()
    if settings.seeds_dir is None:
        folder = SEEDS_DIR
    else:
        for note in assemble_seeds(settings.seeds_dir, assembled_dir):
            print(f"seeds: {note}", file=sys.stderr)
        folder = assembled_dir
    seed_path = os.environ[DBT_SEED_PATH_VARIABLE] = dbt_seed_path(settings, assembled_dir)
    digest = hashlib.sha256(f"{seed_path}\n{settings.seeds_dir}\n".encode())
    for path in sorted(folder.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def main() -> None:
    """`python -m dagster_project.transform.org_seeds`: assemble the seeds of
    AIFINOPS_SEEDS_DIR and print what `dbt` run by hand from dbt_models/ needs (the pipeline does
    this itself)."""
    prepare_seeds()
    print(f"export {DBT_SEED_PATH_VARIABLE}={os.environ[DBT_SEED_PATH_VARIABLE]}")


if __name__ == "__main__":
    main()
