#!/usr/bin/env python3
"""Architecture diagram (Mermaid flowchart) rendered from a synthesized stack, so it never drifts.

One subgraph per region (provider alias + region) with its API Gateway stage and WAF, Lambda,
DynamoDB table or replica, S3 buckets, KMS key, alarms and SNS topic; Route 53 (global) with
the failover name and its health checks; the replication arrows (DynamoDB global table, S3
replication per direction with its RTC window). Writes docs/architecture.mmd and, with
--readme, the ```mermaid block between the README's diagram markers; --check only compares
(exit 1 when a file is out of date, for CI).

    python -m dr.diagram cdktf.out/stacks/TapStackdev/cdk.tf.json [--out docs/architecture.mmd]
        [--readme README.md] [--check]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cli.args import ArgumentParser
from dr.stack import (
    Stack,
    StackError,
    block,
    blocks,
    failover_records,
    health_check_facts,
    primary_alias,
    references,
    replication_rules,
    short_name,
)

ROOT = Path(__file__).resolve().parent.parent
START_MARKER = "<!-- diagram:start -->"
END_MARKER = "<!-- diagram:end -->"
HEADER = "%% Generated from the synthesized stack by dr/diagram.py (make diagram): do not edit."
MERMAID_KEYWORDS = {"end", "graph", "subgraph", "flowchart", "style", "class", "classDef", "click", "default"}


class DiagramError(ValueError):
    pass


def node_id(logical_id: str, suffix: str = "") -> str:
    """A stable Mermaid id from a logical id (the cdktf hash dropped): ``receipts_primary_bucket``."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", short_name(logical_id)) + suffix
    return f"{ident}_" if ident in MERMAID_KEYWORDS else ident


def plain(value: Any) -> str:
    """A name without its Terraform interpolations: ``tap-x-${data.y.z}`` -> ``tap-x``."""
    return re.sub(r"-?\$\{[^}]*\}", "", str(value or "")).strip("-")


def resolve(stack: Stack, value: Any) -> str:
    """``/${aws_api_gateway_stage.X.stage_name}/health`` -> ``/v1/health`` (literal attributes only)."""

    def literal(match: re.Match[str]) -> str:
        parts = match.group(1).split(".")
        body = stack.get(parts[0], parts[1]) if len(parts) == 3 else None
        attribute = body.get(parts[2]) if body else None
        return str(attribute) if isinstance(attribute, (str, int)) and "${" not in str(attribute) else "…"

    return re.sub(r"\$\{([^}]*)\}", literal, str(value or ""))


@dataclass
class Diagram:
    stack: Stack
    nodes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> (group, shape, label)
    edges: list[str] = field(default_factory=list)

    def node(self, ident: str, group: str, label: str, shape: str = "box") -> str:
        self.nodes.setdefault(ident, (group, shape, label))
        return ident

    def edge(self, source: str, target: str, label: str = "", style: str = "-->") -> None:
        text = f'{source} {style}|"{_escape(label)}"| {target}' if label else f"{source} {style} {target}"
        if text not in self.edges:
            self.edges.append(text)

    def ids_of(self, value: Any, type_: str) -> list[str]:
        return [
            lid for ref_type, lid in references(value) if ref_type == type_ and self.stack.get(type_, lid)
        ]


_SHAPES = {
    "box": '["{}"]',
    "db": '[("{}")]',
    "round": '(["{}"])',
    "hex": '{{{{"{}"}}}}',
}


def _escape(label: str) -> str:
    return label.replace('"', "#quot;")


def _region_group(alias: str) -> str:
    return f"region_{re.sub(r'[^A-Za-z0-9_]', '_', alias)}"


