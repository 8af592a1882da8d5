"""The IAM policy evaluator checked against AWS's IAM User Guide alone.

Written from the documentation and the evaluator's public interface only (Request, evaluate,
action_matches); the evaluator's code and its own tests were not read. Each test quotes the sentence it
relies on and names the User Guide page (https://docs.aws.amazon.com/IAM/latest/UserGuide/<page>).
Where the guide is silent or ambiguous the docstring says so and the test asserts the stricter outcome:
an Allow that cannot be shown to apply does not grant.

Pages quoted:
  reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html (explicit and implicit denies)
  reference_policies_elements_action.html, reference_policies_elements_notaction.html
  reference_policies_elements_resource.html, reference_policies_elements_notresource.html
  reference_policies_elements_condition.html, reference_policies_elements_condition_operators.html
  reference_policies_multi-value-conditions.html (conditions with multiple context keys or values)
  reference_policies_elements_principal.html, reference_policies_variables.html
  reference_policies_condition-single-vs-multi-valued-context-keys.html and
  reference_policies_condition_examples-multi-valued-context-keys.html (set operators; read in public copies
  of the English pages, as the live-page excerpts stop before the ForAllValues/ForAnyValue sections)
Quotes were read through the docs search of the live pages; the Principal page's account, service and
anonymous sections and the variables page's "not present" note were read in the awsdocs/iam-user-guide
copy of those pages, because the live-page excerpts stopped before them.
"""

from moto.iam.access_control import PermissionResult

from local_aws.iam_policy import Request, action_matches, evaluate

PERMITTED = PermissionResult.PERMITTED
DENIED = PermissionResult.DENIED
NEUTRAL = PermissionResult.NEUTRAL

ACCOUNT = "123456789012"
QUEUE1 = f"arn:aws:sqs:us-east-2:{ACCOUNT}:queue1"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
OBJECT = f"{BUCKET}/photos/cat.jpg"
TOPIC = f"arn:aws:sns:us-west-2:{ACCOUNT}:TOPIC-ID"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(documents, action, resource, context=None, *, complete=False, principal=None):
    request = Request(
        action=action, resource=resource, context=context or {}, complete=complete, principal=principal
    )
    return evaluate(documents, request)


def allowed_when(condition, context, *, complete=True):
    """The result of one Allow on s3:GetObject guarded by `condition`, for a request carrying `context`."""
    return decide(
        [policy(allow("s3:GetObject", "*", Condition=condition))],
        "s3:GetObject",
        OBJECT,
        context,
        complete=complete,
    )


# --- Evaluation logic -------------------------------------------------------------------------------------


def test_explicit_deny_in_one_document_overrides_allow_in_another():
    """Interplay page: "If policies that apply to a request include an Allow statement and a Deny
    statement, the Deny statement trumps the Allow statement. The request is explicitly denied."
    Both document orders, and a document given as JSON text."""
    allow_doc = policy(allow("s3:*"))
    deny_doc = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", '
        '"Resource": "*"}]}'
    )
    assert decide([allow_doc, deny_doc], "s3:GetObject", OBJECT) is DENIED
    assert decide([deny_doc, allow_doc], "s3:GetObject", OBJECT) is DENIED


def test_explicit_deny_overrides_allow_within_one_document():
    """Interplay page: "A request results in an explicit deny if an applicable policy includes a Deny
    statement." """
    doc = policy(allow("s3:*"), deny("s3:GetObject", OBJECT))
    assert decide([doc], "s3:GetObject", OBJECT) is DENIED


def test_no_applicable_statement_is_an_implicit_deny():
    """Interplay page: "An implicit denial occurs when there is no applicable Deny statement but also no
    applicable Allow statement." (AllowGetList example: "All other actions in IAM, such as
    iam:CreatePolicy are implicitly denied.")"""
    doc = policy(allow(["iam:Get*", "iam:List*"]))
    assert decide([doc], "iam:CreatePolicy", "*") is NEUTRAL
    assert decide([], "iam:GetUser", "*") is NEUTRAL


def test_allow_in_one_document_and_deny_in_another_apply_to_their_own_actions():
    """Interplay page, the AllowGetList / DenyReports example: Get and List actions are allowed, "The
    DenyReports statement explicitly denies access to IAM reports by denying access to actions that include
    the Report suffix, such as iam:GetOrganizationsAccessReport." """
    allow_doc = policy(allow(["iam:Get*", "iam:List*"]))
    deny_doc = policy(deny("iam:*Report"))
    assert decide([allow_doc, deny_doc], "iam:GetUser", "*") is PERMITTED
    assert decide([allow_doc, deny_doc], "iam:GetOrganizationsAccessReport", "*") is DENIED
    assert decide([allow_doc, deny_doc], "iam:CreatePolicy", "*") is NEUTRAL


# --- Action ---------------------------------------------------------------------------------------------


def test_action_prefix_and_name_are_case_insensitive():
    """reference_policies_elements_action: "The prefix and the action name are case insensitive. For
    example, iam:ListAccessKeys is the same as IAM:listaccesskeys." """
    assert action_matches("IAM:listaccesskeys", "iam:ListAccessKeys") is True
    assert action_matches("iam:ListAccessKeys", "IAM:LISTACCESSKEYS") is True
    assert decide([policy(allow("IAM:listaccesskeys"))], "iam:ListAccessKeys", "*") is PERMITTED


def test_action_star_after_prefix_covers_that_service_only():
    """reference_policies_elements_action: "You can use multi-character match wildcards (*) and
    single-character match wildcards (?) to give access to all the actions the specific AWS product
    offers. For example, the following Action element applies to all S3 actions. "Action": "s3:*"" """
    assert action_matches("s3:*", "s3:GetObject") is True
    assert action_matches("s3:*", "sqs:SendMessage") is False


def test_action_star_within_the_action_name():
    """reference_policies_elements_action: "You can also use wildcards (* or ?) as part of the action name.
    For example, the following Action element applies to all IAM actions that include the string
    AccessKey, including CreateAccessKey, DeleteAccessKey, ListAccessKeys, and UpdateAccessKey." """
    for name in ("CreateAccessKey", "DeleteAccessKey", "ListAccessKeys", "UpdateAccessKey"):
        assert action_matches("iam:*AccessKey*", f"iam:{name}") is True
    assert action_matches("iam:*AccessKey*", "iam:ListUsers") is False


