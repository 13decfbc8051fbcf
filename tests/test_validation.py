"""Each validation rule: the error class, the field path and the API server's message."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

import kubesim

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
    },
}

SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation "
    "is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
DNS_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def tpl(d: dict) -> dict:
    return d["spec"]["template"]["spec"]


def strategy(surge: object, unavailable: object) -> Callable[[dict], None]:
    def set_strategy(d: dict) -> None:
        rolling = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
        d["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": rolling}

    return set_strategy


CASES: list[tuple[str, Callable[[dict], None], str, str]] = [
    (
        "name not a DNS subdomain",
        lambda d: d["metadata"].update(name="Web_1"),
        "metadata.name",
        f'The Deployment "Web_1" is invalid: metadata.name: Invalid value: "Web_1": {SUBDOMAIN}',
    ),
    (
        "name missing",
        lambda d: d["metadata"].pop("name"),
        "metadata.name",
        'The Deployment "" is invalid: metadata.name: Required value: name or generateName is required',
    ),
    (
        "label key",
        lambda d: d["metadata"].update(labels={"-bad": "x"}),
        "metadata.labels",
        f'The Deployment "web" is invalid: metadata.labels: Invalid value: "-bad": {NAME_PART}',
    ),
    (
        "label value",
        lambda d: d["metadata"].update(labels={"app": "-x"}),
        "metadata.labels",
        f'The Deployment "web" is invalid: metadata.labels: Invalid value: "-x": {LABEL_VALUE}',
    ),
    (
        "selector required",
        lambda d: d["spec"].pop("selector"),
        "spec.selector",
        'The Deployment "web" is invalid: \n* spec.selector: Required value\n'
        '* spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`",
    ),
    (
        "selector empty",
        lambda d: d["spec"].update(selector={"matchLabels": {}}),
        "spec.selector",
        'The Deployment "web" is invalid: spec.selector: Invalid value: '
        "v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: "
        "empty selector is invalid for deployment",
    ),
    (
        "selector does not match template labels",
        lambda d: d["spec"].update(selector={"matchLabels": {"app": "other"}}),
        "spec.template.metadata.labels",
        'The Deployment "web" is invalid: spec.template.metadata.labels: '
        'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ),
    (
        "negative replicas",
        lambda d: d["spec"].update(replicas=-1),
        "spec.replicas",
        'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ),
    (
        "no containers",
        lambda d: tpl(d).update(containers=[]),
        "spec.template.spec.containers",
        'The Deployment "web" is invalid: spec.template.spec.containers: Required value',
    ),
    (
        "duplicate container names",
        lambda d: tpl(d).update(containers=[{"name": "c", "image": "a"}, {"name": "c", "image": "b"}]),
        "spec.template.spec.containers[1].name",
        'The Deployment "web" is invalid: spec.template.spec.containers[1].name: Duplicate value: "c"',
    ),
    (
        "container name not a DNS label",
        lambda d: tpl(d)["containers"][0].update(name="C_1"),
        "spec.template.spec.containers[0].name",
        f'The Deployment "web" is invalid: spec.template.spec.containers[0].name: Invalid value: "C_1": {DNS_LABEL}',
    ),
    (
        "image required",
        lambda d: tpl(d)["containers"][0].pop("image"),
        "spec.template.spec.containers[0].image",
        'The Deployment "web" is invalid: spec.template.spec.containers[0].image: Required value',
    ),
    (
        "maxSurge and maxUnavailable both 0",
        strategy(0, 0),
        "spec.strategy.rollingUpdate.maxUnavailable",
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: '
        'intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    ),
    (
        "malformed percentage",
        strategy("25", None),
        "spec.strategy.rollingUpdate.maxSurge",
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxSurge: Invalid value: '
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"25"}: a valid percent string must be a numeric string followed '
        "by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ),
    (
        "maxUnavailable over 100%",
        strategy(None, "120%"),
        "spec.strategy.rollingUpdate.maxUnavailable",
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: '
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
    ),
    (
        "restartPolicy must be Always",
        lambda d: tpl(d).update(restartPolicy="Never"),
        "spec.template.spec.restartPolicy",
        'The Deployment "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": '
        'supported values: "Always"',
    ),
    (
        "In without values",
        lambda d: d["spec"].update(selector={"matchExpressions": [{"key": "app", "operator": "In"}]}),
        "spec.selector.matchExpressions[0].values",
        "spec.selector.matchExpressions[0].values: Required value: "
        "must be specified when `operator` is 'In' or 'NotIn'",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_deployment_is_rejected_with_field_and_message(mutate, field, message):
    c = kubesim.Cluster(nodes=0)
    manifest = copy.deepcopy(DEPLOYMENT)
    mutate(manifest)
    with pytest.raises(kubesim.InvalidObjectError) as info:
        c.apply(manifest)
    err = info.value
    assert err.field == field
    assert message in str(err)
    assert c.deployments() == [], "nothing is stored for a rejected object"
    assert err.applied == []


def test_every_cause_is_listed(cluster):
    manifest = copy.deepcopy(DEPLOYMENT)
    manifest["spec"]["replicas"] = -1
    tpl(manifest)["containers"] = []
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply(manifest)
    assert info.value.causes == [
        ("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.template.spec.containers", "Required value"),
    ]


def test_pod_and_replicaset_rules(cluster):
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}})
    assert info.value.field == "spec.containers"
    assert str(info.value).endswith('The Pod "p" is invalid: spec.containers: Required value')
    rs = copy.deepcopy(DEPLOYMENT)
    rs["kind"] = "ReplicaSet"
    rs["spec"]["selector"] = {"matchLabels": {"app": "x"}}
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply(rs)
    assert info.value.field == "spec.template.metadata.labels"
    assert "`selector` does not match template `labels`" in str(info.value)


def test_namespace_names_are_dns_labels(cluster):
    with pytest.raises(kubesim.InvalidObjectError) as info:
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team.a"}})
    assert info.value.field == "metadata.name"
    assert str(info.value).endswith('metadata.name: Invalid value: "team.a": must not contain dots')


def test_a_rejected_update_leaves_the_object_as_it_was(cluster):
    cluster.apply(DEPLOYMENT)
    before = cluster.deployment("web").to_dict()
    bad = copy.deepcopy(DEPLOYMENT)
    bad["spec"]["replicas"] = -5
    with pytest.raises(kubesim.InvalidObjectError):
        cluster.apply(bad)
    assert cluster.deployment("web").to_dict() == before
