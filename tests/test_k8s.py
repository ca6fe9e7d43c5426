"""deploy/k8s, validated offline: the generated base is current (``regua
k8s``), each overlay renders with kustomize, every object validates against
the Kubernetes JSON Schemas of a pinned version (``kubernetes-validate``,
strict: no unknown field), and a policy every SRE team asks for holds: probes,
resources, non-root, read-only root file system, no capability, a pinned
image tag, a PodDisruptionBudget and a graceful-shutdown budget for every
Deployment, default-deny networking."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from regua_devtools.k8s import PRE_STOP_SECONDS, SHUTDOWN_GRACE_SECONDS, WORKLOADS, generated

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.32"
OVERLAYS = ("dev", "prod")
#: Kinds of operators' CRDs, which the Kubernetes schemas do not know.
CRD_KINDS = {"ServiceMonitor", "PrometheusRule", "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}


@cache
def kustomize() -> str:
    return subprocess.run(
        [str(ROOT / "tools" / "kustomize.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()


@cache
def rendered(target: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run(
        [kustomize(), "build", str(K8S / target)], check=True, capture_output=True, text=True
    )
    return tuple(o for o in yaml.safe_load_all(out.stdout) if o)


def test_the_generated_base_is_current() -> None:
    stale = [str(p) for p, body in generated(ROOT).items() if not p.exists() or p.read_text() != body]
    assert not stale, f"run `make k8s`: {stale}"


@pytest.mark.parametrize("target", [f"overlays/{o}" for o in OVERLAYS] + ["optional/strimzi"])
def test_every_object_validates_against_the_kubernetes_schemas(target: str) -> None:
    objects = rendered(target)
    assert objects
    for obj in objects:
        if obj["kind"] in CRD_KINDS:
            assert obj["apiVersion"] in ("monitoring.coreos.com/v1", "kafka.strimzi.io/v1"), obj["kind"]
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_validator_bites() -> None:
    """The oracle refuses what it should: an unknown field, a wrong type."""
    deployment = next(o for o in rendered("overlays/prod") if o["kind"] == "Deployment")
    bad = yaml.safe_load(yaml.safe_dump(deployment))
    bad["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)
    bad = yaml.safe_load(yaml.safe_dump(deployment))
    bad["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_policy(overlay: str) -> None:
    objects = rendered(f"overlays/{overlay}")
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    assert len(deployments) == 10  # api and worker of five services
    assert {o["metadata"]["namespace"] for o in objects} == {"regua-dev" if overlay == "dev" else "regua"}
    for d in deployments:
        name = d["metadata"]["name"]
        pod = d["spec"]["template"]["spec"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        grace = SHUTDOWN_GRACE_SECONDS + 5 + PRE_STOP_SECONDS
        assert pod["terminationGracePeriodSeconds"] >= grace, name
        for c in pod["containers"] + pod.get("initContainers", []):
            where = f"{name}/{c['name']}"
            image = c["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), where
            assert c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["memory"], where
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"], where
            assert sc["capabilities"]["drop"] == ["ALL"] and sc["runAsNonRoot"], where
            assert not any("value" in e for e in c.get("env", [])), f"{where}: a literal env value"
        for c in pod["containers"]:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in c, f"{name}/{c['name']} has no {probe}"
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        covering = [p for p in pdbs if p["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(covering) == 1, f"{name} has {len(covering)} PodDisruptionBudgets"
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert not any(o["kind"] == "Secret" for o in objects), "Secrets are referenced, never shipped"


def test_topics_as_the_code_expects() -> None:
    from regua_contracts.topics import ALL_TOPICS, COMPACTED_TOPICS

    topics = {
        o["spec"]["topicName"]: o["spec"] for o in rendered("optional/strimzi") if o["kind"] == "KafkaTopic"
    }
    assert set(topics) == set(ALL_TOPICS)
    for name, spec in topics.items():
        compacted = spec["config"].get("cleanup.policy") == "compact"
        assert compacted == (name in COMPACTED_TOPICS), name


def exported_metrics() -> set[str]:
    """Every sample name Régua's code registers with prometheus_client."""
    from prometheus_client import REGISTRY

    import invoice_service.metrics  # noqa: F401 - each service registers its own
    import notifier_service.metrics  # noqa: F401
    import payments_service.metrics  # noqa: F401
    import regua_platform.metrics  # noqa: F401
    import scheduler_service.metrics  # noqa: F401

    names: set[str] = set()
    for family in REGISTRY.collect():
        names |= {family.name, *(f"{family.name}{s}" for s in ("_total", "_bucket", "_sum", "_count"))}
    return names


