"""``make bench``'s arithmetic and arguments (bench/common.py, bench/submit.py), without a
server: the median of an odd number of runs with min and max, the ratio to a baseline, the
options, and a scenario the baseline cannot answer reported as such."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import median_run, odd_runs, paired_ratios, spread, summarize
from bench.scenarios import QUICK, SCENARIOS, makers
from bench.submit import parse_args, report, tree_names

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(rps: float, p50: float = 1.0, p99: float = 2.0, errors: int = 0) -> dict:
    return {"rps": rps, "p50_ms": p50, "p95_ms": p99, "p99_ms": p99, "errors": errors}


def test_the_median_of_an_odd_number_of_values_is_the_middle_one_with_min_and_max():
    assert spread([30.0, 10.0, 20.0]) == {"median": 20.0, "min": 10.0, "max": 30.0}
    assert spread([5.0, 1.0, 4.0, 2.0, 3.0]) == {"median": 3.0, "min": 1.0, "max": 5.0}


@pytest.mark.parametrize("count", [2, 4])
def test_an_even_number_of_runs_has_no_median_run(count):
    with pytest.raises(ValueError, match="odd"):
        spread([float(i) for i in range(count)])
    with pytest.raises(ValueError, match="odd"):
        median_run([run(float(i)) for i in range(count)])


def test_each_measure_has_its_own_median_and_the_errors_of_every_run_add_up():
    summary = summarize([run(100, 5, 50, 1), run(300, 2, 40), run(200, 9, 10, 2)])
    assert summary["rps"] == {"median": 200, "min": 100, "max": 300}
    assert summary["p50_ms"] == {"median": 5, "min": 2, "max": 9}
    assert summary["p99_ms"] == {"median": 40, "min": 10, "max": 50}
    assert summary["errors"] == 3
    assert summary["runs"] == 3


def test_the_ratio_to_the_baseline_is_of_the_medians_with_the_range_of_paired_runs():
    ratio = paired_ratios(
        [run(300), run(200), run(400)],  # median 300
        [run(100), run(100), run(50)],  # median 100
    )
    assert ratio == {"median": 3.0, "min": 2.0, "max": 8.0}


def test_no_ratio_when_the_baseline_completed_no_request_in_its_median_run():
    assert paired_ratios([run(5), run(6), run(7)], [run(0), run(0), run(4)]) is None
    assert paired_ratios([run(5), run(6), run(7)], [run(0), run(3), run(4)]) == {
        "median": 2.0,
        "min": 1.75,
        "max": 2.0,
    }


@pytest.mark.parametrize("text", ["3", "5", "21"])
def test_an_odd_run_count_of_at_least_three_is_accepted(text):
    assert odd_runs(text) == int(text)


@pytest.mark.parametrize("text", ["1", "2", "4", "0", "-3"])
def test_a_run_count_that_is_even_or_below_three_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="odd number of runs, at least 3"):
        odd_runs(text)


def test_by_default_every_scenario_runs_at_1_8_and_32_clients_on_this_tree_only():
    args = parse_args(["--client", "wrk"])
    assert args.baseline is None
    assert args.scenarios == list(SCENARIOS)
    assert args.concurrency == [1, 8, 32]
    assert (args.runs, args.seconds) == (3, 2)


def test_the_floors_self_and_the_acceptance_scenarios_are_all_there():
    assert {"healthz", "auth-floor", "self", "enroll-ec", "pending"} <= set(SCENARIOS)


def test_quick_measures_the_floors_and_the_acceptance_scenarios_at_8_and_32_clients():
    args = parse_args(["--quick", "--baseline", "93fe895", "--client", "wrk"])
    assert args.baseline == "93fe895"
    assert args.scenarios == list(QUICK)
    assert args.concurrency == [8, 32]


def test_options_given_with_quick_win_over_its_defaults():
    args = parse_args(["--quick", "--concurrency", "1", "--scenarios", "self", "--seconds", "5"])
    assert (args.concurrency, args.scenarios, args.seconds) == ([1], ["self"], 5)


@pytest.mark.parametrize(
    "argv",
    [
        ["--runs", "2"],
        ["--runs", "1"],
        ["--scenarios", "enroll-ec,no-such-scenario"],
        ["--concurrency", "8,many"],
        ["--concurrency", "0"],
        ["--seconds", "0"],
    ],
)
def test_bad_arguments_stop_the_bench_before_anything_is_started(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(argv)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def summarized(*rps: float) -> dict:
    return summarize([run(r) for r in rps])


def test_a_scenario_the_baseline_lacks_is_reported_as_such_and_is_no_failure(capsys):
    args = parse_args(["--baseline", "93fe895", "--scenarios", "self,ocsp-get", "--client", "wrk"])
    args.trees = tree_names(args.baseline)
    rows = [
        {
            "scenario": "self",
            "clients": 8,
            "current": summarized(390, 400, 410),
            "baseline": summarized(95, 100, 105),
            "ratio": {"median": 4.0, "min": 3.9, "max": 4.1},
        },
        {
            "scenario": "ocsp-get",
            "clients": 8,
            "current": summarized(500, 510, 520),
            "baseline": {"absent": "HTTP 404"},
        },
    ]
    assert report(rows, args, "postgres://x") == []
    out = capsys.readouterr().out
    assert "| self | 8 | this tree" in out
    assert "400 (390-410)" in out
    assert "4.00x (3.90-4.10)" in out
    assert "| ocsp-get | 8 | baseline 93fe895" in out
    assert "n/a: HTTP 404" in out
    assert "median (min-max) of 3 runs" in out


def test_a_scenario_this_tree_cannot_answer_is_a_failure(capsys):
    args = parse_args(["--scenarios", "self", "--client", "wrk"])
    args.trees = tree_names(None)
    rows = [{"scenario": "self", "clients": 8, "current": {"absent": "HTTP 500"}}]
    assert report(rows, args, "postgres://x") == ["self: HTTP 500"]
    assert "FAILED on this tree: self: HTTP 500" in capsys.readouterr().out


def test_a_server_without_an_ocsp_responder_has_its_ocsp_scenarios_absent():
    made = makers("http://127.0.0.1:9", ["csr"], ["self", "ocsp-get", "ocsp-nonce"])
    assert callable(made["self"])
    assert made["ocsp-get"].startswith("no OCSP responder")
    assert made["ocsp-nonce"] == made["ocsp-get"]


def test_a_tree_runs_its_own_code_not_the_checkout_of_the_editable_install(tmp_path):
    """A tree without ``raportal`` must not find the one the virtualenv's editable install
    points at (an older commit would otherwise load modules it does not have)."""
    (tmp_path / "manage.py").write_text(
        "import importlib.util, os, sys\n"
        "print(importlib.util.find_spec('raportal') is None, os.getcwd(), sys.argv[1:])\n"
    )
    done = subprocess.run(
        [sys.executable, str(BENCH / "in_tree.py"), str(tmp_path), "manage.py", "migrate"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["True", str(tmp_path.resolve()), "['migrate']"]