def test_action_question_mark_matches_exactly_one_character():
    """reference_policies_elements_action: "single-character match wildcards (?)"; "You can also use
    wildcards (* or ?) as part of the action name." """
    assert action_matches("s3:Get?bject", "s3:GetObject") is True
    assert action_matches("s3:GetObjec?", "s3:GetObject") is True
    assert action_matches("s3:GetObjec?", "s3:GetObjectAcl") is False
    assert action_matches("s3:GetObject?", "s3:GetObject") is False


def test_action_without_wildcard_is_not_a_prefix_match():
    """reference_policies_elements_action: "The name must match an action that is supported by the
    service." Only * and ? are wildcards, so a plain name names exactly one action."""
    assert action_matches("s3:Get", "s3:GetObject") is False
    assert action_matches("s3:GetObject", "s3:GetObjectAcl") is False


def test_action_star_alone_matches_every_action():
    """reference_policies_elements_notresource, on "Action": "*": "This statement is very dangerous,
    because it allows all actions in AWS on all resources except the HRBucket S3 bucket." """
    assert action_matches("*", "iam:CreateUser") is True
    assert decide([policy(allow("*"))], "ec2:StartInstances", "*") is PERMITTED


def test_action_list_matches_any_listed_action():
    """reference_policies_elements_action: "You can specify multiple values for the Action element."
    ("Action": [ "sqs:SendMessage", "sqs:ReceiveMessage", "ec2:StartInstances", ... ])"""
    doc = policy(allow(["sqs:SendMessage", "sqs:ReceiveMessage", "ec2:StartInstances"]))
    assert decide([doc], "sqs:ReceiveMessage", "*") is PERMITTED
    assert decide([doc], "ec2:StartInstances", "*") is PERMITTED
    assert decide([doc], "sqs:DeleteQueue", "*") is NEUTRAL


def test_not_action_with_allow_allows_every_unlisted_action():
    """reference_policies_elements_notaction: "all of the applicable actions or services that are not
    listed are allowed if you use the Allow effect." Example: "The following example allows users to
    access every action in every AWS service except for IAM." ("NotAction": "iam:*", "Resource": "*")"""
    doc = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide([doc], "s3:GetObject", OBJECT) is PERMITTED
    assert decide([doc], "iam:CreateUser", "*") is NEUTRAL


def test_not_action_with_deny_denies_every_unlisted_action():
    """reference_policies_elements_notaction: "such unlisted actions or services are denied if you use the
    Deny effect." """
    docs = [policy(allow("*")), policy({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})]
    assert decide(docs, "s3:GetObject", OBJECT) is DENIED
    assert decide(docs, "iam:ListUsers", "*") is PERMITTED


def test_not_action_with_deny_does_not_allow_the_listed_actions():
    """reference_policies_elements_notaction (NotAction with Deny): "This combination does not allow the
    listed items, but instead explicitly denies the actions not listed. You must still allow actions that
    you want to allow." """
    doc = policy({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})
    assert decide([doc], "iam:ListUsers", "*") is NEUTRAL


# --- Resource -------------------------------------------------------------------------------------------


def test_resource_exact_arn():
    """reference_policies_elements_resource: "The following example refers to a specific Amazon SQS
    queue." ("Resource": "arn:aws:sqs:us-east-2:account-ID-without-hyphens:queue1")"""
    doc = policy(allow("sqs:*", QUEUE1))
    assert decide([doc], "sqs:SendMessage", QUEUE1) is PERMITTED
    assert decide([doc], "sqs:SendMessage", QUEUE1.replace("queue1", "queue2")) is NEUTRAL
    assert decide([doc], "sqs:SendMessage", QUEUE1.replace(ACCOUNT, "111122223333")) is NEUTRAL


def test_resource_iam_user_name_is_case_sensitive():
    """reference_policies_elements_resource: "In the Resource element, the IAM user name is case
    sensitive." """
    doc = policy(allow("iam:*", f"arn:aws:iam::{ACCOUNT}:user/Bob"))
    assert decide([doc], "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/Bob") is PERMITTED
    assert decide([doc], "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/bob") is NEUTRAL


def test_resource_star_matches_every_resource():
    """reference_policies_elements_resource: "When this is the case, you use the wildcard character (*) in
    the Resource element." (actions "apply to all resources in that service")"""
    doc = policy(allow("s3:GetObject", "*"))
    assert decide([doc], "s3:GetObject", OBJECT) is PERMITTED
    assert decide([doc], "s3:GetObject", "arn:aws:s3:::another-bucket/key") is PERMITTED


def test_resource_star_in_the_resource_part_spans_slashes():
    """reference_policies_elements_resource: "The following example refers to all items within a specific
    Amazon S3 bucket." ("arn:aws:s3:::amzn-s3-demo-bucket/*") and "The asterisk (*) character can expand to
    replace everything within a segment, including characters like a forward slash (/)"."""
    doc = policy(allow("s3:GetObject", f"{BUCKET}/*"))
    assert decide([doc], "s3:GetObject", OBJECT) is PERMITTED
    assert decide([doc], "s3:GetObject", f"{BUCKET}/a/b/c.txt") is PERMITTED
    assert decide([doc], "s3:GetObject", BUCKET) is NEUTRAL
    assert decide([doc], "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket2/photos/cat.jpg") is NEUTRAL


def test_resource_stars_around_a_fixed_path_part():
    """reference_policies_elements_resource, on "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*": "The wildcards
    in the ARN apply to all of the following objects in the bucket" (e.g. amzn-s3-demo-bucket/1/2/test/3/
    object.jpg) and "The ARN would not match the following objects: amzn-s3-demo-bucket/1-test/object.jpg"."""
    doc = policy(allow("s3:GetObject", f"{BUCKET}/*/test/*"))
    assert decide([doc], "s3:GetObject", f"{BUCKET}/1/2/test/3/object.jpg") is PERMITTED
    assert decide([doc], "s3:GetObject", f"{BUCKET}/1/test/object.jpg") is PERMITTED
    assert decide([doc], "s3:GetObject", f"{BUCKET}/1-test/object.jpg") is NEUTRAL


def test_resource_question_mark_matches_one_character():
    """reference_policies_elements_resource: "You can use wildcard characters (* and ?) within the
    individual segments of an ARN (the parts separated by colons) to represent: ... Any single character
    (?)" """
    doc = policy(allow("sqs:*", f"arn:aws:sqs:us-east-2:{ACCOUNT}:queue?"))
    assert decide([doc], "sqs:SendMessage", QUEUE1) is PERMITTED
    assert decide([doc], "sqs:SendMessage", QUEUE1 + "0") is NEUTRAL
    assert decide([doc], "sqs:SendMessage", f"arn:aws:sqs:us-east-2:{ACCOUNT}:queue") is NEUTRAL


