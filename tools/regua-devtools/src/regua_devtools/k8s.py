"""The Kubernetes base of ``deploy/k8s``, generated from what the code says.

One table of services (their ports, the settings they need, what they reach)
and the topic catalogue of ``regua_contracts.topics`` become the base's
manifests, so a new service, setting or topic cannot be forgotten in one of
thirty hand-written files; ``regua k8s --check`` (and a test) fail when the
committed files drift. The overlays (``overlays/dev``, ``overlays/prod``) are
written by hand: they are what an SRE team edits.

Every container runs as a non-root user on a read-only root file system with
no capability; migrations run as an init container of every pod (PostgreSQL
advisory lock: the first waits, the others find nothing to do), so no pod of a
new version starts before its schema exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from regua_contracts.topics import ALL_TOPICS, COMPACTED_TOPICS, is_dlq
from regua_devtools import dashboard

PART_OF = "regua"
IMAGE_REPO = "ghcr.io/regua/regua"
IMAGE_TAG = "0.1.0"
PORT = 8000
#: uvicorn's graceful shutdown gets ``HTTP__SHUTDOWN_GRACE_SECONDS`` (20) + 5;
#: the pod gets that plus the preStop pause, plus a margin.
SHUTDOWN_GRACE_SECONDS = 20
PRE_STOP_SECONDS = 5
TERMINATION_GRACE_SECONDS = SHUTDOWN_GRACE_SECONDS + 5 + PRE_STOP_SECONDS + 5
KAFKA_PARTITIONS = 12
#: The optional Strimzi cluster (``deploy/k8s/optional/strimzi``): its name makes
#: the bootstrap Service (``<cluster>-kafka-bootstrap``) and the CA Secret
#: (``<cluster>-cluster-ca-cert``) the services' settings point at.
KAFKA_CLUSTER = "regua"
KAFKA_TLS_PORT = 9093
KAFKA_REPLICAS = 3
KAFKA_MIN_INSYNC = 2
KAFKA_RETENTION_DAYS = 7
DLQ_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Egress:
    """Where a service's pods may connect beyond Kafka, PostgreSQL and DNS."""

    ports: tuple[int, ...]
    why: str


@dataclass(frozen=True)
class Workload:
    name: str  # e.g. "invoice"
    env_prefix: str
    public: bool  # reached from outside the cluster (through the ingress controller)
    secrets: tuple[str, ...]
    egress: tuple[Egress, ...] = ()
    config: dict[str, str] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return f"{self.name}-service"


#: Keys of every service's Secret (``<service>``), prefixed like its settings.
COMMON_SECRETS = ("DATABASE__URL", "AUTH__JWKS_URL", "KAFKA__SASL_PASSWORD", "TELEMETRY__METRICS_TOKEN")

WORKLOADS: tuple[Workload, ...] = (
    Workload("invoice", "REGUA_INVOICE_", public=True, secrets=COMMON_SECRETS),
    Workload("scheduler", "REGUA_SCHEDULER_", public=True, secrets=COMMON_SECRETS),
    Workload(
        "notifier",
        "REGUA_NOTIFIER_",
        public=True,
        secrets=(
            "DATABASE__URL",
            "AUTH__JWKS_URL",
            "PORTAL_KEYS",
            "SMTP__PASSWORD",
            "SMS__TOKEN",
            "WHATSAPP__TOKEN",
        ),
        egress=(Egress((587, 465, 443), "SMTP submission and the SMS/WhatsApp providers' HTTPS APIs"),),
    ),
    Workload(
        "negotiation",
        "REGUA_NEGOTIATION_",
        public=True,
        secrets=(*COMMON_SECRETS, "PORTAL_KEYS"),
        config={"PORTAL_HTTPS": "true"},
    ),
    Workload(
        "payments",
        "REGUA_PAYMENTS_",
        public=True,
        secrets=(*COMMON_SECRETS, "ENCRYPTION_KEYS"),
        egress=(Egress((443,), "the tenants' PSPs and banks (HTTPS, mTLS)"),),
    ),
)


