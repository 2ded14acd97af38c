"""Benchmark suites: which instance files, which solver-settings profiles, which seeds.

A suite is a TOML or JSON file (see benchmarks/README.md for the full format)::

    name = "core"
    section = "core"                          # the RESULTS.md section its report fills
    results = "benchmarks/results/core.jsonl" # relative to base_dir; default benchmarks/results/NAME.jsonl
    instances = [
        "instances/demo-small.json",          # a path or a glob, relative to base_dir
        { path = "instances/x.json", published_best = 1234 },
        { importer = "curtois", folder = "data/curtois", glob = "*.txt" },
    ]

    [profiles.t60]
    time_limit_s = 60
    workers = 2
    seeds = [1]                               # or: seed = 1
    strategy = "auto"
    parameters = { search_branching = "LP_SEARCH" }   # any CP-SAT SatParameters field

    [published_best]                          # optional: best known objective per instance label
    "instance-label" = 1234

`base_dir` (optional) is relative to the suite file; without it, paths are relative to the
repository root. Profiles are validated against `SolverSettings` (and so the CP-SAT parameter names
against SatParameters) when the suite is loaded, before anything runs.

Extension point for public benchmarks: an instance entry with ``importer = NAME`` is loaded, in the
run's subprocess, by ``optimizer.importers.NAME.load(path) -> Instance`` (or raw instance JSON
data). The module is imported only when such an entry is used; if it does not exist the suite is
rejected with a clear message. If the module also defines ``published_best(path) -> float | None``,
it supplies the published best objective of each file; a suite may name any other hook with
``published_best_hook = "package.module:function"`` (same signature).
"""

from __future__ import annotations

import difflib
import fnmatch
import glob as globlib
import importlib
import importlib.util
import json
import math
import operator
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from benchmarks.rows import NESTED_FIELDS, NUMERIC_FIELDS, ROW_FIELDS

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNNER_KEYS = {"seed", "seeds", "timeout_s", "description"}
"""Profile keys that are not SolverSettings fields."""


class SuiteError(ValueError):
    """A suite that cannot be run as written; the message names the file and the entry."""


@dataclass(frozen=True)
class InstanceSpec:
    path: Path
    label: str
    importer: str | None = None
    published_best: float | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    settings: dict[str, Any]
    """SolverSettings overrides (time_limit_s, workers, strategy, parameters, ...), without the seed."""
    seeds: tuple[int, ...]
    timeout_s: float
    """Wall-clock seconds after which the run's subprocess is killed (status "timeout")."""


@dataclass(frozen=True)
class Run:
    instance: InstanceSpec
    profile: Profile
    seed: int

    @property
    def settings(self) -> dict[str, Any]:
        return {**self.profile.settings, "seed": self.seed}