def test_resource_wildcard_in_the_account_segment():
    """reference_policies_elements_resource: "You can use wildcard characters (* and ?) within the
    individual segments of an ARN (the parts separated by colons)" """
    doc = policy(allow("sqs:*", "arn:aws:sqs:us-east-2:*:queue1"))
    assert decide([doc], "sqs:SendMessage", "arn:aws:sqs:us-east-2:111122223333:queue1") is PERMITTED
    assert decide([doc], "sqs:SendMessage", "arn:aws:sqs:us-west-2:111122223333:queue1") is NEUTRAL


def test_resource_star_ending_a_segment_expands_beyond_the_colon():
    """reference_policies_elements_resource: "If the * wildcard is the last character of a resource ARN
    segment, it can expand to match beyond the colon boundaries." """
    doc = policy(allow("sqs:*", "arn:aws:sqs:us-east-2:*"))
    assert decide([doc], "sqs:SendMessage", QUEUE1) is PERMITTED


def test_resource_wildcard_in_the_service_segment_does_not_grant():
    """reference_policies_elements_resource: "You can't use a wildcard in the service segment that
    identifies the AWS product." The guide does not say how such a statement evaluates (IAM refuses it when
    the policy is saved, which this interface cannot show), so the stricter outcome: it grants nothing."""
    doc = policy(allow("sqs:*", f"arn:aws:*:us-east-2:{ACCOUNT}:queue1"))
    assert decide([doc], "sqs:SendMessage", QUEUE1) is NEUTRAL


def test_not_resource_deny_denies_what_is_not_listed():
    """reference_policies_elements_notresource: "The following policy explicitly denies access to all
    Amazon S3 resources other than the listed resources." (NotResource: HRBucket/Payroll and
    HRBucket/Payroll/*)"""
    deny_doc = policy(
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
        }
    )
    docs = [policy(allow("s3:*")), deny_doc]
    assert decide(docs, "s3:GetObject", "arn:aws:s3:::HRBucket/Other/file.txt") is DENIED
    assert decide(docs, "s3:GetObject", OBJECT) is DENIED
    assert decide(docs, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/jan.csv") is PERMITTED


def test_not_resource_deny_grants_nothing():
    """reference_policies_elements_notresource: "Note, however, that this policy does not grant the user
    access to any resources." A NotResource Deny must not turn into an Allow of the listed resources."""
    doc = policy(
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
        }
    )
    assert decide([doc], "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/jan.csv") is NEUTRAL
    assert decide([doc], "s3:GetObject", "arn:aws:s3:::HRBucket/Other/file.txt") is DENIED


