"""The benchmark runner (benchmarks/): a tiny suite end to end in subprocesses, resume, compare,
report sections, plot, CSV export, and the metrics on hand-made traces."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from factories import agent, hourly, tiny_instance  # noqa: E402

from benchmarks import metrics  # noqa: E402
from benchmarks.compare import compare_rows, markdown_table  # noqa: E402
from benchmarks.report import read_section, render_section, targets_table, write_section  # noqa: E402
from benchmarks.rows import ROW_FIELDS, drop_earlier_rows, latest, read_rows, run_key, write_csv  # noqa: E402
from benchmarks.suite import SuiteError, load_suite  # noqa: E402

SUITE = """
name = "tiny"
section = "tiny"
base_dir = "."
instances = ["*.json"]

[profiles.mono]
time_limit_s = 2
workers = 1
seed = 1

[profiles.lns]
time_limit_s = 2
workers = 1
seeds = [1]
strategy = "lns"
parameters = { search_branching = "FIXED_SEARCH", linearization_level = 0 }

[[targets]]
text = "tiny: a valid schedule in under 10 s"
instance = "tiny"
require = [["wall_time_s", "<", 10], ["status", "!=", "unknown"]]

[[targets]]
text = "tiny: an impossible target"
instance = "tiny"
profile = "mono"
require = [["objective", "<", 0]]
"""


def write_tiny(folder: Path) -> Path:
    inst = tiny_instance(
        days=2,
        agents=[agent("a1"), agent("a2"), agent("a3")],
        demand={"voice": hourly({h: 2 for h in range(8, 18)} | {h: 1 for h in range(32, 40)}, days=2)},
    )
    path = folder / "tiny.json"
    path.write_text(inst.model_dump_json(), encoding="utf-8")
    return path


def runner(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.runner", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(suite file, results file, instance file) after one run of the tiny suite."""
    folder = tmp_path_factory.mktemp("bench")
    instance = write_tiny(folder)
    suite = folder / "suite.toml"
    suite.write_text(SUITE, encoding="utf-8")
    results = folder / "results.jsonl"
    done = runner("run", suite, "-o", results)
    assert done.returncode == 0, done.stdout + done.stderr
    return suite, results, instance


# --------------------------------------------------------------------------------------------
# Metrics on hand-made traces


def test_primal_integral_of_a_hand_made_trace() -> None:
    # No incumbent on [0, 2): p = 1; 100 on [2, 4): |100-50|/100 = 0.5; 60 on [4, 8): 10/60;
    # 50 from 8 on: 0. Over T = 10: (2 + 2*0.5 + 4/6 + 0) / 10.
    trace = [[2.0, 100.0, 10.0], [3.0, 120.0, 10.0], [4.0, 60.0, 20.0], [8.0, 50.0, 50.0]]
    expected = (2 + 1 + 4 / 6) / 10
    assert metrics.primal_integral(trace, 50.0, 10.0) == pytest.approx(expected)
    # The non-improving 120 at t=3 is ignored; incumbents after T are ignored.
    assert metrics.primal_integral(trace, 50.0, 6.0) == pytest.approx((2 + 1 + 2 / 6) / 6)
    assert metrics.primal_integral([], 50.0, 10.0) == 1.0
    assert metrics.primal_integral([[0.0, 7.0]], 7.0, 5.0) == 0.0
    assert metrics.primal_integral(trace, None, 10.0) is None
    assert metrics.primal_gap(-5.0, 5.0) == 1.0 and metrics.primal_gap(0.0, 0.0) == 0.0


def test_time_to_within_and_coverage_gap() -> None:
    trace = [[2.0, 100.0], [4.0, 60.0], [8.0, 50.0]]
    assert metrics.time_to_within(trace, 50.0, 0.01) == 8.0
    assert metrics.time_to_within(trace, 50.0, 0.25) == 4.0
    assert metrics.time_to_within([], 50.0) is None
    terms = {
        "under_staffing": 300,
        "over_staffing": 50,
        "labor_cost": 100,
        "shift_demand": 50,
        "preferences": 999,
    }
    # (300 + 50 + 100 + 50 - 400) / (50 agent-intervals * 100) = 2 %
    assert metrics.coverage_gap_pct(terms, 400.0, 50, 100) == pytest.approx(2.0)
    assert metrics.coverage_gap_pct(terms, None, 50, 100) is None
    assert metrics.coverage_gap_pct(terms, 400.0, 0, 100) is None
    assert metrics.ratio(3.0, 2.0) == 1.5 and metrics.ratio(0, 0) == 1.0 and metrics.ratio(1, 0) is None