def _labels(w: Workload, role: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": w.service,
        "app.kubernetes.io/component": role,
        "app.kubernetes.io/part-of": PART_OF,
    }


def _security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container(w: Workload, role: str, resources: dict[str, Any]) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": "http"}}
    return {
        "name": role,
        "image": f"{IMAGE_REPO}:{IMAGE_TAG}",
        "command": [w.service],  # the service's console script; the image holds all five
        "args": [role],
        "ports": [{"name": "http", "containerPort": PORT}],
        "envFrom": [{"configMapRef": {"name": f"{w.service}"}}, {"secretRef": {"name": f"{w.service}"}}],
        "startupProbe": {**probe, "periodSeconds": 2, "failureThreshold": 60},
        "livenessProbe": {**probe, "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3},
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "http"},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 2,
        },
        # Let the endpoints controller take the pod out of the Service before
        # uvicorn stops accepting (it then drains for HTTP__SHUTDOWN_GRACE_SECONDS).
        "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SECONDS}}},
        "resources": resources,
        "securityContext": _security_context(),
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - the pod's own emptyDir, the only writable path
            {"name": "kafka-ca", "mountPath": "/etc/regua/kafka-ca", "readOnly": True},
        ],
    }


def _deployment(w: Workload, role: str) -> dict[str, Any]:
    labels = _labels(w, role)
    resources = {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"memory": "512Mi"},
    }
    migrate = _container(
        w, "migrate", {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
    )
    for key in ("ports", "startupProbe", "livenessProbe", "readinessProbe", "lifecycle"):
        migrate.pop(key)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"{w.service}-{role}", "labels": labels},
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": w.service,
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                    },
                    "initContainers": [migrate],
                    "containers": [_container(w, role, resources)],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        # The CA that signed the brokers' certificates (Strimzi: <cluster>-cluster-ca-cert).
                        {
                            "name": "kafka-ca",
                            "secret": {
                                "secretName": f"{KAFKA_CLUSTER}-cluster-ca-cert",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            },
                        },
                    ],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": key,
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": labels},
                        }
                        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                    ],
                },
            },
        },
    }


def _service(w: Workload, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"{w.service}-{role}", "labels": _labels(w, role)},
        "spec": {
            "selector": _labels(w, role),
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def _pdb(w: Workload, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": f"{w.service}-{role}", "labels": _labels(w, role)},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": _labels(w, role)}},
    }


def _hpa(w: Workload, role: str) -> dict[str, Any]:
    if role == "api":
        metric: dict[str, Any] = {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
        }
    else:
        # Consumer lag from Prometheus through prometheus-adapter (an external
        # metric): docs/runbooks/consumer-lag.md says how to expose it.
        metric = {
            "type": "External",
            "external": {
                "metric": {
                    "name": "regua_consumer_lag",
                    "selector": {"matchLabels": {"service": w.service}},
                },
                "target": {"type": "AverageValue", "averageValue": "1000"},
            },
        }
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": f"{w.service}-{role}", "labels": _labels(w, role)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{w.service}-{role}"},
            "minReplicas": 2,
            "maxReplicas": 10 if role == "api" else KAFKA_PARTITIONS,
            "metrics": [metric],
        },
    }