def test_not_resource_allow_allows_only_what_is_not_listed():
    """reference_policies_elements_notresource: "You should never use the "Effect": "Allow", "Action": "*",
    and "NotResource": "arn:aws:s3:::HRBucket" elements together. This statement is very dangerous, because
    it allows all actions in AWS on all resources except the HRBucket S3 bucket." """
    doc = policy({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::HRBucket"})
    assert decide([doc], "sqs:SendMessage", QUEUE1) is PERMITTED
    assert decide([doc], "s3:ListBucket", "arn:aws:s3:::HRBucket") is NEUTRAL


# --- Condition operators --------------------------------------------------------------------------------


def test_string_equals_is_case_sensitive():
    """reference_policies_elements_condition: "the following condition includes the StringEquals operator
    to make sure that only requests made by johndoe match. Users named JohnDoe are denied access."
    (reference_policies_elements_condition_operators: StringEquals "Exact matching, case sensitive")"""
    condition = {"StringEquals": {"aws:username": "johndoe"}}
    assert allowed_when(condition, {"aws:username": "johndoe"}) is PERMITTED
    assert allowed_when(condition, {"aws:username": "JohnDoe"}) is NEUTRAL


def test_string_equals_ignore_case():
    """reference_policies_elements_condition: "The following condition uses the StringEqualsIgnoreCase
    operator to match users named johndoe or JohnDoe." """
    condition = {"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}
    assert allowed_when(condition, {"aws:username": "JohnDoe"}) is PERMITTED
    assert allowed_when(condition, {"aws:username": "janedoe"}) is NEUTRAL


def test_string_not_equals_is_negated_matching():
    """reference_policies_elements_condition_operators: StringNotEquals "Negated matching"."""
    condition = {"StringNotEquals": {"aws:PrincipalTag/job-category": "dev-ops"}}
    assert allowed_when(condition, {"aws:PrincipalTag/job-category": "iamuser-admin"}) is PERMITTED
    assert allowed_when(condition, {"aws:PrincipalTag/job-category": "dev-ops"}) is NEUTRAL


def test_string_like_wildcards():
    """reference_policies_elements_condition_operators, StringLike: "Case-sensitive matching. The values can
    include multi-character match wildcards (*) and single-character match wildcards (?) anywhere in the
    string. You must specify wildcards to achieve partial string matches." Table: t1.micro "Match",
    m2.micro "No match" for ["t1.*", "t2.*", "m3.*"]."""
    condition = {"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    assert allowed_when(condition, {"ec2:InstanceType": "t1.micro"}) is PERMITTED
    assert allowed_when(condition, {"ec2:InstanceType": "m2.micro"}) is NEUTRAL
    assert allowed_when(condition, {"ec2:InstanceType": "T1.micro"}) is NEUTRAL
    assert (
        allowed_when({"StringLike": {"ec2:InstanceType": "t?.micro"}}, {"ec2:InstanceType": "t2.micro"})
        is PERMITTED
    )
    assert (
        allowed_when({"StringLike": {"ec2:InstanceType": "t1"}}, {"ec2:InstanceType": "t1.micro"}) is NEUTRAL
    )


def test_arn_equals_and_arn_like_behave_identically():
    """reference_policies_elements_condition_operators, ArnEquals, ArnLike: "Each of the six colon-delimited
    components of the ARN is checked separately and each can include multi-character match wildcards (*) or
    single-character match wildcards (?). The ArnEquals and ArnLike condition operators behave
    identically." So ArnEquals takes wildcards too."""
    for operator in ("ArnEquals", "ArnLike"):
        condition = {operator: {"aws:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:TOPIC-?D"}}
        assert allowed_when(condition, {"aws:SourceArn": TOPIC}) is PERMITTED, operator
        other = "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"
        assert allowed_when(condition, {"aws:SourceArn": other}) is NEUTRAL, operator


def test_arn_condition_is_case_sensitive():
    """reference_policies_elements_condition_operators: ArnEquals, ArnLike "Case-sensitive matching of the
    ARN." """
    for operator in ("ArnEquals", "ArnLike"):
        condition = {operator: {"aws:SourceArn": TOPIC}}
        assert allowed_when(condition, {"aws:SourceArn": TOPIC.lower()}) is NEUTRAL, operator


def test_arn_not_equals_and_arn_not_like_are_negated_matching():
    """reference_policies_elements_condition_operators: ArnNotEquals, ArnNotLike "Negated matching for ARN.
    The ArnNotEquals and ArnNotLike condition operators behave identically." """
    for operator in ("ArnNotEquals", "ArnNotLike"):
        condition = {operator: {"aws:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:*"}}
        assert allowed_when(condition, {"aws:SourceArn": TOPIC}) is NEUTRAL, operator
        other = "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"
        assert allowed_when(condition, {"aws:SourceArn": other}) is PERMITTED, operator


def test_arn_condition_pattern_with_fewer_components_does_not_grant():
    """reference_policies_elements_condition_operators: "Each of the six colon-delimited components of the
    ARN is checked separately". Whether a trailing * may swallow the missing components (as it can in a
    Resource element) the operator page does not say; ambiguous, so the stricter outcome: no grant."""
    condition = {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-west-2:*"}}
    assert allowed_when(condition, {"aws:SourceArn": TOPIC}) is NEUTRAL


def test_arn_equals_example_from_the_guide():
    """reference_policies_elements_condition_operators, "Example ARN condition operator" (an SQS queue
    policy letting sns.amazonaws.com send only on behalf of one topic; the guide writes the action
    "SQS:SendMessage" and Statement as a single object). Table: same ARN "Match"; 777788889999 "No match";
    "No aws:SourceArn in the request context." "No match"."""
    doc = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "SQS:SendMessage",
            "Resource": QUEUE1,
            "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC}},
        },
    }
    sns = ("Service", "sns.amazonaws.com")
    assert (
        decide([doc], "sqs:SendMessage", QUEUE1, {"aws:SourceArn": TOPIC}, complete=True, principal=sns)
        is PERMITTED
    )
    other = {"aws:SourceArn": "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"}
    assert decide([doc], "sqs:SendMessage", QUEUE1, other, complete=True, principal=sns) is NEUTRAL
    assert decide([doc], "sqs:SendMessage", QUEUE1, {}, complete=True, principal=sns) is NEUTRAL


def test_bool_condition_example_from_the_guide():
    """reference_policies_elements_condition_operators, "Example boolean condition operator" (Deny when
    "aws:SecureTransport": "false"): table false "Match", true "No match", "No aws:SecureTransport in the
    request context." "No match". The guide's policy "does not allow any actions", so an Allow is added."""
    docs = [
        policy(allow("s3:*")),
        policy(deny("s3:*", "*", Condition={"Bool": {"aws:SecureTransport": "false"}})),
    ]
    assert decide(docs, "s3:GetObject", OBJECT, {"aws:SecureTransport": "false"}, complete=True) is DENIED
    assert decide(docs, "s3:GetObject", OBJECT, {"aws:SecureTransport": "true"}, complete=True) is PERMITTED
    assert decide(docs, "s3:GetObject", OBJECT, {}, complete=True) is PERMITTED


def test_missing_key_makes_the_condition_false():
    """reference_policies_elements_condition_operators (Important): "If the key that you specify in a policy
    condition is not present in the request context, the values do not match and the condition is false."
    (complete=True: the key is absent from the request.)"""
    condition = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
    assert allowed_when(condition, {"aws:username": "johndoe"}, complete=True) is NEUTRAL


def test_missing_key_makes_a_negated_condition_true():
    """reference_policies_elements_condition_operators (Important): "If the policy condition requires that
    the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
    condition is true." """
    assert allowed_when({"StringNotLike": {"aws:PrincipalTag/team": "ops*"}}, {}, complete=True) is PERMITTED
    assert allowed_when({"ArnNotLike": {"aws:SourceArn": TOPIC}}, {}, complete=True) is PERMITTED


def test_null_false_requires_the_key_to_be_present():
    """reference_policies_elements_condition_operators: "use either true (the key doesn't exist — it is
    null) or false (the key exists and its value is not null)." Example: "the user must be using temporary
    credentials (the key cannot be absent)" ("Null":{"aws:TokenIssueTime":"false"})."""
    condition = {"Null": {"aws:TokenIssueTime": "false"}}
    assert allowed_when(condition, {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}) is PERMITTED
    assert allowed_when(condition, {}, complete=True) is NEUTRAL


def test_null_true_requires_the_key_to_be_absent():
    """reference_policies_elements_condition_operators: "true (the key doesn't exist — it is null)". With
    complete=False an unlisted key may be present, so the stricter outcome there: no grant."""
    condition = {"Null": {"aws:TokenIssueTime": "true"}}
    assert allowed_when(condition, {}, complete=True) is PERMITTED
    assert allowed_when(condition, {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}) is NEUTRAL
    assert allowed_when(condition, {}, complete=False) is NEUTRAL


def test_if_exists_treats_an_absent_key_as_true():
    """reference_policies_elements_condition_operators (...IfExists): "If the key is not present, evaluate
    the condition element as true." Table for StringLikeIfExists ["t1.*", "t2.*", "m3.*"]: t1.micro
    "Match", m2.micro "No match", "No ec2:InstanceType in the request context." "Match"."""
    condition = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    assert allowed_when(condition, {"ec2:InstanceType": "t1.micro"}) is PERMITTED
    assert allowed_when(condition, {"ec2:InstanceType": "m2.micro"}) is NEUTRAL
    assert allowed_when(condition, {}, complete=True) is PERMITTED


def test_if_exists_with_an_unknown_key_does_not_grant():
    """reference_policies_elements_condition_operators (...IfExists): "If the condition key is present in
    the context of the request, process the key as specified in the policy." With complete=False the key
    may be present with a value that fails, so the stricter outcome: no grant."""
    condition = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    assert allowed_when(condition, {}, complete=False) is NEUTRAL


def test_deny_with_a_negated_if_exists_operator_denies_when_the_key_is_absent():
    """reference_policies_elements_condition_operators (...IfExists): "If you are using an "Effect": "Deny"
    element with a negated condition operator like StringNotEqualsIfExists, the request is still denied
    even if the condition key is not present." """
    condition = {"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}
    docs = [policy(allow("s3:*")), policy(deny("s3:*", "*", Condition=condition))]
    assert decide(docs, "s3:GetObject", OBJECT, {}, complete=True) is DENIED
    assert decide(docs, "s3:GetObject", OBJECT, {"aws:RequestedRegion": "eu-west-1"}, complete=True) is DENIED
    assert (
        decide(docs, "s3:GetObject", OBJECT, {"aws:RequestedRegion": "us-east-1"}, complete=True) is PERMITTED
    )


def test_multiple_keys_in_one_operator_are_anded():
    """reference_policies_multi-value-conditions: "If your policy statement has multiple context keys
    attached to a single condition operator, the context keys are evaluated using a logical AND." """
    condition = {"StringEquals": {"aws:PrincipalTag/department": "finance", "aws:PrincipalTag/role": "audit"}}
    both = {"aws:PrincipalTag/department": "finance", "aws:PrincipalTag/role": "audit"}
    one = {"aws:PrincipalTag/department": "finance", "aws:PrincipalTag/role": "dev"}
    assert allowed_when(condition, both) is PERMITTED
    assert allowed_when(condition, one) is NEUTRAL


def test_multiple_values_for_one_key_are_ored():
    """reference_policies_multi-value-conditions: "If a single condition operator includes multiple values
    for a context key, those values are evaluated using a logical OR." """
    condition = {"StringEquals": {"aws:PrincipalTag/department": ["finance", "hr"]}}
    assert allowed_when(condition, {"aws:PrincipalTag/department": "hr"}) is PERMITTED
    assert allowed_when(condition, {"aws:PrincipalTag/department": "it"}) is NEUTRAL


def test_multiple_values_for_a_negated_operator_are_nored():
    """reference_policies_multi-value-conditions: "If a single negated matching condition operator includes
    multiple values for a context key, those values are evaluated using a logical NOR." """
    condition = {"StringNotEquals": {"aws:PrincipalTag/department": ["finance", "hr"]}}
    assert allowed_when(condition, {"aws:PrincipalTag/department": "hr"}) is NEUTRAL
    assert allowed_when(condition, {"aws:PrincipalTag/department": "it"}) is PERMITTED


def test_multiple_operators_are_anded():
    """reference_policies_multi-value-conditions: "If your policy statement has multiple condition
    operators, the condition operators are evaluated using a logical AND." """
    condition = {"StringEquals": {"aws:username": "johndoe"}, "Bool": {"aws:SecureTransport": "true"}}
    assert allowed_when(condition, {"aws:username": "johndoe", "aws:SecureTransport": "true"}) is PERMITTED
    assert allowed_when(condition, {"aws:username": "johndoe", "aws:SecureTransport": "false"}) is NEUTRAL
    assert allowed_when(condition, {"aws:username": "janedoe", "aws:SecureTransport": "true"}) is NEUTRAL


def test_condition_key_names_are_case_insensitive():
    """reference_policies_elements_condition: "Context key names are not case-sensitive. For example,
    including the aws:SourceIP context key is equivalent to testing for AWS:SourceIp." """
    assert (
        allowed_when({"StringEquals": {"AWS:UserName": "johndoe"}}, {"aws:username": "johndoe"}) is PERMITTED
    )
    assert (
        allowed_when({"Bool": {"AWS:SECURETRANSPORT": "true"}}, {"aws:SecureTransport": "true"}) is PERMITTED
    )


# --- Conditions the evaluator cannot decide ---------------------------------------------------------------


def test_unknown_key_with_an_incomplete_context_does_not_grant():
    """reference_policies_elements_condition_operators: an Allow applies only when its condition is true,
    and the key's value decides that. With complete=False a key not in the context is unknown to the
    caller; the guide has no notion of an unknown key, so the stricter outcome: no grant."""
    condition = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
    assert allowed_when(condition, {}, complete=False) is NEUTRAL
    assert allowed_when(condition, {"aws:username": "johndoe"}, complete=False) is NEUTRAL


def test_unknown_key_under_a_negated_operator_with_an_incomplete_context_does_not_grant():
    """reference_policies_elements_condition_operators: a negated operator is true when "the right key is
    not present" — but with complete=False the key may be present with the excluded value. Silent on
    unknown keys, so the stricter outcome: no grant (contrast complete=True, where it is absent)."""
    condition = {"StringNotEquals": {"aws:PrincipalTag/job-category": "dev-ops"}}
    assert allowed_when(condition, {}, complete=False) is NEUTRAL
    assert allowed_when(condition, {}, complete=True) is PERMITTED


def test_unknown_key_in_a_deny_with_an_incomplete_context_is_not_permitted():
    """Interplay page: "the Deny statement trumps the Allow statement." With complete=False the Deny's key
    (aws:SecureTransport) may be present as "false"; the guide is silent on unknown keys, so the stricter
    outcome: the Allow must not win (DENIED, or at least not PERMITTED)."""
    docs = [
        policy(allow("s3:*")),
        policy(deny("s3:*", "*", Condition={"Bool": {"aws:SecureTransport": "false"}})),
    ]
    assert decide(docs, "s3:GetObject", OBJECT, {}, complete=False) is not PERMITTED


def test_unknown_condition_operator_does_not_grant():
    """reference_policies_elements_condition_operators lists the operators; "StringEqualsFancy" is not one.
    The guide does not say how such a condition evaluates (IAM refuses the policy when it is saved), so the
    stricter outcome: the Allow grants nothing (refusing the policy with an error also grants nothing)."""
    condition = {"StringEqualsFancy": {"aws:username": "johndoe"}}
    try:
        result = allowed_when(condition, {"aws:username": "johndoe"})
    except Exception:
        return
    assert result is NEUTRAL


def test_unknown_condition_operator_in_a_deny_is_not_permitted():
    """As above for a Deny: whether the Deny applies cannot be decided, so the stricter outcome — the Allow
    must not win. Interplay page: "the Deny statement trumps the Allow statement." """
    docs = [
        policy(allow("s3:*")),
        policy(deny("s3:*", "*", Condition={"StringEqualsFancy": {"aws:username": "johndoe"}})),
    ]
    try:
        result = decide(docs, "s3:GetObject", OBJECT, {"aws:username": "johndoe"}, complete=True)
    except Exception:
        return
    assert result is not PERMITTED


def test_ip_address_outside_the_range_does_not_grant():
    """reference_policies_elements_condition_operators, IpAddress table: "aws:SourceIp": "203.0.113.0/24"
    with 198.51.100.1 — "No match". (Whether or not the evaluator supports IpAddress, an Allow on it must not
    grant here.)"""
    condition = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    assert allowed_when(condition, {"aws:SourceIp": "198.51.100.1"}) is NEUTRAL


def test_numeric_condition_outside_the_bound_does_not_grant():
    """reference_policies_elements_condition_operators: NumericLessThanEquals on s3:max-keys "10" —
    "only the operations that include the max-keys context key with a value of less than or equal to 10
    would be allowed." """
    condition = {"NumericLessThanEquals": {"s3:max-keys": "10"}}
    assert allowed_when(condition, {"s3:max-keys": "11"}) is NEUTRAL


# --- Principal (resource-based policies) ----------------------------------------------------------------


def test_service_principal_matches_only_that_service():
    """reference_policies_elements_principal: "A service principal is an identifier that is used to grant
    permissions to a service." The statement names one service; no other principal is that service."""
    doc = policy(allow("lambda:InvokeFunction", "*", Principal={"Service": "apigateway.amazonaws.com"}))
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    assert (
        decide([doc], "lambda:InvokeFunction", function, principal=("Service", "apigateway.amazonaws.com"))
        is PERMITTED
    )
    assert (
        decide([doc], "lambda:InvokeFunction", function, principal=("Service", "events.amazonaws.com"))
        is NEUTRAL
    )
    assert (
        decide([doc], "lambda:InvokeFunction", function, principal=("AWS", f"arn:aws:iam::{ACCOUNT}:root"))
        is NEUTRAL
    )


def test_several_service_principals_are_ored():
    """reference_policies_elements_principal: "To specify multiple service principals, you do not specify
    two Service elements; you can have only one. Instead, you use an array of multiple service principals
    as the value of a single Service element." and "When you specify more than one principal in the
    element, you grant permissions to each principal. This is a logical OR" """
    services = ["elasticmapreduce.amazonaws.com", "datapipeline.amazonaws.com"]
    doc = policy(allow("sts:AssumeRole", "*", Principal={"Service": services}))
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    for service in services:
        assert decide([doc], "sts:AssumeRole", role, principal=("Service", service)) is PERMITTED
    assert decide([doc], "sts:AssumeRole", role, principal=("Service", "lambda.amazonaws.com")) is NEUTRAL


def test_star_principal_matches_every_principal():
    """reference_policies_elements_principal: "For resource-based policies, such as Amazon S3 bucket
    policies, a wildcard (*) in the principal element specifies all users or public access. The following
    elements are equivalent: "Principal": "*" / "Principal" : { "AWS" : "*" }" """
    star = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal="*"))
    aws_star = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": "*"}))
    someone = ("AWS", "arn:aws:iam::111122223333:root")
    assert decide([star], "s3:GetObject", OBJECT, principal=someone) is PERMITTED
    assert (
        decide([star], "s3:GetObject", OBJECT, principal=("Service", "apigateway.amazonaws.com")) is PERMITTED
    )
    assert decide([aws_star], "s3:GetObject", OBJECT, principal=someone) is PERMITTED


def test_account_principal_short_form_is_the_account_root():
    """reference_policies_elements_principal: "When you specify an AWS account, you can use the account ARN
    (arn:aws:iam::AWS-account-ID:root), or a shortened form that consists of the AWS: prefix followed by the
    account ID." ("Principal": { "AWS": "123456789012" })"""
    doc = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": ACCOUNT}))
    assert (
        decide([doc], "s3:GetObject", OBJECT, principal=("AWS", f"arn:aws:iam::{ACCOUNT}:root")) is PERMITTED
    )
    assert (
        decide([doc], "s3:GetObject", OBJECT, principal=("AWS", "arn:aws:iam::111122223333:root")) is NEUTRAL
    )


def test_deny_names_its_principal_only():
    """reference_policies_elements_principal: "Use the Principal element in a resource-based JSON policy to
    specify the principal that is allowed or denied access to a resource." A Deny naming one service does
    not apply to another."""
    doc = policy(
        allow("s3:GetObject", f"{BUCKET}/*", Principal="*"),
        deny("s3:GetObject", f"{BUCKET}/*", Principal={"Service": "events.amazonaws.com"}),
    )
    assert decide([doc], "s3:GetObject", OBJECT, principal=("Service", "events.amazonaws.com")) is DENIED
    assert (
        decide([doc], "s3:GetObject", OBJECT, principal=("Service", "apigateway.amazonaws.com")) is PERMITTED
    )


# --- Policy variables -----------------------------------------------------------------------------------


def test_policy_variable_without_a_value_does_not_grant():
    """reference_policies_variables: "If AWS cannot resolve a variable, this might cause the entire
    statement to be invalid." and, for aws:username, "not present means that the value is not in the
    current request information, and any attempt to match it fails and causes the statement to be
    invalid." No value is given here, so no grant — not even for a resource spelled like the placeholder."""
    doc = policy(allow("s3:*", f"{BUCKET}/${{aws:username}}/*"))
    for complete in (True, False):
        assert decide([doc], "s3:GetObject", f"{BUCKET}/alice/x", complete=complete) is NEUTRAL
        assert decide([doc], "s3:GetObject", f"{BUCKET}/${{aws:username}}/x", complete=complete) is NEUTRAL


def test_policy_variable_does_not_grant_another_users_path():
    """reference_policies_variables: "When this policy is evaluated, IAM replaces the variable
    ${aws:username} with the friendly name of the actual current user." alice's request must not reach
    bob's objects, however (or whether) the evaluator substitutes."""
    doc = policy(allow("s3:*", f"{BUCKET}/${{aws:username}}/*"))
    assert (
        decide([doc], "s3:GetObject", f"{BUCKET}/bob/x", {"aws:username": "alice"}, complete=True) is NEUTRAL
    )


def test_policy_variable_takes_its_value_from_the_request_context():
    """reference_policies_variables: "When the policy is evaluated, the policy variables are replaced with
    values that come from the context of the request itself." Here the request context carries
    aws:username, so the Allow reaches alice's own prefix."""
    doc = policy(allow("s3:*", f"{BUCKET}/${{aws:username}}/*"))
    assert (
        decide([doc], "s3:GetObject", f"{BUCKET}/alice/x", {"aws:username": "alice"}, complete=True)
        is PERMITTED
    )


# --- Set operators on multivalued context keys --------------------------------------------------------------
# A multivalued key's value in the request context is given as a list of strings; a plain string is one
# value. Pages: reference_policies_condition-single-vs-multi-valued-context-keys.html ("single-vs-multi"),
# reference_policies_condition_examples-multi-valued-context-keys.html ("multivalued examples"), and the
# older reference_policies_multi-value-conditions.html for the empty data set (awsdocs/iam-user-guide copy).

ENV_OR_COST = ["environment", "cost-center"]


def denied_when(condition, context, *, complete=True):
    """The result of an Allow on everything and one Deny on s3:GetObject guarded by `condition`."""
    docs = [policy(allow("s3:*")), policy(deny("s3:GetObject", "*", Condition=condition))]
    return decide(docs, "s3:GetObject", OBJECT, context, complete=complete)


def test_for_any_value_matches_when_one_request_value_matches_one_policy_value():
    """single-vs-multi (ForAnyValue): "The condition returns true if any one of the context key values in
    the request matches any one of the context key values in the policy." Its table for
    "ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}: environment "Match",
    cost-center "Match", environment + cost-center "Match", environment + dept "Match", dept "No match"."""
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ENV_OR_COST}}
    for keys in (["environment"], ["cost-center"], ["environment", "cost-center"], ["environment", "dept"]):
        assert allowed_when(condition, {"aws:TagKeys": keys}) is PERMITTED, keys
    assert allowed_when(condition, {"aws:TagKeys": ["dept"]}) is NEUTRAL
    assert allowed_when(condition, {"aws:TagKeys": ["dept", "owner", "Environment"]}) is NEUTRAL