@dataclass
class Suite:
    name: str
    path: Path
    base_dir: Path
    section: str
    results: Path
    instances: list[InstanceSpec]
    profiles: dict[str, Profile]
    published_best: dict[str, float] = field(default_factory=dict)
    published_best_hook: str | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    title: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def runs(
        self,
        profiles: list[str] | None = None,
        instances: list[str] | None = None,
        seeds: list[int] | None = None,
    ) -> list[Run]:
        """Every (instance, profile, seed), instance-major; filters by profile name, instance label
        glob and an explicit seed list (which replaces the profiles' seeds)."""
        chosen = [p for name, p in self.profiles.items() if not profiles or name in profiles]
        if profiles:
            unknown = sorted(set(profiles) - set(self.profiles))
            if unknown:
                raise SuiteError(
                    f"{self.path}: unknown profile(s) {', '.join(unknown)}; "
                    f"the suite has {', '.join(self.profiles)}"
                )
        out = []
        for spec in self.instances:
            if instances and not any(fnmatch.fnmatch(spec.label, pattern) for pattern in instances):
                continue
            for profile in chosen:
                for seed in seeds or profile.seeds:
                    out.append(Run(spec, profile, seed))
        return out

    def published_for(self, spec: InstanceSpec) -> float | None:
        """The published best objective of an instance: the entry's own value, then the suite's
        mapping (by label or path), then the importer's `published_best(path)`, then the suite hook."""
        if spec.published_best is not None:
            return spec.published_best
        for key in (spec.label, str(spec.path), _relative(spec.path, self.base_dir)):
            if key in self.published_best:
                return float(self.published_best[key])
        hooks: list[Callable[[Path], Any]] = []
        if spec.importer is not None:
            module = load_importer(spec.importer)
            if hasattr(module, "published_best"):
                hooks.append(module.published_best)
        if self.published_best_hook:
            hooks.append(resolve_hook(self.published_best_hook))
        for hook in hooks:
            value = hook(spec.path)
            if value is not None:
                return float(value)
        return None


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as rows show it: relative to `base` (default the repository root) when inside it."""
    return _relative(path, base or REPO_ROOT)


def read_data(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: a suite must be a table / object")
    return data


def importer_module_name(name: str) -> str:
    return f"optimizer.importers.{name}"


def load_importer(name: str) -> Any:
    """Import `optimizer.importers.<name>` (lazily); a clear SuiteError when it does not exist."""
    module_name = importer_module_name(name)
    try:
        found = importlib.util.find_spec(module_name)
    except ModuleNotFoundError:
        found = None
    if found is None:
        raise SuiteError(
            f"importer '{name}': module {module_name} does not exist (the importers for public "
            f"benchmarks are written separately; it must define load(path) -> Instance)"
        )
    module = importlib.import_module(module_name)
    if not hasattr(module, "load"):
        raise SuiteError(f"importer '{name}': {module_name} has no load(path) function")
    return module


def resolve_hook(spec: str) -> Callable[[Path], Any]:
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise SuiteError(f"published_best_hook '{spec}': expected 'package.module:function'")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise SuiteError(f"published_best_hook '{spec}': {exc}") from None


def _expand(pattern: str, base: Path, where: str) -> list[Path]:
    full = Path(pattern) if Path(pattern).is_absolute() else base / pattern
    if globlib.has_magic(pattern):
        paths = sorted(Path(p) for p in globlib.glob(str(full), recursive=True))
        paths = [p for p in paths if p.is_file()]
        if not paths:
            raise SuiteError(f"{where}: no file matches {pattern} (relative to {base})")
        return paths
    if not full.is_file():
        raise SuiteError(f"{where}: no such file {full}")
    return [full]


def _instance_entries(entry: Any, base: Path, where: str) -> list[InstanceSpec]:
    if isinstance(entry, str):
        return [InstanceSpec(path=p, label=p.stem) for p in _expand(entry, base, where)]
    if not isinstance(entry, dict):
        raise SuiteError(f"{where}: expected a path, a glob or a table")
    unknown = sorted(set(entry) - {"path", "glob", "folder", "importer", "label", "published_best"})
    if unknown:
        raise SuiteError(f"{where}: unknown key(s) {', '.join(unknown)}")
    importer = entry.get("importer")
    if importer is not None:
        load_importer(str(importer))  # fail now, with the entry's name, if the module is absent
    if "folder" in entry:
        folder = base / entry["folder"]
        if not folder.is_dir():
            raise SuiteError(f"{where}: no such folder {folder}")
        paths = _expand(str(Path(entry["folder"]) / entry.get("glob", "*")), base, where)
    elif "path" in entry or "glob" in entry:
        paths = _expand(str(entry.get("path") or entry.get("glob")), base, where)
    else:
        raise SuiteError(f"{where}: an instance table needs 'path', 'glob' or 'folder'")
    published = entry.get("published_best")
    if published is not None and len(paths) != 1:
        raise SuiteError(
            f"{where}: published_best given for {len(paths)} files; use the suite's "
            f"[published_best] mapping instead"
        )
    label = entry.get("label")
    if label is not None and len(paths) != 1:
        raise SuiteError(f"{where}: label given for {len(paths)} files")
    return [
        InstanceSpec(
            path=p,
            label=label or p.stem,
            importer=importer,
            published_best=None if published is None else float(published),
        )
        for p in paths
    ]


SEED_MAX = 2**31 - 1
"""The solver's seed range (`SolverSettings.seed`)."""


def valid_seed(seed: Any) -> bool:
    return isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= SEED_MAX


def _profile(name: str, data: Any, where: str, default_seeds: list[int]) -> Profile:
    from pydantic import ValidationError

    from optimizer.domain.instance import SolverSettings

    if not isinstance(data, dict):
        raise SuiteError(f"{where}: a profile must be a table")
    settings = {k: v for k, v in data.items() if k not in RUNNER_KEYS}
    unknown = sorted(set(settings) - set(SolverSettings.model_fields))
    if unknown:
        raise SuiteError(
            f"{where}: unknown setting(s) {', '.join(unknown)} (SolverSettings fields: "
            f"{', '.join(SolverSettings.model_fields)}; runner keys: {', '.join(sorted(RUNNER_KEYS))})"
        )
    try:
        SolverSettings.model_validate(settings)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise SuiteError(f"{where}: {problems}") from None
    if "seeds" in data and "seed" in data:
        raise SuiteError(f"{where}: give 'seed' or 'seeds', not both")
    seeds = data.get("seeds", [data["seed"]] if "seed" in data else default_seeds)
    if not isinstance(seeds, list) or not seeds or not all(valid_seed(s) for s in seeds):
        raise SuiteError(f"{where}: seeds must be a non-empty list of integers from 0 to {SEED_MAX}")
    time_limit = float(settings.get("time_limit_s", SolverSettings.model_fields["time_limit_s"].default))
    timeout = float(data.get("timeout_s", max(120.0, 3 * time_limit + 120)))
    return Profile(name=name, settings=settings, seeds=tuple(seeds), timeout_s=timeout)


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
"""The comparisons of a target's conditions (`report` evaluates them on the rows)."""
TARGET_KEYS = {"text", "instance", "profile", "require"}


