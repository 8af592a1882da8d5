"""scripts/make_stages.py: `make test`'s stages in order, each timed, stopping at a failure."""

from __future__ import annotations

import json

import pytest

from scripts import make_stages


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "Makefile").write_text(
        "X ?= 1\n"
        "ok: ## passes\n\t@echo ran ok >> log\n"
        "bad:\n\t@echo ran bad >> log; exit 3\n"
        "later:\n\t@echo ran later >> log\n"
    )
    monkeypatch.setattr(make_stages, "ROOT", tmp_path)
    return tmp_path


def test_the_targets_of_this_projects_makefile_are_found():
    targets = make_stages.makefile_targets()
    assert {"lint", "test-unit", "test-harness", "test-e2e", "chaos-local", "test", "bench"} <= targets
    assert "HOST_PYTHON" not in targets and "export" not in targets  # variables are not targets


def test_each_stage_runs_in_order_and_is_timed(project, capsys):
    out = project / "stages.json"
    assert make_stages.main(["ok", "later", "--json", str(out)]) == 0
    assert (project / "log").read_text() == "ran ok\nran later\n"
    printed = capsys.readouterr().out
    assert "==> make ok" in printed and "\nmake test stages\n" in printed
    rows = [line.split() for line in printed.splitlines()[-3:]]
    assert [row[:2] for row in rows] == [["make", "ok"], ["make", "later"], ["total", rows[2][1]]]
    assert rows[0][-1] == rows[1][-1] == "ok"
    recorded = json.loads(out.read_text())
    assert list(recorded["stages"]) == ["ok", "later"] and recorded["failed"] is None
    assert all(seconds >= 0 for seconds in recorded["stages"].values())


def test_the_first_failure_stops_the_run_with_its_status(project, capsys):
    out = project / "stages.json"
    assert make_stages.main(["ok", "bad", "later", "--json", str(out)]) == 2  # make's status
    assert (project / "log").read_text() == "ran ok\nran bad\n"  # "later" never ran
    printed = capsys.readouterr().out
    assert "FAILED after" in printed and ": exit 2" in printed
    assert printed.rstrip().splitlines()[-3].split()[-1] == "FAILED"
    assert printed.rstrip().splitlines()[-2].split() == ["make", "later", "not", "run"]
    assert json.loads(out.read_text())["failed"] == "bad"


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["ok", "nope"], "not a Makefile target: nope"), (["ok", "ok"], "a target is listed twice"), ([], "")],
)
def test_bad_arguments_are_refused_before_anything_runs(project, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        make_stages.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not (project / "log").exists()