def test_for_any_value_is_false_when_the_key_is_absent():
    """single-vs-multi (ForAnyValue): "For no matching context key or if the key does not exist, the
    condition returns false." Its table: "No aws:TagKeys in the request context." — "No match"."""
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ENV_OR_COST}}
    assert allowed_when(condition, {}, complete=True) is NEUTRAL


def test_for_all_values_matches_when_every_request_value_is_in_the_policy():
    """single-vs-multi (ForAllValues): "The condition returns true if every context key value in the
    request matches a context key value in the policy." Its table (with Null false): environment,
    cost-center, both — "Match"; environment + dept — "No match"."""
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ENV_OR_COST}}
    for keys in (["environment"], ["cost-center"], ["environment", "cost-center"]):
        assert allowed_when(condition, {"aws:TagKeys": keys}) is PERMITTED, keys
    assert allowed_when(condition, {"aws:TagKeys": ["environment", "dept"]}) is NEUTRAL
    assert allowed_when(condition, {"aws:TagKeys": ["dept"]}) is NEUTRAL


def test_for_all_values_is_true_when_the_key_is_absent_the_documented_pitfall():
    """single-vs-multi (ForAllValues): "It also returns true if there are no context keys in the
    request." and (Important) "Use caution if you use ForAllValues with an Allow effect, as it can be
    overly permissive if the presence of missing context keys in the request context is unexpected. You
    should always include the Null condition operator in your policy with a false value". Its table with
    "Null": {"aws:TagKeys": "false"}: "No aws:TagKeys in the request context." — "No match"."""
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ENV_OR_COST}}
    assert allowed_when(condition, {}, complete=True) is PERMITTED
    guarded = {**condition, "Null": {"aws:TagKeys": "false"}}
    assert allowed_when(guarded, {}, complete=True) is NEUTRAL
    assert allowed_when(guarded, {"aws:TagKeys": ["environment"]}) is PERMITTED
    assert allowed_when(guarded, {"aws:TagKeys": ["environment", "dept"]}) is NEUTRAL


