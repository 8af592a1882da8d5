"""lib/policy.py, and least privilege across every policy in the stack."""

from __future__ import annotations

import json
import re

import pytest

from lib.policy import document, statement

IAM_POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_s3_bucket_policy": "policy",
    "aws_kms_key": "policy",
}


@pytest.mark.parametrize("action", ["*", "s3:*", "dynamodb:*"])
def test_wildcard_allow_actions_are_refused(action):
    with pytest.raises(ValueError, match=re.escape(f"wildcard action '{action}' is not allowed")):
        statement("Broad", [action], ["arn:aws:s3:::bucket"])


def test_a_deny_may_be_broad():
    deny = statement("DenyAll", ["s3:*"], ["arn:aws:s3:::b"], effect="Deny", principal={"AWS": "*"})
    assert deny == {
        "Sid": "DenyAll",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["s3:*"],
        "Resource": ["arn:aws:s3:::b"],
    }


def test_document_wraps_statements():
    assert json.loads(document(statement("A", ["s3:GetObject"], ["arn:aws:s3:::b/*"]))) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
        ],
    }


def _documents(synth):
    for type_, attribute in IAM_POLICY_ATTRIBUTES.items():
        for name, body in synth.resources(type_).items():
            yield type_, name, json.loads(body[attribute])


def test_no_allow_statement_anywhere_has_a_wildcard_action(each_profile):
    for type_, name, doc in _documents(each_profile):
        for stmt in doc["Statement"]:
            if stmt["Effect"] != "Allow":
                continue
            actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
            assert not [a for a in actions if a == "*" or a.endswith(":*")], (type_, name, stmt)


def test_identity_policies_never_grant_on_every_resource(each_profile):
    # Key policies are exempt: there "Resource": "*" means "this key".
    for name, body in each_profile.resources("aws_iam_policy").items():
        for stmt in json.loads(body["policy"])["Statement"]:
            assert "*" not in stmt["Resource"], (name, stmt)
