#!/usr/bin/env python
"""cdktf app entry point: App -> TapStack(config.stack_id, config) -> synth."""

import os
import sys

from lib.config import ConfigError, StackConfig


def main() -> int:
    # Validate first: a bad variable is refused in a second, not after the provider's ~20 s import.
    try:
        config = StackConfig.from_env()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from lib.fast_provider_import import install  # noqa: PLC0415 - before the provider's import

    install()
    from cdktf import App  # noqa: PLC0415 - the slow jsii import, only for a valid configuration

    from lib.tap_stack import TapStack  # noqa: PLC0415

    # Read here, not by the jsii runtime: its process keeps the environment it started with.
    app = App(outdir=os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    TapStack(app, config.stack_id, config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