def test_an_empty_set_of_request_values_is_true_for_all_values_and_false_for_any_value():
    """reference_policies_multi-value-conditions (awsdocs copy), Note: "If the key values in the request
    resolve to an empty data set (for example, an empty string), a condition operator modified by
    ForAllValues returns true, and a condition operator modified by ForAnyValue returns false."
    multivalued examples: a Null condition with false prevents "context keys with empty values from
    evaluating to true"."""
    assert allowed_when({"ForAllValues:StringEquals": {"aws:TagKeys": ENV_OR_COST}}, {"aws:TagKeys": []}) is (
        PERMITTED
    )
    assert allowed_when({"ForAnyValue:StringEquals": {"aws:TagKeys": ENV_OR_COST}}, {"aws:TagKeys": []}) is (
        NEUTRAL
    )
    guarded = {"ForAllValues:StringEquals": {"aws:TagKeys": ENV_OR_COST}, "Null": {"aws:TagKeys": "false"}}
    assert allowed_when(guarded, {"aws:TagKeys": []}) is NEUTRAL


def test_set_operators_with_string_like_wildcards():
    """single-vs-multi: "if you include a multivalued string context key in your policy with a wildcard or
    a variable, you must also use the StringLike condition operator." reference_policies_multi-value-
    conditions (awsdocs copy): "ForAllValues:StringLike" on ["PostDateTime", "Message", "Tags"] with a
    request for PostDateTime and UserName — "There's no match for UserName, so the condition operator
    returns false"; "ForAnyValue:StringLike" on ["ID", "PostDateTime"] with UserName, Message, PostDateTime
    — "The last test returns true, so the condition is true"."""
    listed = {"ForAllValues:StringLike": {"dynamodb:Attributes": ["PostDateTime", "Message", "Tags"]}}
    assert allowed_when(listed, {"dynamodb:Attributes": ["PostDateTime", "Message"]}) is PERMITTED
    assert allowed_when(listed, {"dynamodb:Attributes": ["PostDateTime", "UserName"]}) is NEUTRAL
    forbidden = {"ForAnyValue:StringLike": {"dynamodb:Attributes": ["ID", "PostDateTime"]}}
    assert denied_when(forbidden, {"dynamodb:Attributes": ["UserName", "Message", "PostDateTime"]}) is DENIED
    assert denied_when(forbidden, {"dynamodb:Attributes": ["UserName"]}) is PERMITTED
    prefixed = {"ForAnyValue:StringLike": {"aws:TagKeys": ["team-*", "cost-?"]}}
    assert allowed_when(prefixed, {"aws:TagKeys": ["owner", "team-payments"]}) is PERMITTED
    assert allowed_when(prefixed, {"aws:TagKeys": ["owner", "cost-1"]}) is PERMITTED
    assert allowed_when(prefixed, {"aws:TagKeys": ["owner", "cost-12", "Team-x"]}) is NEUTRAL
    every = {"ForAllValues:StringLike": {"aws:TagKeys": "key1*"}}
    assert allowed_when(every, {"aws:TagKeys": ["key1:hr", "key1:personnel"]}) is PERMITTED
    assert allowed_when(every, {"aws:TagKeys": ["key1:hr", "key2:audit"]}) is NEUTRAL


