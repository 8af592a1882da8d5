"""dr/diagram.py: the Mermaid architecture comes from the synthesized stack, and follows it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dr.diagram import END_MARKER, START_MARKER, DiagramError, main, render, replace_block

NODE = re.compile(r"^\s+(\w+)(\[\(|\(\[|\{\{|\[)\"")
EDGE = re.compile(r"^\s+(\w+) (-->|-\.->|==>|<==>)(?:\|\"[^\"]*\"\|)? (\w+)$")
BUCKET_REF = re.compile(r"aws_s3_bucket\.([\w-]+?)_[0-9A-F]{8}\.")


@pytest.fixture(scope="module")
def dev_diagram(dev) -> str:
    return render(dev.json)


def _nodes(diagram: str) -> list[str]:
    return [m[1] for line in diagram.splitlines() if (m := NODE.match(line))]


def _edges(diagram: str) -> list[tuple[str, str, str]]:
    """``(source, arrow, target)`` of every edge line."""
    return [(m[1], m[2], m[3]) for line in diagram.splitlines() if (m := EDGE.match(line))]


def _edge_lines(diagram: str) -> list[str]:
    return [line.strip() for line in diagram.splitlines() if EDGE.match(line)]


def _stack_file(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "cdk.tf.json"
    path.write_text(json.dumps(data))
    return path


# --- the dev stack's diagram --------------------------------------------------------------------


def test_dev_diagram_is_a_flowchart_with_a_subgraph_per_region(dev_diagram):
    lines = dev_diagram.splitlines()
    assert lines[0].startswith("%% Generated from the synthesized stack by dr/diagram.py")
    assert lines[1] == "flowchart TB"
    subgraphs = [line.strip() for line in lines if line.strip().startswith("subgraph ")]
    assert subgraphs == [
        'subgraph route53["Route 53 (global)"]',
        'subgraph region_primary["primary · us-east-1 (active)"]',
        'subgraph region_secondary["secondary · us-west-2"]',
    ]
    assert sum(1 for line in lines if line.strip() == "end") == len(subgraphs)


def test_dev_diagram_is_readable_and_well_formed(dev_diagram):
    nodes = _nodes(dev_diagram)
    assert 20 <= len(nodes) <= 40
    assert len(nodes) == len(set(nodes))
    edges = _edges(dev_diagram)
    assert len(edges) == len(_edge_lines(dev_diagram)) == len(set(_edge_lines(dev_diagram)))
    # Every line is a header, a node, an edge, or a subgraph delimiter: nothing Mermaid would reject.
    body = [
        line for line in dev_diagram.splitlines()[2:] if not line.strip().startswith(("subgraph ", "end"))
    ]
    assert all(NODE.match(line) or EDGE.match(line) for line in body), body
    assert {n for source, _, target in edges for n in (source, target)} <= set(nodes)


def test_each_region_has_its_main_components(dev_diagram):
    for role, region in (("primary", "us-east-1"), ("secondary", "us-west-2")):
        section = dev_diagram.split(f"subgraph region_{role}[")[1].split("\n    end")[0]
        assert region in section.splitlines()[0]
        for component in (
            "API Gateway REST API<br/>stage v1<br/>custom domain",
            "WAF web ACL",
            "Lambda python3.12<br/>256 MB",
            "DynamoDB",
            f"S3 tap-receipts-{role}-dev",
            "KMS key<br/>rotation on",
            "CloudWatch alarms",
            f"SNS tap-alarms-{role}-dev",
        ):
            assert component in section, (role, component)
    assert "DynamoDB global table<br/>tap-payments-dev" in dev_diagram.split("subgraph region_primary")[1]
    assert "DynamoDB replica<br/>tap-payments-dev" in dev_diagram.split("subgraph region_secondary")[1]


def test_dev_diagram_shows_the_route53_failover_path(dev_diagram):
    lines = _edge_lines(dev_diagram)
    assert "clients --> dns_api_tap_dev_payments_dr_net" in lines
    assert 'dns_api_tap_dev_payments_dr_net -->|"PRIMARY"| api_primary_stage' in lines
    assert (
        'dns_api_tap_dev_payments_dr_net -.->|"SECONDARY (on primary failure)"| api_secondary_stage' in lines
    )
    assert 'endpoint_primary_health_check -.->|"probes"| api_primary_stage' in lines
    assert 'endpoint_secondary_health_check -.->|"probes"| api_secondary_stage' in lines
    assert 'endpoint_primary_health_check["health check HTTPS /v1/health<br/>every 10 s x 3"]' in dev_diagram
    assert "api.tap-dev.payments-dr.net<br/>failover routing" in dev_diagram
    assert "api_primary_stage --> api_primary_function" in lines
    assert "api_primary_function --> payments_table" in lines
    assert "api_secondary_function --> payments_table_secondary" in lines


def test_dev_diagram_shows_each_replication_direction_the_stack_has(dev, dev_diagram):
    lines = _edge_lines(dev_diagram)
    assert (
        'payments_table <==>|"global table replication, typically within 1 s"| payments_table_secondary'
        in lines
    )
    configurations = dev.resources("aws_s3_bucket_replication_configuration").values()
    assert configurations
    expected = set()
    for configuration in configurations:
        source = BUCKET_REF.search(configuration["bucket"])[1]
        for rule in configuration["rule"]:
            target = BUCKET_REF.search(rule["destination"]["bucket"])[1]
            expected.add((source.replace("-", "_"), target.replace("-", "_")))
    s3_edges = {(source, target) for source, arrow, target in _edges(dev_diagram) if arrow == "==>"}
    assert s3_edges == expected
    assert ("receipts_primary_bucket", "receipts_secondary_bucket") in s3_edges
    assert 'receipts_primary_bucket ==>|"S3 replication primary → secondary, RTC 15 min"|' in dev_diagram


def test_the_diagram_is_deterministic(dev, dev_diagram):
    shuffled = copy.deepcopy(dev.json)
    shuffled["resource"] = {
        type_: dict(reversed(list(resources.items())))
        for type_, resources in reversed(shuffled["resource"].items())
    }
    assert render(shuffled) == dev_diagram == render(dev.json)


# --- the diagram follows the stack --------------------------------------------------------------


def test_without_replica_there_is_no_table_replication(dev, dev_diagram):
    data = copy.deepcopy(dev.json)
    del data["resource"]["aws_dynamodb_table_replica"]
    diagram = render(data)
    assert "<==>" not in diagram
    assert "payments_table_secondary" not in diagram
    assert "DynamoDB table<br/>tap-payments-dev" in diagram
    assert diagram != dev_diagram


def test_a_failback_replication_adds_its_arrow(dev):
    data = copy.deepcopy(dev.json)
    configurations = data["resource"]["aws_s3_bucket_replication_configuration"]
    for logical_id in list(configurations):
        if "receipts-secondary_bucket" in configurations[logical_id]["bucket"]:
            del configurations[logical_id]
    assert "secondary → primary" not in render(data)
    forward = next(iter(configurations.values()))
    back = copy.deepcopy(forward)
    back["bucket"], back["rule"][0]["destination"]["bucket"] = (
        forward["rule"][0]["destination"]["bucket"].replace(".arn}", ".id}"),
        forward["bucket"].replace(".id}", ".arn}"),
    )
    back["provider"] = "aws.secondary"
    del back["rule"][0]["destination"]["replication_time"]
    configurations["test-back_configuration_0000ABCD"] = back
    assert (
        'receipts_secondary_bucket ==>|"S3 replication secondary → primary, no RTC"| receipts_primary_bucket'
        in (_edge_lines(render(data)))
    )


def test_without_custom_domain_clients_call_each_region(staging):
    diagram = render(staging.json)
    assert "failover routing" not in diagram
    lines = _edge_lines(diagram)
    for role in ("primary", "secondary"):
        assert f'clients -.->|"execute-api URL, manual failover"| api_{role}_stage' in lines
    assert "<==>" in diagram


# --- README markers and the command line ------------------------------------------------------


README = f"# Title\n\nintro\n\n{START_MARKER}\nold diagram\n{END_MARKER}\n\n## Next\n"


def test_replace_block_puts_a_mermaid_fence_between_the_markers():
    replaced = replace_block(README, "flowchart TB\n    a --> b\n")
    fenced = "```mermaid\nflowchart TB\n    a --> b\n```"
    assert replaced == f"# Title\n\nintro\n\n{START_MARKER}\n{fenced}\n{END_MARKER}\n\n## Next\n"
    assert replace_block(replaced, "flowchart TB\n    a --> b\n") == replaced


@pytest.mark.parametrize(
    ("readme", "message"),
    [
        ("# no markers\n", "found 0 start and 0 end markers"),
        (f"{START_MARKER}\nonly the start\n", "found 1 start and 0 end markers"),
        (f"{START_MARKER}\n{END_MARKER}\n{START_MARKER}\n{END_MARKER}\n", "found 2 start and 2 end markers"),
        (f"{END_MARKER}\n{START_MARKER}\n", "comes before"),
    ],
)
def test_replace_block_refuses_missing_or_misplaced_markers(readme, message):
    with pytest.raises(DiagramError, match=re.escape(message)) as error:
        replace_block(readme, "flowchart TB\n", "README.md")
    assert START_MARKER in str(error.value)
    assert "README.md" in str(error.value)


def test_cli_writes_the_docs_and_the_readme_then_check_passes(dev, dev_diagram, tmp_path, capsys):
    stack_file = _stack_file(tmp_path, dev.json)
    out, readme = tmp_path / "docs" / "architecture.mmd", tmp_path / "README.md"
    readme.write_text(README)
    assert main([str(stack_file), "--out", str(out), "--readme", str(readme)]) == 0
    assert out.read_text() == dev_diagram
    assert readme.read_text() == replace_block(README, dev_diagram)
    assert f"```mermaid\n{dev_diagram}```" in readme.read_text()
    assert f"wrote {out}, {readme} ({len(_nodes(dev_diagram))} nodes" in capsys.readouterr().out
    assert main([str(stack_file), "--out", str(out), "--readme", str(readme), "--check"]) == 0
    assert "diagram up to date" in capsys.readouterr().out


@pytest.mark.parametrize("stale", ["docs", "readme", "stack"])
def test_check_detects_drift(dev, tmp_path, capsys, stale):
    stack_file = _stack_file(tmp_path, dev.json)
    out, readme = tmp_path / "architecture.mmd", tmp_path / "README.md"
    readme.write_text(README)
    args = [str(stack_file), "--out", str(out), "--readme", str(readme)]
    assert main(args) == 0
    if stale == "docs":
        out.write_text(out.read_text().replace("flowchart TB", "flowchart LR"))
    elif stale == "readme":
        readme.write_text(readme.read_text().replace("PRIMARY", "primary"))
    else:  # the stack changed after the diagram was written
        data = copy.deepcopy(dev.json)
        del data["resource"]["aws_dynamodb_table_replica"]
        _stack_file(tmp_path, data)
    before = (out.read_text(), readme.read_text())
    capsys.readouterr()
    assert main([*args, "--check"]) == 1
    printed = capsys.readouterr().out
    assert "out of date" in printed
    assert "make diagram" in printed
    assert (out.read_text(), readme.read_text()) == before  # --check writes nothing


def test_check_reports_a_missing_docs_file(dev, tmp_path, capsys):
    stack_file = _stack_file(tmp_path, dev.json)
    out = tmp_path / "architecture.mmd"
    assert main([str(stack_file), "--out", str(out), "--check"]) == 1
    assert f"out of date: {out}" in capsys.readouterr().out
    assert not out.exists()


def test_cli_fails_clearly_without_the_readme_markers(dev, tmp_path, capsys):
    stack_file = _stack_file(tmp_path, dev.json)
    out, readme = tmp_path / "architecture.mmd", tmp_path / "README.md"
    readme.write_text("# README without markers\n")
    with pytest.raises(SystemExit) as exit_info:
        main([str(stack_file), "--out", str(out), "--readme", str(readme)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert START_MARKER in err
    assert END_MARKER in err
    assert readme.read_text() == "# README without markers\n"
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist: run the synth first"), ("{not json", "is not JSON"), ("{}", "no resources")],
)
def test_cli_rejects_bad_stack_files_with_one_line(tmp_path, capsys, content, message):
    stack_file = tmp_path / "cdk.tf.json"
    if content is not None:
        stack_file.write_text(content)
    with pytest.raises(SystemExit) as exit_info:
        main([str(stack_file), "--out", str(tmp_path / "a.mmd")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert message in err


def test_the_committed_diagrams_are_the_dev_stacks_rendering(dev: Any) -> None:
    """README and docs/architecture.mmd never drift from the code: run `make diagram`."""
    root = Path(__file__).resolve().parents[2]
    diagram = render(dev.json)
    assert (root / "docs" / "architecture.mmd").read_text() == diagram, "run `make diagram`"
    readme = (root / "README.md").read_text()
    assert replace_block(readme, diagram) == readme, "run `make diagram`"
