#!/usr/bin/env python3
"""Flatten deploy outputs into cfn-outputs/flat-outputs.json ({output_name: value}).

Accepts either shape:
  - `cdktf deploy --outputs-file`:   {"TapStackdev": {"primary_api_endpoint": "...", ...}}
  - `terraform output -json`:        {"primary_api_endpoint": {"value": "...", "type": ...}, ...}

    python -m scripts.flatten_outputs INPUT [--stack TapStackdev] [-o cfn-outputs/flat-outputs.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.outputs_file import FLAT_OUTPUTS, write_outputs


class OutputsError(ValueError):
    pass


def flatten(data: Any, stack: str | None = None) -> dict[str, Any]:
    if not isinstance(data, dict) or not data:
        raise OutputsError("outputs must be a non-empty JSON object")
    values = list(data.values())
    if all(isinstance(v, dict) and "value" in v for v in values):  # terraform output -json
        return {name: entry["value"] for name, entry in data.items()}
    if all(isinstance(v, dict) for v in values):  # cdktf: nested by stack name
        if stack is None:
            if len(data) != 1:
                raise OutputsError(f"several stacks in the file ({', '.join(data)}): pass --stack")
            stack = next(iter(data))
        if stack not in data:
            raise OutputsError(f"stack {stack!r} not in the file (have: {', '.join(data)})")
        return dict(data[stack])
    raise OutputsError("unrecognised outputs format (expected cdktf or terraform output -json)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Flatten deploy outputs to {name: value}.")
    parser.add_argument("input", type=Path)
    parser.add_argument("--stack", help="stack name when the cdktf file holds several")
    parser.add_argument("-o", "--output", type=Path, default=FLAT_OUTPUTS)
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.input.read_text())
        flat = flatten(data, args.stack)
    except FileNotFoundError:
        parser.error(f"{args.input} does not exist")
    except json.JSONDecodeError as error:
        parser.error(f"{args.input} is not JSON: {error}")
    except OutputsError as error:
        parser.error(str(error))
    write_outputs(args.output, flat)
    print(f"wrote {len(flat)} outputs to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