def test_a_set_operator_on_a_single_valued_key_given_as_one_string():
    """single-vs-multi: "Single-valued condition context keys have at most one value in the request
    context." and "Do not use condition set operators ForAllValues or ForAnyValue with single-valued
    context keys. Using condition set operators with single-valued context keys can lead to overly
    permissive policies." The one value is the request's set; an absent key still makes ForAllValues
    true (the permissive case the warning is about)."""
    all_values = {"ForAllValues:StringEquals": {"aws:PrincipalTag/team": ["ops", "sre"]}}
    assert allowed_when(all_values, {"aws:PrincipalTag/team": "ops"}) is PERMITTED
    assert allowed_when(all_values, {"aws:PrincipalTag/team": "dev"}) is NEUTRAL
    assert allowed_when(all_values, {}, complete=True) is PERMITTED
    any_value = {"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": ["ops", "sre"]}}
    assert allowed_when(any_value, {"aws:PrincipalTag/team": "sre"}) is PERMITTED
    assert allowed_when(any_value, {"aws:PrincipalTag/team": "dev"}) is NEUTRAL
    assert allowed_when(any_value, {}, complete=True) is NEUTRAL


def test_deny_with_for_any_value_on_tag_keys():
    """multivalued examples (Deny policy with condition set operator ForAnyValue), table for
    "ForAnyValue:StringEquals": {"aws:TagKeys": "webserver"}: webserver — "Match"; environment, webserver,
    test — "Match"; environment, test — "No match / May be allowed by another statement."; "No aws:TagKeys
    in the request context." — "No match". "For a Deny statement, Match is Denied and No match is Not
    denied". single-vs-multi (Important): "When using ForAnyValue with a Deny effect, if the context key is
    not present in the request, the policy evaluates as No match." """
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": "webserver"}}
    assert denied_when(condition, {"aws:TagKeys": ["webserver"]}) is DENIED
    assert denied_when(condition, {"aws:TagKeys": ["environment", "webserver", "test"]}) is DENIED
    assert denied_when(condition, {"aws:TagKeys": ["environment", "test"]}) is PERMITTED
    assert denied_when(condition, {}, complete=True) is PERMITTED
    assert denied_when(condition, {"aws:TagKeys": "webserver"}) is DENIED