def _api(diagram: Diagram) -> None:
    """Stages (+ custom domain, WAF) and the Lambda functions their integrations call."""
    stack = diagram.stack
    for stage_id, stage in stack.resources("aws_api_gateway_stage"):
        group = _region_group(stack.alias_of(stage))
        domains = sum(
            1
            for _, d in stack.resources("aws_api_gateway_domain_name")
            if stack.alias_of(d) == stack.alias_of(stage)
        )
        label = f"API Gateway REST API<br/>stage {stage.get('stage_name')}"
        diagram.node(node_id(stage_id), group, label + ("<br/>custom domain" if domains else ""))
    for _, integration in stack.resources("aws_api_gateway_integration"):
        apis = diagram.ids_of(integration.get("rest_api_id"), "aws_api_gateway_rest_api")
        for function_id in diagram.ids_of(integration.get("uri"), "aws_lambda_function"):
            for stage_id, stage in stack.resources("aws_api_gateway_stage"):
                if set(apis) & set(diagram.ids_of(stage.get("rest_api_id"), "aws_api_gateway_rest_api")):
                    diagram.edge(node_id(stage_id), node_id(function_id))
    for function_id, function in stack.resources("aws_lambda_function"):
        label = f"Lambda {function.get('runtime', '')}<br/>{function.get('memory_size', 128)} MB"
        reserved = function.get("reserved_concurrent_executions")
        label += f", reserved concurrency {reserved}" if reserved is not None else ""
        diagram.node(node_id(function_id), _region_group(stack.alias_of(function)), label)
    for _, association in stack.resources("aws_wafv2_web_acl_association"):
        for acl_id in diagram.ids_of(association.get("web_acl_arn"), "aws_wafv2_web_acl"):
            acl = stack.get("aws_wafv2_web_acl", acl_id) or {}
            rules = len(blocks(acl.get("rule")))
            group = _region_group(stack.alias_of(acl))
            diagram.node(node_id(acl_id), group, f"WAF web ACL<br/>{rules} rules")
            for stage_id in diagram.ids_of(association.get("resource_arn"), "aws_api_gateway_stage"):
                diagram.edge(node_id(acl_id), node_id(stage_id), "filters", "-.->")


def _table_node(diagram: Diagram, table_id: str, alias: str) -> str | None:
    """The node of ``table_id`` in region ``alias``: the table itself or its replica there."""
    table = diagram.stack.get("aws_dynamodb_table", table_id) or {}
    if diagram.stack.alias_of(table) == alias:
        return node_id(table_id)
    region = diagram.stack.regions.get(alias)
    if any(replica.get("region_name") == region for replica in diagram.stack.table_replicas(table_id, table)):
        return node_id(table_id, f"_{alias}")
    return None


def _tables(diagram: Diagram) -> None:
    """Tables, their replicas (global table arrows), and the functions that use them."""
    stack = diagram.stack
    for table_id, table in stack.resources("aws_dynamodb_table"):
        replicas = stack.table_replicas(table_id, table)
        kind = "global table" if replicas else "table"
        home_alias = stack.alias_of(table)
        home = diagram.node(
            node_id(table_id),
            _region_group(home_alias),
            f"DynamoDB {kind}<br/>{plain(table.get('name'))}",
            "db",
        )
        for alias in sorted(stack.regions):
            if alias != home_alias and _table_node(diagram, table_id, alias):
                replica = diagram.node(
                    node_id(table_id, f"_{alias}"),
                    _region_group(alias),
                    f"DynamoDB replica<br/>{plain(table.get('name'))}",
                    "db",
                )
                diagram.edge(home, replica, "global table replication, typically within 1 s", "<==>")
    for function_id, function in stack.resources("aws_lambda_function"):
        variables = block(function.get("environment")).get("variables", {})
        for table_id, table in stack.resources("aws_dynamodb_table"):
            uses = table.get("name") in variables.values() or table_id in diagram.ids_of(
                variables, "aws_dynamodb_table"
            )
            target = _table_node(diagram, table_id, stack.alias_of(function)) if uses else None
            if target:
                diagram.edge(node_id(function_id), target)


def _buckets(diagram: Diagram) -> None:
    """Buckets, the functions that use them, access logging, S3 replication per direction."""
    stack = diagram.stack
    for bucket_id, bucket in stack.resources("aws_s3_bucket"):
        diagram.node(
            node_id(bucket_id),
            _region_group(stack.alias_of(bucket)),
            f"S3 {plain(bucket.get('bucket')) or short_name(bucket_id)}",
            "db",
        )
    for function_id, function in stack.resources("aws_lambda_function"):
        variables = block(function.get("environment")).get("variables", {})
        for bucket_id in diagram.ids_of(variables, "aws_s3_bucket"):
            diagram.edge(node_id(function_id), node_id(bucket_id))
    for _, logging in stack.resources("aws_s3_bucket_logging"):
        for source in diagram.ids_of(logging.get("bucket"), "aws_s3_bucket"):
            for target in diagram.ids_of(logging.get("target_bucket"), "aws_s3_bucket"):
                diagram.edge(node_id(source), node_id(target), "access logs", "-.->")
    for rule in replication_rules(stack):
        source, destination = rule["source"]["resource"], rule["destination"]["resource"]
        if rule["enabled"] and source and destination:
            rtc = f"RTC {rule['rtc_minutes']} min" if rule["rtc_minutes"] else "no RTC"
            diagram.edge(
                node_id(source),
                node_id(destination),
                f"S3 replication {rule['direction'].replace(' -> ', ' → ')}, {rtc}",
                "==>",
            )


