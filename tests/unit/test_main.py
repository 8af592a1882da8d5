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
