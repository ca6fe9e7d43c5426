"""The official apache/kafka image's env convention: every KAFKA_* variable
(bar the JVM ones) is a broker property, lower-cased, '___' -> '-', '__' -> '_',
'_' -> '.'. Prints server.properties; none given -> a single-node KRaft default."""

import os
import sys

JVM = {"KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_JMX_OPTS"}
DEFAULTS = {
    "node.id": "1",
    "process.roles": "broker,controller",
    "listeners": "PLAINTEXT://:9092,CONTROLLER://:9093",
    "advertised.listeners": "PLAINTEXT://localhost:9092",
    "controller.listener.names": "CONTROLLER",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "controller.quorum.voters": "1@localhost:9093",
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
}


def name(var: str) -> str:
    rest = var.removeprefix("KAFKA_").lower()
    return (
        rest.replace("___", "\0").replace("__", "\1").replace("_", ".").replace("\0", "-").replace("\1", "_")
    )


given = {name(k): v for k, v in os.environ.items() if k.startswith("KAFKA_") and k not in JVM}
props = given or DEFAULTS
props.setdefault("log.dirs", "/var/lib/kafka/data")
sys.stdout.write("".join(f"{k}={v}\n" for k, v in sorted(props.items())))