def _target_names(value: Any, known: Collection[str], key: str, where: str) -> None:
    """A target's `instance` or `profile`: a name or a non-empty list of names, each one the suite has."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise SuiteError(f"{where}: '{key}' must be a name or a non-empty list of names")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SuiteError(f"{where}: unknown {key} {', '.join(unknown)}; the suite has {', '.join(known)}")


def _condition_problem(condition: Any) -> str | None:
    """Why a target's [row field, operator, value] cannot be evaluated as written, or None. Checked at
    load time: at report time a misspelt field never matches and a bad operator is a traceback."""
    from optimizer.domain.schedule import Status

    if not isinstance(condition, list) or len(condition) != 3:
        return f"expected [row field, operator, value], got {condition!r}"
    name, op, value = condition
    comparable = [f for f in ROW_FIELDS if f not in NESTED_FIELDS]
    if not isinstance(name, str) or name not in comparable:
        close = difflib.get_close_matches(str(name), comparable, n=1)
        hint = f"did you mean {close[0]}?" if close else f"a target compares {', '.join(comparable)}"
        return f"unknown row field {name!r} ({hint})"
    if not isinstance(op, str) or op not in OPS:
        return f"unknown operator {op!r} (use {', '.join(OPS)})"
    if name in NUMERIC_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return f"{name} is a number; the threshold {value!r} is not a finite number"
    elif op not in ("==", "!="):
        return f"{name} is not a number; compare it with == or !="
    elif name == "valid":
        if not isinstance(value, bool):
            return f"valid is true or false, not {value!r}"
    elif not isinstance(value, str):
        return f"{name} is text; {value!r} never equals it"
    elif name == "status" and value not in (statuses := (*get_args(Status), "error", "timeout")):
        return f"unknown status {value!r} (rows have {', '.join(statuses)})"
    return None


def _target(data: Any, where: str, labels: list[str], profiles: list[str]) -> dict[str, Any]:
    """A `[[targets]]` entry, checked against the suite's instances, profiles and the row fields."""
    if not isinstance(data, dict):
        raise SuiteError(f"{where}: a target must be a table")
    if "text" in data:
        if not isinstance(data["text"], str):
            raise SuiteError(f"{where}: 'text' must be a string")
        where = f'{where} ("{data["text"]}")'
    unknown = sorted(set(data) - TARGET_KEYS)
    if unknown:
        raise SuiteError(f"{where}: unknown key(s) {', '.join(unknown)} (a target has {', '.join(sorted(TARGET_KEYS))})")
    if "instance" not in data:
        raise SuiteError(f"{where}: 'instance' is missing (the label of the instance whose rows it checks)")
    _target_names(data["instance"], labels, "instance", where)
    if "profile" in data:
        _target_names(data["profile"], profiles, "profile", where)
    require = data.get("require", [])
    if not isinstance(require, list):
        raise SuiteError(f"{where}: 'require' must be a list of [row field, operator, value]")
    for j, condition in enumerate(require):
        problem = _condition_problem(condition)
        if problem is not None:
            raise SuiteError(f"{where}: require[{j}]: {problem}")
    return data


def load_suite(path: str | Path) -> Suite:
    path = Path(path)
    data = read_data(path)
    known = {
        "name",
        "title",
        "description",
        "section",
        "results",
        "base_dir",
        "instances",
        "profiles",
        "seeds",
        "published_best",
        "published_best_hook",
        "targets",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise SuiteError(f"{path}: unknown key(s) {', '.join(unknown)}")
    base = (path.parent / data["base_dir"]).resolve() if "base_dir" in data else REPO_ROOT
    entries = data.get("instances")
    if not isinstance(entries, list) or not entries:
        raise SuiteError(f"{path}: 'instances' must be a non-empty list")
    instances: list[InstanceSpec] = []
    for i, entry in enumerate(entries):
        instances += _instance_entries(entry, base, f"{path}: instances[{i}]")
    labels = [s.label for s in instances]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise SuiteError(f"{path}: several instances are labelled {', '.join(duplicates)}; give each a label")
    profiles_data = data.get("profiles")
    if not isinstance(profiles_data, dict) or not profiles_data:
        raise SuiteError(f"{path}: 'profiles' must be a non-empty table of named profiles")
    default_seeds = data.get("seeds", [0])
    profiles = {
        name: _profile(name, p, f"{path}: profiles.{name}", default_seeds)
        for name, p in profiles_data.items()
    }
    targets_data = data.get("targets", [])
    if not isinstance(targets_data, list):
        raise SuiteError(f"{path}: 'targets' must be a list of tables ([[targets]])")
    targets = [
        _target(t, f"{path}: targets[{i}]", labels, list(profiles)) for i, t in enumerate(targets_data)
    ]
    name = str(data.get("name", path.stem))
    results = data.get("results") or REPO_ROOT / "benchmarks" / "results" / f"{name}.jsonl"
    return Suite(
        name=name,
        path=path,
        base_dir=base,
        section=str(data.get("section", name)),
        results=Path(results) if Path(results).is_absolute() else base / results,
        instances=instances,
        profiles=profiles,
        published_best={str(k): float(v) for k, v in data.get("published_best", {}).items()},
        published_best_hook=data.get("published_best_hook"),
        targets=targets,
        description=str(data.get("description", "")),
        title=str(data.get("title", name)),
        raw=data,
    )