def _operations(diagram: Diagram) -> None:
    """KMS keys; alarms grouped per region, pointing at the SNS topics they notify."""
    stack = diagram.stack
    for key_id, key in stack.resources("aws_kms_key"):
        rotation = "rotation on" if key.get("enable_key_rotation") else "no rotation"
        diagram.node(node_id(key_id), _region_group(stack.alias_of(key)), f"KMS key<br/>{rotation}")
    for topic_id, topic in stack.resources("aws_sns_topic"):
        diagram.node(
            node_id(topic_id),
            _region_group(stack.alias_of(topic)),
            f"SNS {plain(topic.get('name')) or short_name(topic_id)}",
        )
    alarms: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for alarm_id, alarm in stack.resources("aws_cloudwatch_metric_alarm"):
        alarms.setdefault(stack.alias_of(alarm), []).append((alarm_id, alarm))
    for alias, members in sorted(alarms.items()):
        counts = Counter(str(alarm.get("namespace", "?")).removeprefix("AWS/") for _, alarm in members)
        names = [f"{name} x{count}" if count > 1 else name for name, count in sorted(counts.items())]
        names = "<br/>".join(", ".join(names[i : i + 4]) for i in range(0, len(names), 4))
        group_id = diagram.node(
            f"alarms_{alias}", _region_group(alias), f"{len(members)} CloudWatch alarms<br/>{names}"
        )
        for _, alarm in members:
            for topic_id in diagram.ids_of(alarm.get("alarm_actions"), "aws_sns_topic"):
                diagram.edge(group_id, node_id(topic_id), "notify")


def _routing(diagram: Diagram) -> None:
    """Clients -> the failover name -> each region's stage; health checks probing the stages."""
    stack = diagram.stack
    clients = diagram.node("clients", "", "clients", "round")
    stages_by_alias: dict[str, list[str]] = {}
    for stage_id, stage in stack.resources("aws_api_gateway_stage"):
        stages_by_alias.setdefault(stack.alias_of(stage), []).append(stage_id)
    for check_id, check in stack.resources("aws_route53_health_check"):
        facts = health_check_facts(stack, check_id, check)
        if facts["type"] == "CALCULATED":  # needs its children: edges to them, no probe
            needed, children = check.get("child_health_threshold"), len(facts["children"])
            label = f"health check CALCULATED<br/>{needed} of {children} healthy"
            diagram.node(node_id(check_id), "route53", label)
            for child in facts["children"]:
                diagram.edge(node_id(check_id), node_id(child), "needs", "-.->")
            continue
        if facts["type"] == "CLOUDWATCH_METRIC":  # follows an alarm (the failover switch)
            alarm = facts.get("alarm") or {}
            label = f"failover switch<br/>alarm on {alarm.get('namespace')}/{alarm.get('metric')}"
            diagram.node(node_id(check_id), "route53", label)
            continue
        path = resolve(stack, check.get("resource_path", ""))
        label = f"health check {facts['type']} {path}".rstrip()
        if facts["detection_seconds"] is not None:
            label += f"<br/>every {facts['request_interval']} s x {facts['failure_threshold']}"
        diagram.node(node_id(check_id), "route53", label)
        targets = diagram.ids_of(check.get("resource_path"), "aws_api_gateway_stage") or stages_by_alias.get(
            facts["target_alias"], []
        )
        for stage_id in targets[:1]:
            diagram.edge(node_id(check_id), node_id(stage_id), "probes", "-.->")
    records = failover_records(stack)
    if not records:
        for _, stage_ids in sorted(stages_by_alias.items()):
            for stage_id in stage_ids:
                diagram.edge(clients, node_id(stage_id), "execute-api URL, manual failover", "-.->")
        return
    for record in records:
        name = diagram.node(
            f"dns_{re.sub(r'[^A-Za-z0-9]', '_', str(record['name']))}",
            "route53",
            f"{record['name']}<br/>failover routing",
            "hex",
        )
        diagram.edge(clients, name)
        body = stack.get("aws_route53_record", record["resource"]) or {}
        targets = _record_stages(diagram, body) or stages_by_alias.get(record["target_alias"], [])
        primary = record["role"] == "PRIMARY"
        label = "PRIMARY" if primary else f"{record['role']} (on primary failure)"
        for stage_id in targets[:1]:
            diagram.edge(name, node_id(stage_id), label, "-->" if primary else "-.->")


