"""The emulator's data plane: behaviour the emulator serves from what moto stores.

- ``apigateway``: every deployed REST API stage (and custom domain), served over HTTP.
- ``lambda_runtime`` (``lambda_function``, ``lambda_pool``, ``lambda_worker``): the deployed
  function code, run in a worker process.
- ``health_checks`` (``health_probe``, ``health_metrics``), ``metric_checks``: Route 53 health
  checkers and their status.
- ``alarms`` (``alarm_evaluation``, ``alarm_statistics``): CloudWatch alarm evaluation.
- ``dns_server`` (``dns_resolver``): the hosted zones' records answered on a loopback port.
- ``dynamodb_global_tables`` (``dynamodb_replicas``, ``dynamodb_replication``),
  ``s3_object_replication``: replication between regions, with its lag.
- ``acm_validation``: a DNS-validated certificate is issued when its CNAME resolves.

``dynamodb_global_tables``, ``s3_object_replication`` and ``acm_validation`` hook into moto's
models to serve (``HOOKS``, applied after the patches by ``server.apply_patches``); the rest are started
by ``plane.DataPlane`` (the modules in brackets are their parts).
"""

from __future__ import annotations

HOOKS = ("acm_validation", "dynamodb_global_tables", "s3_object_replication")
