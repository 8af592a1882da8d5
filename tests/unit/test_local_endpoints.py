"""flows/endpoints.py and flows/outage.py: what `make deploy-local` prints and writes,
and the outage switch's argument checks (no emulator needed)."""

from __future__ import annotations

import pytest

from flows import outage
from flows.endpoints import curl_commands, local_endpoints

OUTPUTS = {
    "primary_api_endpoint": "https://abc123.execute-api.us-east-1.amazonaws.com/v1",
    "secondary_api_endpoint": "https://def456.execute-api.us-west-2.amazonaws.com/v1",
    "topology": '{"global": "us-east-1", "roles": {"primary": "us-east-1", "secondary": "us-west-2"}}',
    "failover_domain_name": "api.tap-dev.payments-dr.net",
}


def _status(port: int, block: str = "127.0.0") -> dict:
    """What the emulator's status endpoint says (dataplane/plane.py)."""
    return {
        "port": port,
        "dns": f"{block}.1:{port}/udp",
        "api_addresses": {"us-east-1": f"{block}.2", "us-west-2": f"{block}.3"},
    }


def test_each_stage_is_reached_on_its_regions_address_and_the_emulators_port():
    endpoints = local_endpoints(OUTPUTS, _status(4599))
    assert endpoints["primary_api_url"] == "http://127.0.0.2:4599/restapis/abc123/v1/_user_request_"
    assert endpoints["secondary_api_url"] == "http://127.0.0.3:4599/restapis/def456/v1/_user_request_"
    assert endpoints["failover_api_url"] == "http://api.tap-dev.payments-dr.net:4599"
    assert endpoints["dns_server"] == "127.0.0.1:4599"
    assert (endpoints["primary_region"], endpoints["secondary_region"]) == ("us-east-1", "us-west-2")


def test_the_addresses_are_the_running_emulators_own_block():
    endpoints = local_endpoints(OUTPUTS, _status(4601, "127.0.12"))
    assert endpoints["primary_api_url"] == "http://127.0.12.2:4601/restapis/abc123/v1/_user_request_"
    assert endpoints["dns_server"] == "127.0.12.1:4601"
    with pytest.raises(LookupError, match="no API address for us-west-2"):
        local_endpoints(OUTPUTS, {**_status(4601), "api_addresses": {"us-east-1": "127.0.0.2"}})


def test_without_a_custom_domain_there_is_no_failover_url_and_no_curl_for_it():
    endpoints = local_endpoints({**OUTPUTS, "failover_domain_name": ""}, _status(4566))
    assert endpoints["failover_api_url"] == ""
    assert "--resolve" not in curl_commands(endpoints)


def test_the_curl_commands_call_each_stage_and_the_failover_name_through_dns():
    commands = curl_commands(local_endpoints(OUTPUTS, _status(4566)))
    assert "curl http://127.0.0.2:4566/restapis/abc123/v1/_user_request_/health" in commands
    assert "curl http://127.0.0.3:4566/restapis/def456/v1/_user_request_/health" in commands
    assert '-H "x-api-key: $KEY"' in commands and "flows.endpoints api-key" in commands
    assert (
        "AT=api.tap-dev.payments-dr.net:4566:"
        "$(.venv/bin/python -m flows.endpoints resolve api.tap-dev.payments-dr.net)"
    ) in commands
    assert 'curl --resolve "$AT" http://api.tap-dev.payments-dr.net:4566/health' in commands
    assert "-d '{" in commands.split("AT=")[1]  # a payment created through the failover name


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["down", "us-east-9"], "unknown region 'us-east-9'"),
        (["sideways", "us-east-1"], "invalid choice: 'sideways'"),
        (["down"], "the following arguments are required: region"),
    ],
)
def test_the_outage_switch_refuses_bad_arguments_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        outage.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