def _record_stages(diagram: Diagram, record: dict[str, Any]) -> list[str]:
    """Stages behind a record's alias target: custom domain -> base path mapping -> stage."""
    domains = diagram.ids_of(block(record.get("alias")).get("name"), "aws_api_gateway_domain_name")
    stages = []
    for _, mapping in diagram.stack.resources("aws_api_gateway_base_path_mapping"):
        if set(domains) & set(diagram.ids_of(mapping.get("domain_name"), "aws_api_gateway_domain_name")):
            stages += diagram.ids_of(mapping.get("stage_name"), "aws_api_gateway_stage")
    return stages


def render(data: Any) -> str:
    """The stack's architecture as a Mermaid flowchart (deterministic: sorted, stable ids)."""
    stack = Stack.parse(data)
    diagram = Diagram(stack)
    _routing(diagram)
    _api(diagram)
    _tables(diagram)
    _buckets(diagram)
    _operations(diagram)
    primary, _ = primary_alias(stack, failover_records(stack))
    aliases = sorted(stack.regions, key=lambda alias: (alias != primary, alias))
    groups = [("route53", "Route 53 (global)")] + [
        (_region_group(alias), f"{alias} · {stack.regions[alias]}{' (active)' if alias == primary else ''}")
        for alias in aliases
    ]
    lines = [HEADER, "flowchart TB"]
    lines += [
        _node_line(ident, shape, label, "    ")
        for ident, (group, shape, label) in sorted(diagram.nodes.items())
        if not group
    ]
    for group, title in groups:
        members = sorted(
            (ident, shape, label) for ident, (g, shape, label) in diagram.nodes.items() if g == group
        )
        if members:
            lines.append(f'    subgraph {group}["{_escape(title)}"]')
            lines += [_node_line(ident, shape, label, "        ") for ident, shape, label in members]
            lines.append("    end")
    lines += [f"    {edge}" for edge in diagram.edges]
    return "\n".join(lines) + "\n"


def _node_line(ident: str, shape: str, label: str, indent: str) -> str:
    return f"{indent}{ident}{_SHAPES[shape].format(_escape(label))}"


def replace_block(readme: str, diagram: str, source: str = "README") -> str:
    """``readme`` with a ```mermaid block of ``diagram`` between the diagram markers."""
    starts, ends = readme.count(START_MARKER), readme.count(END_MARKER)
    if starts != 1 or ends != 1:
        raise DiagramError(
            f"{source} needs exactly one {START_MARKER} and one {END_MARKER} line around the diagram "
            f"(found {starts} start and {ends} end markers)"
        )
    start, end = readme.index(START_MARKER), readme.index(END_MARKER)
    if end < start:
        raise DiagramError(f"{source}: {END_MARKER} comes before {START_MARKER}")
    fenced = f"{START_MARKER}\n```mermaid\n{diagram}```\n{END_MARKER}"
    return readme[:start] + fenced + readme[end + len(END_MARKER) :]


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack_file", type=Path, help="synthesized cdk.tf.json")
    parser.add_argument("--out", type=Path, default=Path("docs/architecture.mmd"))
    parser.add_argument("--readme", type=Path, help="also refresh the block between the diagram markers")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    try:
        diagram = render(json.loads(args.stack_file.read_text()))
        expected = {args.out: diagram}
        if args.readme is not None:
            expected[args.readme] = replace_block(args.readme.read_text(), diagram, str(args.readme))
    except FileNotFoundError as error:
        parser.error(
            f"{error.filename} does not exist"
            + (": run the synth first" if error.filename == str(args.stack_file) else "")
        )
    except json.JSONDecodeError as error:
        parser.error(f"{args.stack_file} is not JSON: {error}")
    except (StackError, DiagramError) as error:
        parser.error(str(error))
    if args.check:
        stale = [
            str(path) for path, text in expected.items() if not path.is_file() or path.read_text() != text
        ]
        for path in stale:
            print(f"out of date: {path} (run 'make diagram')")
        if not stale:
            print(f"diagram up to date: {', '.join(str(path) for path in expected)}")
        return 1 if stale else 0
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    nodes = sum(1 for line in diagram.splitlines() if re.match(r"^\s+\w+[\[({]", line))
    edges = sum(1 for line in diagram.splitlines() if re.search(r"(-->|-\.->|==>|<==>)", line))
    print(f"wrote {', '.join(str(path) for path in expected)} ({nodes} nodes, {edges} edges)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
