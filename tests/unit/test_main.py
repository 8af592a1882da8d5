"""main.py: bad configuration stops the synth with a clear message."""

from __future__ import annotations

import main


def test_bad_configuration_exits_2_with_the_reasons(monkeypatch, capsys):
    monkeypatch.setenv("ENVIRONMENT_SUFFIX", "Bad_Suffix")
    monkeypatch.setenv("ENVIRONMENT", "qa")
    assert main.main() == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Invalid stack configuration:")
    assert "ENVIRONMENT_SUFFIX='Bad_Suffix'" in err and "ENVIRONMENT='qa'" in err


def test_synthesizes_the_stack_named_after_the_suffix(monkeypatch, tmp_path):
    monkeypatch.setenv("ENVIRONMENT_SUFFIX", "unit")
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path))
    assert main.main() == 0
    stack = tmp_path / "stacks" / "TapStackunit" / "cdk.tf.json"
    assert '"function_name": "tap-payments-api-primary-unit"' in stack.read_text()


def test_a_bad_configuration_is_refused_before_the_provider_import():
    """`make synth` answered a typo only after the ~20 s jsii import; now in a moment."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys, main; code = main.main(); "
        "print(code, any(m.startswith(('cdktf', 'jsii')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(main.__file__).parent,
        env={"PATH": "/usr/bin:/bin", "ENVIRONMENT": "qa"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["2", "False"], result.stderr
    assert "ENVIRONMENT='qa' must be one of" in result.stderr