def test_alerts_use_metrics_the_code_exports_and_link_a_runbook() -> None:
    import re

    from regua_devtools.k8s import ALERTS

    exported = exported_metrics()
    for alert in ALERTS:
        used = set(re.findall(r"\bregua_[a-z_]+", alert.expr))
        assert used and used <= exported, (alert.name, used - exported)
        runbook = ROOT / "docs" / "runbooks" / f"{alert.runbook}.md"
        text = runbook.read_text()
        assert text.startswith(f"# {alert.name}\n"), runbook
        for section in ("## What it means", "## How to check", "## How to fix"):
            assert section in text, (runbook, section)
    dead_letters = (ROOT / "docs" / "runbooks" / "dead-letters.md").read_text()
    assert "regua dlq redrive" in dead_letters
    rules = next(o for o in rendered("overlays/prod") if o["kind"] == "PrometheusRule")
    assert [r["alert"] for r in rules["spec"]["groups"][0]["rules"]] == [a.name for a in ALERTS]


def test_the_dashboard_queries_exported_metrics_and_is_provisioned_everywhere() -> None:
    import json
    import re

    from regua_devtools import dashboard

    exported = exported_metrics()
    for expr in dashboard.expressions():
        used = set(re.findall(r"\bregua_[a-z_]+", expr))
        assert used and used <= exported, (expr, used - exported)
    shipped = json.loads((ROOT / "deploy/grafana/regua.json").read_text())
    assert shipped["uid"] == dashboard.UID
    # Oracle: Grafana's own dashboard model (Foundation SDK, generated from the
    # schema of the Grafana that compose runs) reads every key back unchanged:
    # a misspelt or unknown field would be dropped, and the round trip differ.
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import Dashboard

    assert json.loads(json.dumps(Dashboard.from_json(shipped), cls=JSONEncoder)) == shipped
    misspelt = json.loads(json.dumps(shipped))
    misspelt["panels"][1]["gridpos"] = misspelt["panels"][1].pop("gridPos")
    assert json.loads(json.dumps(Dashboard.from_json(misspelt), cls=JSONEncoder)) != misspelt
    titles = {p["title"] for p in shipped["panels"]}
    # What the issue asks the dashboard to show, each a panel.
    for wanted in (
        "Requests per second",
        "5xx ratio",
        "Latency p95",
        "Consumer lag",
        "Outbox backlog",
        "Relay rate",
        "Dead letters (1 h)",
        "Timer lateness p95",
        "Messages by channel and outcome",
        "Webhook items by outcome",
        "Payments received by method",
        "Invoices overdue",
        "Recovered (24 h)",
    ):
        assert wanted in titles, wanted
    # No two panels overlap on Grafana's 24-column grid.
    cells: set[tuple[int, int]] = set()
    for p in shipped["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not mine & cells, p["title"]
        cells |= mine
    config_map = next(
        o for o in rendered("overlays/prod") if o["kind"] == "ConfigMap" and "regua.json" in o.get("data", {})
    )
    assert json.loads(config_map["data"]["regua.json"]) == shipped
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    compose_rules = yaml.safe_load((ROOT / "deploy/compose/alerts.yml").read_text())
    from regua_devtools.k8s import ALERTS

    assert [r["alert"] for r in compose_rules["groups"][0]["rules"]] == [a.name for a in ALERTS]


@cache
def crd_validator() -> Path:
    """tests/crd's validator with its pinned npm packages (``npm ci`` once)."""
    folder = ROOT / "tests" / "crd"
    if not (folder / "node_modules" / "@kubernetes-models" / "prometheus-operator").is_dir():
        subprocess.run(
            ["npm", "ci", "--silent", "--no-audit", "--no-fund"],
            cwd=folder,
            check=True,
            timeout=300,
        )
    return folder / "validate.mjs"


def validate_crd_objects(objects: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(crd_validator())],
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_monitoring_objects_validate_against_the_operator_crds(overlay: str) -> None:
    """The ServiceMonitor and PrometheusRule, against the Prometheus Operator's
    CRD schemas as published in @kubernetes-models/prometheus-operator 6.0.0
    (generated from the upstream CRDs); a broken copy of each is refused."""
    objects = [
        o for o in rendered(f"overlays/{overlay}") if o["kind"] in ("ServiceMonitor", "PrometheusRule")
    ]
    assert sorted(o["kind"] for o in objects) == ["PrometheusRule", "ServiceMonitor"]
    result = validate_crd_objects(objects)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == 2
    broken = json.loads(json.dumps(objects))
    for o in broken:
        if o["kind"] == "ServiceMonitor":
            o["spec"]["endpoints"][0]["port"] = 8000  # a port name, not a number
        else:
            del o["spec"]["groups"][0]["rules"][0]["expr"]
    refused = validate_crd_objects(broken)
    assert refused.returncode == 1 and refused.stdout.count("invalid ") == 2, refused.stdout


@cache
def strimzi_schemas() -> dict[tuple[str, str], jsonschema.Draft4Validator]:
    """(apiVersion, kind) → a validator of the CRD's schema, from the CRDs that
    Strimzi's own generator wrote from Strimzi's own API model, release 1.2.0
    (``tools/strimzi-crds.sh``, pinned in tests/crd/strimzi/pom.xml)."""
    out = {}
    for path in sorted((ROOT / "tests" / "crd" / "strimzi").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            if version["served"]:
                api_version = f"{crd['spec']['group']}/{version['name']}"
                schema = _strict(version["schema"]["openAPIV3Schema"])
                out[api_version, crd["spec"]["names"]["kind"]] = jsonschema.Draft4Validator(schema)
    return out


def _strict(schema: Any) -> Any:
    """The schema as the API server's strict field validation applies it: a
    field no ``properties`` names is refused (Kubernetes prunes it silently
    otherwise) unless the schema keeps unknown fields. CEL rules
    (``x-kubernetes-validations``) are not evaluated here."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        k: _strict(v) if k != "properties" else {n: _strict(p) for n, p in v.items()}
        for k, v in schema.items()
    }
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = bool(out.get("x-kubernetes-preserve-unknown-fields"))
    return out


def strimzi_errors(obj: dict[str, Any]) -> list[str]:
    validator = strimzi_schemas().get((obj["apiVersion"], obj["kind"]))
    if validator is None:
        return [f"no Strimzi CRD serves {obj['apiVersion']} {obj['kind']}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]


def test_the_strimzi_objects_validate_against_strimzi_crds() -> None:
    """The optional Strimzi bundle (the KRaft cluster, a user per service, a
    topic per topic) against the CRDs of Strimzi 1.2.0; a broken copy of each
    kind is refused, so the oracle bites."""
    objects = rendered("optional/strimzi")
    assert {o["kind"] for o in objects} == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}
    for obj in objects:
        assert not strimzi_errors(obj), (obj["metadata"]["name"], strimzi_errors(obj))
    first = {o["kind"]: json.loads(json.dumps(o)) for o in reversed(objects)}
    first["Kafka"]["spec"]["kafka"].pop("listeners")  # required
    first["KafkaNodePool"]["spec"]["roles"] = ["leader"]  # not a role
    first["KafkaTopic"]["spec"]["partitons"] = first["KafkaTopic"]["spec"].pop("partitions")  # misspelt
    first["KafkaUser"]["spec"]["authentication"]["type"] = "scram-sha-256"  # not offered
    for kind, broken in first.items():
        assert strimzi_errors(broken), f"a broken {kind} passed"
    old = json.loads(json.dumps(objects[-1]))
    old["apiVersion"] = "kafka.strimzi.io/v1beta2"  # no longer served by Strimzi 1.x
    assert strimzi_errors(old)


def test_the_strimzi_cluster_is_the_one_the_services_are_configured_for() -> None:
    """Cluster name, bootstrap address and port, CA Secret, SASL mechanism and
    users agree between the services' settings and the Strimzi bundle."""
    strimzi = rendered("optional/strimzi")
    (kafka,) = [o for o in strimzi if o["kind"] == "Kafka"]
    cluster = kafka["metadata"]["name"]
    assert all(o["metadata"]["labels"]["strimzi.io/cluster"] == cluster for o in strimzi if o is not kafka)
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] and listener["authentication"]["type"] == "scram-sha-512"
    users = {o["metadata"]["name"]: o["spec"] for o in strimzi if o["kind"] == "KafkaUser"}
    assert set(users) == {w.service for w in WORKLOADS}
    prefix = kafka["spec"]["entityOperator"]["userOperator"]["secretPrefix"]
    objects = rendered("overlays/prod")
    for w in WORKLOADS:
        (config,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == w.service]
        env = {k.removeprefix(w.env_prefix): v for k, v in config["data"].items()}
        assert env["KAFKA__BOOTSTRAP_SERVERS"] == f"{cluster}-kafka-bootstrap:{listener['port']}"
        assert (
            env["KAFKA__SECURITY_PROTOCOL"] == "SASL_SSL" and env["KAFKA__SASL_MECHANISM"] == "SCRAM-SHA-512"
        )
        assert users[env["KAFKA__SASL_USERNAME"]]["authentication"]["password"]["valueFrom"][
            "secretKeyRef"
        ] == {
            "name": w.service,
            "key": f"{w.env_prefix}KAFKA__SASL_PASSWORD",
        }
        assert f"{prefix}{w.service}" != w.service  # the User Operator's Secret never replaces the service's
    pods = [o["spec"]["template"]["spec"] for o in objects if o["kind"] == "Deployment"]
    assert all(
        v["secret"]["secretName"] == f"{cluster}-cluster-ca-cert"
        for pod in pods
        for v in pod["volumes"]
        if v["name"] == "kafka-ca"
    )