# --------------------------------------------------------------------------------------------
# The tiny suite end to end


def test_rows_are_well_formed(suite_run: tuple[Path, Path, Path]) -> None:
    _, results, instance = suite_run
    rows = read_rows(results)
    assert [(r["profile"], r["seed"]) for r in rows] == [("mono", 1), ("lns", 1)]
    sha = hashlib.sha256(instance.read_bytes()).hexdigest()
    for row in rows:
        assert tuple(row) == ROW_FIELDS
        assert row["instance"] == "tiny" and row["instance_sha256"] == sha
        assert row["status"] in ("optimal", "feasible") and row["error"] is None
        assert row["valid"] is True
        assert row["objective"] is not None and row["anonymous_bound"] is not None
        assert row["objective"] >= row["anonymous_bound"]
        assert row["settings"]["time_limit_s"] == 2 and row["settings"]["workers"] == 1
        assert row["time_to_first_s"] is not None and row["time_to_within_1pct_s"] is not None
        assert 0.0 <= row["primal_integral"] <= 1.0
        assert row["coverage_gap_pct"] is not None and row["coverage_gap_pct"] >= -1e-9
        assert row["peak_rss_mb"] > 10 and row["wall_time_s"] > 0
        assert row["trace"] and row["trace"][-1][1] >= row["objective"]
        assert row["versions"]["python"] and row["versions"]["ortools"]
        assert row["host"]["cpu_count"] >= 1 and row["started_at"]
    lns = rows[1]
    assert lns["settings"]["strategy"] == "lns"
    assert lns["settings"]["parameters"] == {"search_branching": "FIXED_SEARCH", "linearization_level": 0}


