"""What every command-line tool here shares: bad arguments are ONE line on stderr."""

from __future__ import annotations

import argparse
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    """``parser.error`` prints ``error: <message>`` (no usage block) and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}\n")