def _network_policy(w: Workload) -> dict[str, Any]:
    selector = {"matchLabels": {"app.kubernetes.io/name": w.service}}
    ingress: list[dict[str, Any]] = [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
            "ports": [{"port": PORT}],
        }
    ]
    if w.public:
        ingress.append(
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
                ],
                "ports": [{"port": PORT}],
            }
        )
    egress: list[dict[str, Any]] = [
        {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
        {"ports": [{"port": 5432}]},
        {"ports": [{"port": 9092}, {"port": 9093}]},
        {"ports": [{"port": 4318}]},  # OTLP/HTTP to the collector
    ]
    for rule in w.egress:
        egress.append({"ports": [{"port": p} for p in rule.ports]})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": w.service, "labels": _labels(w, "network")},
        "spec": {
            "podSelector": selector,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


def _config(w: Workload) -> dict[str, Any]:
    p = w.env_prefix
    data = {
        f"{p}KAFKA__BOOTSTRAP_SERVERS": f"{KAFKA_CLUSTER}-kafka-bootstrap:{KAFKA_TLS_PORT}",
        f"{p}KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        f"{p}KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        f"{p}KAFKA__SASL_USERNAME": w.service,
        f"{p}KAFKA__SSL_CAFILE": "/etc/regua/kafka-ca/ca.crt",
        f"{p}HTTP__PORT": str(PORT),
        f"{p}HTTP__SHUTDOWN_GRACE_SECONDS": str(SHUTDOWN_GRACE_SECONDS),
        f"{p}HTTP__TRUSTED_PROXIES": '["10.0.0.0/8"]',
        f"{p}TELEMETRY__OTLP_ENDPOINT": "http://otel-collector.monitoring:4318/v1/traces",
        **{f"{p}{k}": v for k, v in w.config.items()},
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": w.service, "labels": _labels(w, "config")},
        "data": dict(sorted(data.items())),
    }


def _service_account(w: Workload) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": w.service, "labels": _labels(w, "identity")},
        "automountServiceAccountToken": False,
    }


def _default_deny() -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "labels": {"app.kubernetes.io/part-of": PART_OF}},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def _service_monitor() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "regua", "labels": {"app.kubernetes.io/part-of": PART_OF}},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/part-of": PART_OF}},
            "endpoints": [
                {
                    "port": "http",
                    "path": "/metrics",
                    "interval": "30s",
                    "bearerTokenSecret": {"name": "regua-metrics", "key": "token"},
                }
            ],
        },
    }


RUNBOOKS = "https://github.com/regua/regua/blob/main/docs/runbooks"


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    wait: str  # the rule's ``for``
    severity: str
    summary: str
    runbook: str  # docs/runbooks/<runbook>.md


ALERTS: tuple[Alert, ...] = (
    Alert(
        "ReguaDeadLetters",
        "sum by (service, topic) (increase(regua_dlq_messages_total[15m])) > 0",
        "0m",
        "warning",
        "{{ $labels.service }} sent events of {{ $labels.topic }} to its dead-letter topic",
        "dead-letters",
    ),
    Alert(
        "ReguaOutboxBacklog",
        "max by (service) (regua_outbox_backlog) > 1000",
        "10m",
        "critical",
        "{{ $labels.service }} has had over 1,000 unpublished events for 10 minutes",
        "outbox-backlog",
    ),
    Alert(
        "ReguaConsumerLag",
        "sum by (service, topic) (regua_consumer_lag) > 10000",
        "15m",
        "warning",
        "{{ $labels.service }} is over 10,000 records behind on {{ $labels.topic }}",
        "consumer-lag",
    ),
    Alert(
        "ReguaEventsLate",
        "histogram_quantile(0.95, sum by (le, service, topic)"
        " (rate(regua_event_age_seconds_bucket[10m]))) > 60",
        "10m",
        "warning",
        "{{ $labels.service }} handles {{ $labels.topic }} events over a minute after they were published",
        "events-late",
    ),
    Alert(
        "ReguaTimerLate",
        "histogram_quantile(0.95, sum by (le) (rate(regua_timer_lateness_seconds_bucket[10m]))) > 60",
        "10m",
        "warning",
        "The scheduler fires dunning steps over a minute after their time",
        "timer-late",
    ),
    Alert(
        "ReguaProviderErrors",
        'sum by (channel) (rate(regua_messages_total{outcome="provider_error"}[10m]))'
        ' / sum by (channel) (rate(regua_messages_total{outcome=~"sent|provider_error"}[10m])) > 0.1'
        ' or sum by (gateway) (rate(regua_gateway_calls_total{outcome="error"}[10m]))'
        " / sum by (gateway) (rate(regua_gateway_calls_total[10m])) > 0.1",
        "10m",
        "warning",
        "Over 10% of calls to a message provider or payment gateway fail",
        "provider-errors",
    ),
    Alert(
        "ReguaWorkerStalled",
        "sum by (service, worker) (rate(regua_worker_passes_total[10m])) == 0",
        "10m",
        "critical",
        "The {{ $labels.worker }} loop of {{ $labels.service }} has not turned for 10 minutes",
        "worker-stalled",
    ),
    Alert(
        "ReguaWebhookSignatureFailures",
        'sum(rate(regua_webhooks_refused_total{reason=~"signature_.*"}[5m])) > 1',
        "5m",
        "warning",
        "payments-service refuses over one webhook a second for its signature",
        "webhook-signatures",
    ),
    Alert(
        "ReguaHttpErrors",
        'sum by (service) (rate(regua_http_requests_total{status=~"5.."}[5m]))'
        " / sum by (service) (rate(regua_http_requests_total[5m])) > 0.02",
        "10m",
        "critical",
        "Over 2% of {{ $labels.service }}'s HTTP answers are 5xx",
        "http-errors",
    ),
)


