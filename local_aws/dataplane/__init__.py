"""The emulator's data plane: what moto stores but does not serve.

- ``regions``: each AWS region's loopback address, the outage switch, the time scale.
- ``apigateway``: every deployed REST API stage (and custom domain), served over HTTP.
- ``lambda_runtime``: the deployed function code, run in a worker process.
- ``health_checks``: Route 53 health checkers probing their targets through the data plane.
- ``dns_server``: the hosted zones' records answered on a loopback port.
"""
