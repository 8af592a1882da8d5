#!/usr/bin/env python
"""cdktf app entry point: App -> TapStack(f"TapStack{suffix}") -> synth."""

import os
import sys

from cdktf import App

from lib.config import ConfigError, StackConfig
from lib.tap_stack import TapStack


def main() -> int:
    try:
        config = StackConfig.from_env()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Read here, not by the jsii runtime: its process keeps the environment it started with.
    app = App(outdir=os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    TapStack(app, f"TapStack{config.suffix}", config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