def _prometheus_rule() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "regua", "labels": {"app.kubernetes.io/part-of": PART_OF}},
        "spec": {
            "groups": [
                {
                    "name": "regua",
                    "rules": [
                        {
                            "alert": a.name,
                            "expr": a.expr,
                            "for": a.wait,
                            "labels": {"severity": a.severity},
                            "annotations": {
                                "summary": a.summary,
                                "runbook_url": f"{RUNBOOKS}/{a.runbook}.md",
                            },
                        }
                        for a in ALERTS
                    ],
                }
            ]
        },
    }


def _grafana_dashboard() -> dict[str, Any]:
    """The dashboard as a ConfigMap Grafana's dashboard sidecar loads (label ``grafana_dashboard``)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "regua-grafana-dashboard", "labels": {"grafana_dashboard": "1"}},
        "data": {"regua.json": dashboard.render()},
    }


def prometheus_rule_file() -> str:
    """The same alerts as a plain Prometheus rule file (docker-compose.yml's Prometheus)."""
    groups = {"groups": _prometheus_rule()["spec"]["groups"]}
    return (
        "# Generated by `regua k8s` (the PrometheusRule's alerts, for plain Prometheus).\n"
        + yaml.safe_dump(groups, sort_keys=False, width=110)
    )


STRIMZI_API = "kafka.strimzi.io/v1"
_CLUSTER_LABEL = {"strimzi.io/cluster": KAFKA_CLUSTER}


def strimzi_cluster() -> list[dict[str, Any]]:
    """A KRaft Kafka cluster for Strimzi: one node pool of three nodes, each
    controller and broker, and the TLS listener with SCRAM-SHA-512 the
    services' settings expect. Replication matches what the topics ask for, so
    an acknowledged write survives the loss of one node."""
    node_pool = {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaNodePool",
        "metadata": {"name": "dual-role", "labels": _CLUSTER_LABEL},
        "spec": {
            "replicas": KAFKA_REPLICAS,
            "roles": ["controller", "broker"],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": "100Gi",
                        "deleteClaim": False,
                        "kraftMetadata": "shared",
                    }
                ],
            },
            "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
        },
    }
    kafka = {
        "apiVersion": STRIMZI_API,
        "kind": "Kafka",
        "metadata": {"name": KAFKA_CLUSTER},
        "spec": {
            "kafka": {
                "listeners": [
                    {
                        "name": "tls",
                        "port": KAFKA_TLS_PORT,
                        "type": "internal",
                        "tls": True,
                        "authentication": {"type": "scram-sha-512"},
                    }
                ],
                "config": {
                    "auto.create.topics.enable": False,
                    "default.replication.factor": KAFKA_REPLICAS,
                    "min.insync.replicas": KAFKA_MIN_INSYNC,
                    "offsets.topic.replication.factor": KAFKA_REPLICAS,
                    "transaction.state.log.replication.factor": KAFKA_REPLICAS,
                    "transaction.state.log.min.isr": KAFKA_MIN_INSYNC,
                },
            },
            "entityOperator": {
                "topicOperator": {},
                # The User Operator writes each user's Secret; the prefix keeps it
                # clear of the service's own Secret, which has the same name.
                "userOperator": {"secretPrefix": "kafka-user-"},
            },
        },
    }
    return [node_pool, kafka]