def test_deny_with_for_all_values_string_not_like():
    """multivalued examples (Deny policy with condition set operator ForAllValues): "all the tag key
    values in the request context must start with the prefix key1"; "The ForAllValues set operator also
    returns true if there are no context keys in the request." Table for "ForAllValues:StringNotLike":
    {"aws:TagKeys": "key1*"}: key1:legal — "No match"; key1:hr, key1:personnel — "No match"; key2:audit —
    "Match"; no aws:TagKeys — "Match". With ["key1*", "key2*"]: key1:hr, key2:audit — "No match";
    key3:legal — "Match"; no aws:TagKeys — "Match"."""
    one = {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}
    assert denied_when(one, {"aws:TagKeys": ["key1:legal"]}) is PERMITTED
    assert denied_when(one, {"aws:TagKeys": ["key1:hr", "key1:personnel"]}) is PERMITTED
    assert denied_when(one, {"aws:TagKeys": ["key2:audit"]}) is DENIED
    assert denied_when(one, {}, complete=True) is DENIED
    two = {"ForAllValues:StringNotLike": {"aws:TagKeys": ["key1*", "key2*"]}}
    assert denied_when(two, {"aws:TagKeys": ["key1:legal"]}) is PERMITTED
    assert denied_when(two, {"aws:TagKeys": ["key1:hr", "key2:audit"]}) is PERMITTED
    assert denied_when(two, {"aws:TagKeys": ["key3:legal"]}) is DENIED
    assert denied_when(two, {}, complete=True) is DENIED


def test_for_any_value_with_a_negated_operator_is_not_decided():
    """The pages define ForAnyValue as "at least one member of the set of request context key values
    matches at least one member of the set of context key values in your policy condition" and give no
    example or table for a negated operator under it (ForAnyValue:StringNotEquals): silent, so unknown —
    an Allow grants nothing and a Deny is not overridden."""
    condition = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ENV_OR_COST}}
    assert allowed_when(condition, {"aws:TagKeys": ["dept"]}) is NEUTRAL
    assert allowed_when(condition, {"aws:TagKeys": ["environment", "dept"]}) is NEUTRAL
    assert denied_when(condition, {"aws:TagKeys": ["environment"]}) is not PERMITTED


def test_a_set_operator_with_if_exists_is_not_decided():
    """The ...IfExists section ("If the key is not present, evaluate the condition element as true.") and
    the set-operator pages each define an absent key their own way (ForAnyValue: false; ForAllValues:
    true) and neither says which wins for ForAnyValue:StringEqualsIfExists: silent, so unknown — an Allow
    grants nothing and a Deny is not overridden."""
    condition = {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}
    assert allowed_when(condition, {}, complete=True) is NEUTRAL
    assert allowed_when(condition, {"aws:TagKeys": ["team"]}) is NEUTRAL
    all_values = {"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}
    assert allowed_when(all_values, {"aws:TagKeys": ["team"]}) is NEUTRAL
    assert denied_when(condition, {"aws:TagKeys": ["owner"]}) is not PERMITTED


def test_a_plain_operator_on_several_request_values_is_not_decided():
    """single-vs-multi: "Multivalued context keys require a condition set operator." The pages do not say
    how StringEquals compares a policy value with several request values: silent, so unknown — an Allow
    grants nothing and a Deny is not overridden."""
    condition = {"StringEquals": {"aws:TagKeys": "environment"}}
    assert allowed_when(condition, {"aws:TagKeys": ["environment", "dept"]}) is NEUTRAL
    assert denied_when(condition, {"aws:TagKeys": ["dept", "owner"]}) is not PERMITTED


def test_a_set_operator_on_a_key_the_caller_does_not_know_does_not_grant():
    """With complete=False a key outside the context may be present with any values: ForAllValues is true
    only if it is absent or all its values match, ForAnyValue in a Deny may match. The guide has no notion
    of an unknown key, so the stricter outcome: no grant, and the Deny is not overridden."""
    all_values = {"ForAllValues:StringEquals": {"aws:TagKeys": ENV_OR_COST}}
    assert allowed_when(all_values, {}, complete=False) is NEUTRAL
    any_value = {"ForAnyValue:StringEquals": {"aws:TagKeys": "webserver"}}
    assert denied_when(any_value, {}, complete=False) is not PERMITTED
