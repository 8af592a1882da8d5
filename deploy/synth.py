"""The stack synthesized once per input: a content-keyed cache of ``python main.py``.

    python -m deploy.synth [--outdir DIR]    # cdktf.out by default; prints hit or miss

``make test`` synthesizes the same stack many times from one commit: every deploy and destroy
of the emulator pipeline and of each chaos lane, and the policy scan. A synth is ~6 s of CPU on
a 2-core machine shared with the deploys' waits, and its output is a pure function of its inputs:

- the code: every file under ``lib/`` (the Lambda package included), ``main.py``,
  ``cdktf.json``, ``Pipfile.lock`` (the pinned cdktf and provider packages), the Python version;
- the configuration: ``StackConfig.from_env`` of the environment, the only place that reads it
  (``lib/config.py``); an invalid configuration is never cached (``main.py`` refuses it).

The key is the SHA-256 of all of them; ``.cache/synth/<key>/`` holds a complete outdir. A hit
copies it over the requested outdir (the files a synth writes; ``.terraform`` and states stay);
a miss runs ``main.py`` into a fresh directory and publishes it under its key with one rename,
so two runs racing for the same key both end with a whole copy. ``SYNTH_CACHE=0`` turns it off.
The emulator pipeline's synth-identity step still runs a real ``main.py`` without emulator
settings and compares the bytes with what was deployed, so a wrong cache entry cannot go unseen.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from lib.config import ConfigError, StackConfig

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "synth"
INPUT_FILES = ("main.py", "cdktf.json", "Pipfile.lock")
KEEP = 20  # cache entries kept (the oldest are removed)


def _code_files() -> list[Path]:
    files = [p for p in (ROOT / "lib").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return sorted(files + [ROOT / name for name in INPUT_FILES])


def cache_key(env: Mapping[str, str]) -> str | None:
    """The synth's inputs as one digest; None for a configuration ``main.py`` would refuse."""
    try:
        config = StackConfig.from_env(env)
    except ConfigError:
        return None
    digest = hashlib.sha256()
    digest.update(f"python {sys.version_info[:3]}\nconfig {config!r}\n".encode())
    for path in _code_files():
        digest.update(f"{path.relative_to(ROOT)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def _run_main(outdir: Path, env: Mapping[str, str], python: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, str(ROOT / "main.py")],
        cwd=ROOT,
        env={**env, "CDKTF_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        check=False,
    )


def _prune() -> None:
    entries = sorted(
        (p for p in CACHE.iterdir() if p.is_dir() and not p.name.startswith(".")), key=os.path.getmtime
    )
    for old in entries[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)


def synthesize(
    outdir: Path, env: Mapping[str, str], python: str = sys.executable
) -> tuple[subprocess.CompletedProcess[str] | None, bool]:
    """Synthesize into ``outdir``: (main.py's run, or None on a cache hit; whether it was a hit)."""
    key = cache_key(env) if env.get("SYNTH_CACHE", "1") != "0" else None
    if key is None:
        return _run_main(outdir, env, python), False
    entry = CACHE / key
    if not entry.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=".synth-", dir=CACHE))
        done = _run_main(fresh, env, python)
        if done.returncode != 0:
            shutil.rmtree(fresh, ignore_errors=True)
            return done, False
        try:
            fresh.rename(entry)
        except OSError:  # another run published the same key first: its copy is as good
            shutil.rmtree(fresh, ignore_errors=True)
        _prune()
        shutil.copytree(entry, outdir, dirs_exist_ok=True)
        return done, False
    os.utime(entry)  # recently used: kept by _prune
    shutil.copytree(entry, outdir, dirs_exist_ok=True)
    return None, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path(os.environ.get("CDKTF_OUTDIR", "cdktf.out")))
    args = parser.parse_args(argv)
    done, hit = synthesize(args.outdir, os.environ)
    if done is not None:
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            return done.returncode
    print(f"synth: {'cached' if hit else 'synthesized'} into {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