def strimzi_users() -> list[dict[str, Any]]:
    """A SCRAM-SHA-512 ``KafkaUser`` per service, named as its SASL username,
    with the password the service already reads from its own Secret."""
    return [
        {
            "apiVersion": STRIMZI_API,
            "kind": "KafkaUser",
            "metadata": {"name": w.service, "labels": _CLUSTER_LABEL},
            "spec": {
                "authentication": {
                    "type": "scram-sha-512",
                    "password": {
                        "valueFrom": {
                            "secretKeyRef": {"name": w.service, "key": f"{w.env_prefix}KAFKA__SASL_PASSWORD"}
                        }
                    },
                }
            },
        }
        for w in WORKLOADS
    ]


def strimzi_topics() -> list[dict[str, Any]]:
    """A Strimzi ``KafkaTopic`` per topic the code uses, with its partitions,
    retention and compaction."""
    out = []
    for topic in ALL_TOPICS:
        compacted = topic in COMPACTED_TOPICS
        days = DLQ_RETENTION_DAYS if is_dlq(topic) else KAFKA_RETENTION_DAYS
        config: dict[str, Any] = (
            {"cleanup.policy": "compact"} if compacted else {"retention.ms": days * 86_400_000}
        )
        config["min.insync.replicas"] = KAFKA_MIN_INSYNC
        out.append(
            {
                "apiVersion": STRIMZI_API,
                "kind": "KafkaTopic",
                "metadata": {"name": topic.replace(".", "-"), "labels": _CLUSTER_LABEL},
                "spec": {
                    "topicName": topic,
                    "partitions": 1 if compacted else KAFKA_PARTITIONS,
                    "replicas": KAFKA_REPLICAS,
                    "config": config,
                },
            }
        )
    return out


def _dump(objects: list[dict[str, Any]]) -> str:
    return "".join("---\n" + yaml.safe_dump(o, sort_keys=False, width=110) for o in objects)


HEADER = (
    "# Generated by `regua k8s` from tools/regua-devtools/src/regua_devtools/k8s.py: edit that, not this.\n"
)


def base_files() -> dict[str, str]:
    """``deploy/k8s/base`` file name → content."""
    files: dict[str, str] = {}
    resources = ["common.yaml"]
    files["common.yaml"] = HEADER + _dump(
        [_default_deny(), _service_monitor(), _prometheus_rule(), _grafana_dashboard()]
    )
    for w in WORKLOADS:
        objects = [_service_account(w), _config(w), _network_policy(w)]
        for role in ("api", "worker"):
            objects += [_deployment(w, role), _service(w, role), _pdb(w, role), _hpa(w, role)]
        files[f"{w.service}.yaml"] = HEADER + _dump(objects)
        resources.append(f"{w.service}.yaml")
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "labels": [{"pairs": {"app.kubernetes.io/part-of": PART_OF}, "includeSelectors": False}],
        "resources": resources,
    }
    files["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return files


def optional_files() -> dict[str, str]:
    """``deploy/k8s/optional/strimzi`` file name → content."""
    parts = {"kafka.yaml": strimzi_cluster(), "users.yaml": strimzi_users(), "topics.yaml": strimzi_topics()}
    files = {name: HEADER + _dump(objects) for name, objects in parts.items()}
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": list(parts),
    }
    files["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return files


def generated(root: Path) -> dict[Path, str]:
    """Every generated file under ``root`` (the repository), with its content."""
    out = {root / "deploy/k8s/base" / name: body for name, body in base_files().items()}
    out |= {root / "deploy/k8s/optional/strimzi" / name: body for name, body in optional_files().items()}
    out[root / "deploy/grafana/regua.json"] = dashboard.render()
    out[root / "deploy/compose/alerts.yml"] = prometheus_rule_file()
    return out
