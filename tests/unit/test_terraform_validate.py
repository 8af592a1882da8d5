"""The synthesized stack is valid for plain `terraform` against the real provider schema.

The validations run in the background from the moment each profile is synthesized
(``Validations`` in conftest.py); these tests wait for their results.
"""

from __future__ import annotations

import json

import pytest


# dev and prod together hold every resource and data source type the profiles use (staging
# is dev without the custom domain), so validating staging too would check nothing new; eu adds
# the third (us-east-1) provider of a pair without us-east-1 and a stack without account settings.
@pytest.mark.parametrize("fixture", ["dev", "prod", "eu"])
def test_terraform_validate(request, validations, fixture):
    request.getfixturevalue(fixture)  # synthesized, so its validation has started
    returncode, out, err = validations.result(fixture)
    report = json.loads(out) if out.strip() else {}
    assert report, f"terraform init/validate failed (exit {returncode}): {err}"
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert report["valid"] is True and errors == [], errors
    # The only accepted warning: reset_on_delete is deprecated in 5.x (default in 6.x).
    for warning in report["diagnostics"]:
        assert warning["summary"] == "Attribute Deprecated", warning
        assert warning["detail"].startswith('The "reset_on_delete" attribute'), warning


def test_dev_and_prod_cover_every_type_staging_uses(dev, prod, staging):
    def types(synth):
        return {(section, t) for section in ("resource", "data") for t in synth.json.get(section, {})}

    assert types(staging) <= types(dev) | types(prod)