def test_resume_skips_rows_already_present(suite_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    suite, results, _ = suite_run
    copy = tmp_path / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines()
    copy.write_text(lines[0] + "\n" + lines[1][:40], encoding="utf-8")  # the second row torn by a kill
    done = runner("run", suite, "-o", copy, "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 of 2 runs already" in done.stdout
    rows = read_rows(copy)
    assert [r["profile"] for r in rows] == ["mono", "lns"]
    again = runner("run", suite, "-o", copy, "--resume")
    assert "2 of 2 runs already" in again.stdout and len(read_rows(copy)) == 2


def test_broken_lines_are_named_and_skipped(
    suite_run: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line that is not a JSON row (garbage, bytes that are not UTF-8, a row torn by a kill) is
    skipped with a warning naming the file, the lines and how many; every command keeps going with
    the good rows, and --resume runs the torn row's run again. (They were dropped silently, and a
    line that was not UTF-8 was a traceback.)"""
    suite, results, _ = suite_run
    mono, lns = results.read_bytes().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(mono + b"\nnot json {\n\xff\xfe\n" + lns[:40])  # lines 2-4 broken, no newline at the end
    warning = f"warning: {broken}: skipped 3 line(s) that are not JSON rows (lines 2, 3, 4;"
    assert [r["profile"] for r in read_rows(broken)] == ["mono"]
    assert warning in capsys.readouterr().err
    assert read_rows(broken, warn=False) and capsys.readouterr().err == ""
    md = tmp_path / "RESULTS.md"
    for command in (
        ("report", suite, "-o", md, "--results", broken),
        ("export", broken, "-o", tmp_path / "rows.csv"),
        ("compare", broken, results),
    ):
        done = runner(*command)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr.count(warning) == 1 and "using the other 1 row(s)" in done.stderr, command[0]
    assert "| tiny | mono |" in (read_section(md, "tiny") or "")
    assert len((tmp_path / "rows.csv").read_text(encoding="utf-8").splitlines()) == 2  # header and mono
    resumed = runner("run", suite, "-o", broken, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stderr.count(warning) == 1 and "1 of 2 runs already" in resumed.stdout
    assert [r["profile"] for r in read_rows(broken, warn=False)] == ["mono", "lns"]


def test_resume_retries_failed_runs_and_replaces_their_rows(
    suite_run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """--resume counts a run as done when its last row has the solver's answer: a run whose last row
    is an error or a timeout runs again, and its new row replaces the old ones (one row per run).
    (Every run with a row was skipped, failed or not.)"""
    suite, results, _ = suite_run
    mono, lns = read_rows(results)
    copy = tmp_path / "results.jsonl"
    crashed = {**mono, "status": "error", "error": "the run's process exited with code -9", "valid": False}
    copy.write_text(json.dumps(crashed) + "\n" + json.dumps(lns) + "\n", encoding="utf-8")
    done = runner("run", suite, "-o", copy, "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 of 2 runs already" in done.stdout and "retrying 1 run(s) that ended in an error" in done.stdout
    kept, retried = read_rows(copy)
    assert kept == lns and retried["profile"] == "mono" and retried["status"] == "optimal"
    # The last row of a run decides: an older success does not count when a timeout followed it.
    timed_out = {**lns, "status": "timeout", "error": "timeout after 126 s", "valid": False}
    with copy.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(timed_out) + "\n")
    again = runner("run", suite, "-o", copy, "--resume")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 of 2 runs already" in again.stdout and "retrying 1 run(s)" in again.stdout
    rows = read_rows(copy)
    assert [(r["profile"], r["status"]) for r in rows] == [("mono", "optimal"), ("lns", "optimal")]
    assert rows[0] == retried and rows[1] not in (lns, timed_out) and rows[1]["error"] is None
    assert len(copy.read_text(encoding="utf-8").splitlines()) == 2
    # The rewrite keeps every other line as it was, rows or not.
    unit = tmp_path / "unit.jsonl"
    key = {"instance_path": "a.json", "instance_sha256": "x", "profile": "p", "seed": 1}
    other = json.dumps({**key, "seed": 2, "status": "error"})
    unit.write_text(
        f'{json.dumps({**key, "status": "error"})}\ngarbage\n{other}\n{json.dumps({**key, "status": "optimal"})}',
        encoding="utf-8",
    )
    assert drop_earlier_rows(unit, run_key(key)) == 1
    assert unit.read_text(encoding="utf-8") == f'garbage\n{other}\n{json.dumps({**key, "status": "optimal"})}'


def test_results_files_are_never_lost_to_a_mistake(suite_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """A --fresh run whose filters match nothing, a report or plot from a mistyped results file and a CSV
    that would land on the results file each stop with exit 2 and leave every file as it was."""
    suite, results, _ = suite_run
    kept = tmp_path / "results.jsonl"
    kept.write_text(results.read_text(encoding="utf-8"), encoding="utf-8")
    before = kept.read_text(encoding="utf-8")
    nothing = runner("run", suite, "-o", kept, "--fresh", "-i", "no-such-instance")
    assert nothing.returncode == 2 and "no run matches" in nothing.stderr
    assert kept.read_text(encoding="utf-8") == before  # --fresh deleted it before the checks
    md = tmp_path / "RESULTS.md"
    md.write_text("# R\n", encoding="utf-8")
    assert runner("report", suite, "-o", md, "--results", results).returncode == 0
    report_before = md.read_text(encoding="utf-8")
    typo = runner("report", suite, "-o", md, "--results", tmp_path / "resutls.jsonl")
    assert typo.returncode == 2 and "no such results file" in typo.stderr
    assert md.read_text(encoding="utf-8") == report_before  # was replaced by "No results yet"
    unplotted = runner("plot", tmp_path / "resutls.jsonl", "-o", tmp_path / "plots")
    assert unplotted.returncode == 2 and "no such results file" in unplotted.stderr
    as_csv = tmp_path / "rows.csv"
    as_csv.write_text(before, encoding="utf-8")
    onto = runner("export", as_csv)
    assert onto.returncode == 2 and "would overwrite the results file" in onto.stderr
    assert as_csv.read_text(encoding="utf-8") == before
    for seeds in ("a", "-1", "1.5", ",", "99999999999"):
        bad = runner("run", suite, "-o", kept, "--seeds", seeds)
        assert bad.returncode == 2 and "comma-separated integers from 0 to 2147483647" in bad.stderr, seeds
    folder = tmp_path / "folder"
    folder.mkdir()
    unwritable = runner("run", suite, "-o", folder)
    assert unwritable.returncode == 2 and "is a directory" in unwritable.stderr and "Traceback" not in unwritable.stderr


def test_a_crashing_run_does_not_stop_the_suite(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"name": "broken"}', encoding="utf-8")
    write_tiny(tmp_path)
    suite = tmp_path / "suite.json"
    suite.write_text(
        json.dumps(
            {
                "base_dir": ".",
                "instances": ["broken.json", "tiny.json"],
                "profiles": {"p": {"time_limit_s": 1, "workers": 1}},
            }
        ),
        encoding="utf-8",
    )
    done = runner("run", suite, "-o", tmp_path / "r.jsonl")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 of 2 run(s) ended in an error or a timeout" in done.stderr
    broken, tiny = read_rows(tmp_path / "r.jsonl")
    assert broken["status"] == "error" and broken["valid"] is False and "horizon" in broken["error"]
    assert tiny["status"] in ("optimal", "feasible") and tiny["valid"] is True
    only_broken = runner("run", suite, "-o", tmp_path / "b.jsonl", "-i", "broken")
    assert only_broken.returncode == 1  # every run failed: a script must see it


def _solving_children(pid: int) -> list[psutil.Process]:
    """The runner's `benchmarks.child` processes (it also starts short-lived `git` processes)."""
    found = []
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    for child in children:
        try:
            if "benchmarks.child" in child.cmdline():
                found.append(child)
        except psutil.Error:
            pass
    return found


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_signal_kills_the_run_in_progress_and_keeps_the_finished_rows(
    tmp_path: Path, signum: int, code: int, message: str
) -> None:
    """SIGTERM (a CI timeout, `kill`) ends `run` like Ctrl-C: the process of the run in progress is
    killed, the finished rows stay, and the exit is prompt. (On SIGTERM the runner died at once and
    its child went on solving, orphaned.)"""
    write_tiny(tmp_path)
    slow = REPO_ROOT / "instances" / "demo-small.json"  # not proven optimal in a minute on one worker
    suite = tmp_path / "suite.json"
    suite.write_text(
        json.dumps(
            {
                "base_dir": ".",
                "instances": ["tiny.json", str(slow)],
                "profiles": {"p": {"time_limit_s": 60, "workers": 1, "seed": 1}},
            }
        ),
        encoding="utf-8",
    )
    results = tmp_path / "r.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.runner", "run", str(suite), "-o", str(results)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 90
        while not children and proc.poll() is None and time.monotonic() < deadline:
            # the tiny run's row is written after its process ended: a child now runs demo-small
            if len(read_rows(results, warn=False)) == 1:
                children = _solving_children(proc.pid)
            time.sleep(0.05)
        assert children, "the demo-small run did not start"
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signum)  # to the runner only, as `kill` does
        _, stderr = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
        time.sleep(0.2)
        assert not [c.pid for c in children if c.is_running()], "the run's process survived the signal"
        assert proc.returncode == code and elapsed < 10, (proc.returncode, elapsed, stderr)
        assert f"{message}: every finished run is in {results}" in stderr and "Traceback" not in stderr
        [row] = read_rows(results)
        assert row["instance"] == "tiny" and row["status"] == "optimal"
    finally:
        for child in children:
            if child.is_running():
                child.kill()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_compare_has_ratio_columns(suite_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, results, _ = suite_run
    rows = read_rows(results)
    slower = [{**r, "time_to_first_s": 2 * r["time_to_first_s"]} for r in rows]
    table = compare_rows(rows, slower, label_a="a", label_b="b")
    assert [line["profile"] for line in table.lines] == ["mono", "lns"]
    assert table.lines[0]["objective B/A"] == 1.0
    assert table.lines[0]["first s B/A"] == pytest.approx(2.0)
    text = markdown_table(table)
    assert "| metric | A | B | B/A |" in text and "| objective |" in text
    out = tmp_path / "cmp.md"
    done = runner("compare", results, results, "--markdown", out)
    assert done.returncode == 0, done.stderr
    assert "B/A" in done.stdout and "B/A" in out.read_text(encoding="utf-8")


def test_report_rewrites_only_its_section(suite_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    suite_path, results, _ = suite_run
    md = tmp_path / "RESULTS.md"
    before = (
        "# Results\n\nIntro kept.\n\n<!-- section:core -->\ncore text\n<!-- /section:core -->\n\n"
        "<!-- section:tiny -->\nold tiny\n<!-- /section:tiny -->\n\nFooter kept.\n"
        "<!-- section:erlang -->\nerlang text\n<!-- /section:erlang -->\n"
    )
    md.write_text(before, encoding="utf-8")
    done = runner("report", suite_path, "--output", md, "--results", results)
    assert done.returncode == 0, done.stdout + done.stderr
    after = md.read_text(encoding="utf-8")
    body = read_section(md, "tiny")
    assert body is not None and "old tiny" not in body
    assert "| tiny | mono |" in body and "| tiny | lns |" in body
    assert "| tiny: a valid schedule in under 10 s | met |" in body
    assert "| tiny: an impossible target | **not met** |" in body
    assert "Versions: Python" in body and "Machine:" in body
    head, tail = before.split("old tiny")
    assert after.startswith(head.rsplit("\n", 1)[0]) and after.endswith(tail.split("\n", 1)[1])
    assert read_section(md, "core") == "core text" and read_section(md, "erlang") == "erlang text"
    # A section without markers yet is appended with a heading; an empty suite says so.
    write_section(md, "pyworkforce", "new text", title="pyworkforce comparison")
    assert md.read_text(encoding="utf-8").endswith(
        "## pyworkforce comparison\n\n<!-- section:pyworkforce -->\nnew text\n<!-- /section:pyworkforce -->\n"
    )
    suite = load_suite(suite_path)
    assert "No results yet" in render_section("tiny", suite, [], results)
    assert "| not run |" in targets_table(suite.targets, [])


def test_plot_writes_a_png(suite_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    from benchmarks.plot import plot_rows

    _, results, _ = suite_run
    [png] = plot_rows(read_rows(results), tmp_path / "plots")
    assert png.name == "tiny.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_export_csv(suite_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, results, _ = suite_run
    path = write_csv(read_rows(results), tmp_path / "r.csv")
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "primal_integral" in header and "terms.under_staffing" in header
    assert "trace" not in header.split(",")


def test_suite_errors_are_clear(tmp_path: Path) -> None:
    write_tiny(tmp_path)
    suite = tmp_path / "s.toml"
    suite.write_text(
        'base_dir = "."\ninstances = [{ importer = "no_such_format", folder = "." }]\n'
        "[profiles.p]\ntime_limit_s = 1\n",
        encoding="utf-8",
    )
    with pytest.raises(SuiteError, match=r"optimizer\.importers\.no_such_format does not exist"):
        load_suite(suite)
    suite.write_text(
        'base_dir = "."\ninstances = ["tiny.json"]\n[profiles.p]\nparameters = { no_such = 1 }\n',
        encoding="utf-8",
    )
    with pytest.raises(SuiteError, match="unknown CP-SAT parameter"):
        load_suite(suite)
    suite.write_text('base_dir = "."\ninstances = ["tiny.json"]\n[profiles.p]\nseeds = [true]\n', encoding="utf-8")
    with pytest.raises(SuiteError, match="seeds must be a non-empty list of integers from 0 to 2147483647"):
        load_suite(suite)
    suite.write_text('base_dir = "."\ninstances = ["missing-*.json"]\n[profiles.p]\n', encoding="utf-8")
    with pytest.raises(SuiteError, match="no file matches"):
        load_suite(suite)
    core = load_suite(REPO_ROOT / "benchmarks" / "suites" / "core.toml")
    assert [(r.instance.label, r.profile.name, r.seed) for r in core.runs()] == [
        (name, profile, 1)
        for name in ("demo-small", "multiskill-medium", "multiskill-large")
        for profile in ("t60", "t300")
    ]
    assert core.profiles["t300"].settings == {"time_limit_s": 300, "workers": 2}


def test_suite_targets_are_checked_when_loaded(tmp_path: Path) -> None:
    """A target that names an unknown row field, instance or profile, or has a malformed condition,
    stops the suite when it is loaded, naming the file, the target and the reason. (At report time the
    first three silently never matched, and a bad operator or threshold was a traceback.)"""
    write_tiny(tmp_path)
    suite = tmp_path / "s.toml"
    head = 'base_dir = "."\ninstances = ["tiny.json"]\n[profiles.mono]\ntime_limit_s = 1\n\n[[targets]]\ntext = "t"\n'
    cases = {
        'instance = "tiny"\nrequire = [["coverage_gap", "<=", 2]]': (
            r'require\[0\]: unknown row field \'coverage_gap\' \(did you mean coverage_gap_pct\?\)'
        ),
        'instance = "tinny"\nrequire = [["objective", "<", 1]]': "unknown instance tinny; the suite has tiny",
        'instance = "tiny"\nprofile = ["mono", "t60"]': "unknown profile t60; the suite has mono",
        'require = [["objective", "<", 1]]': "'instance' is missing",
        'instance = "tiny"\nprofiles = "mono"': "unknown key.s. profiles",
        'instance = "tiny"\nrequire = [["objective", "=<", 1]]': r"unknown operator '=<' \(use <, <=, >, >=, ==, !=\)",
        'instance = "tiny"\nrequire = [["objective", "<=", "2%"]]': "objective is a number; the threshold '2%'",
        'instance = "tiny"\nrequire = [["objective", "<="]]': r"expected \[row field, operator, value\]",
        'instance = "tiny"\nrequire = [["status", "<", 1]]': "status is not a number; compare it with == or !=",
        'instance = "tiny"\nrequire = [["status", "==", "optimial"]]': "unknown status 'optimial'",
        'instance = "tiny"\nrequire = [["terms", "==", 1]]': "unknown row field 'terms'",
    }
    for body, reason in cases.items():
        suite.write_text(head + body + "\n", encoding="utf-8")
        with pytest.raises(SuiteError, match=rf'^{re.escape(str(suite))}: targets\[0\] \("t"\): .*{reason}'):
            load_suite(suite)
    suite.write_text(head + 'instance = ["tiny"]\nprofile = "mono"\nrequire = [["status", "!=", "error"], '
                     '["valid", "==", true], ["coverage_gap_pct", "<=", 2.5]]\n', encoding="utf-8")
    assert len(load_suite(suite).targets) == 1
    suite.write_text(head + 'instance = "tiny"\nrequire = [["objective", "<="]]\n', encoding="utf-8")
    for command in (("report", suite, "-o", tmp_path / "R.md"), ("run", suite, "--dry-run")):
        done = runner(*command)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert f'{suite}: targets[0] ("t"): require[0]: expected [row field, operator, value]' in done.stderr
    assert not (tmp_path / "R.md").exists()


def test_latest_keeps_the_last_row_of_a_rerun_in_the_place_of_its_first() -> None:
    # Re-running one instance of a suite (`--instance`) must not move it to the end of the report.
    def row(name: str, objective: int) -> dict:
        return {"instance_path": name, "instance_sha256": "x", "profile": "p", "seed": 1, "objective": objective}

    rows = latest([row("a", 3), row("b", 5), row("c", 7), row("b", 4)])
    assert [(r["instance_path"], r["objective"]) for r in rows] == [("a", 3), ("b", 4), ("c", 7)]


def test_commit_is_dirty_for_code_changes_not_for_the_measurements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run appends rows and regenerates RESULTS.md: that alone must not mark its rows dirty."""
    from benchmarks import runner

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "benchmarks" / "RESULTS.md").write_text("# results\n")
    (tmp_path / "benchmarks" / "results" / "core.jsonl").write_text("")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path)

    def commit() -> str:
        runner.versions.cache_clear()
        return runner.versions()["commit"]

    try:
        clean = commit()
        assert clean and not clean.endswith("-dirty")
        (tmp_path / "benchmarks" / "results" / "core.jsonl").write_text('{"row": 1}\n')
        (tmp_path / "benchmarks" / "RESULTS.md").write_text("# results, regenerated\n")
        assert commit() == clean
        (tmp_path / "code.py").write_text("x = 2\n")
        assert commit() == clean + "-dirty"
    finally:
        runner.versions.cache_clear()  # later rows see this repository's commit again
