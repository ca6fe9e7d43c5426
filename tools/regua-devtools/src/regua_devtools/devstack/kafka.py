"""A single-node Apache Kafka broker (KRaft, combined broker + controller) run
from the Maven Central jars with the machine's Java; no Docker, no tarball."""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from regua_devtools.devstack import paths
from regua_devtools.devstack.process import (
    log_tail,
    pidfile_alive,
    port_open,
    run_coroutine_blocking,
    spawn,
    stop_pidfile,
    wait_port_closed,
)

KAFKA_VERSION = "4.1.1"
SCALA_VERSION = "2.13"
#: kafka_2.13's pom brings slf4j-api but no binding (the release tarball adds
#: one): without it the broker logs nothing at all, start-up errors included.
LOG4J_VERSION = "2.24.3"
DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093
START_TIMEOUT = 90.0

_POM = f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>br.regua.dev</groupId>
  <artifactId>kafka-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{SCALA_VERSION}</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"""

# Kafka 4 logs through log4j2; the properties format needs no extra jar (YAML
# would need jackson-dataformat-yaml). One file, WARN except start-up notices.
_LOG4J2 = """status = warn
name = regua-dev-kafka
# Kafka's own shutdown hook logs after log4j's would have closed the file.
shutdownHook = disable
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = INFO
"""


@dataclass(frozen=True)
class KafkaLayout:
    """Files of our broker for one repository checkout."""

    home: Path  # <repo>/.local/kafka
    data: Path
    config: Path
    log4j: Path
    pidfile: Path
    log: Path  # stdout/stderr of the JVM
    server_log: Path  # log4j output

    @classmethod
    def for_repo(cls, root: Path | None = None) -> KafkaLayout:
        home = paths.local_dir(root) / "kafka"
        return cls(
            home=home,
            data=home / "data",
            config=home / "server.properties",
            log4j=home / "log4j2.properties",
            pidfile=paths.run_dir(root) / "kafka.pid",
            log=paths.logs_dir(root) / "kafka.log",
            server_log=paths.logs_dir(root) / "kafka-server.log",
        )


def libs_dir() -> Path:
    return paths.cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"


def ensure_jars() -> Path:
    """Resolve the broker's runtime jars from Maven Central into the cache once
    (``mvn dependency:copy-dependencies``); returns the libs folder."""
    libs = libs_dir()
    base = libs.parent
    marker = base / "COMPLETE"
    expected = _POM
    if marker.is_file() and marker.read_text() == expected and libs.is_dir():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("`mvn` is needed once to fetch the Kafka jars: apt-get install maven")
    base.mkdir(parents=True, exist_ok=True)
    (base / "pom.xml").write_text(_POM)
    if libs.exists():
        shutil.rmtree(libs)  # a half-finished copy from an interrupted run
    result = subprocess.run(  # noqa: S603
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(base / "pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        cwd=base,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        output = result.stdout[-4000:] + result.stderr[-4000:]
        raise RuntimeError(f"mvn could not fetch Kafka {KAFKA_VERSION}:\n{output}")
    # The marker holds the pom, so a changed pin resolves again.
    marker.write_text(expected)
    return libs


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Kafka needs Java 17+: apt-get install openjdk-17-jre-headless")
    return java


def _server_properties(layout: KafkaLayout, port: int, controller_port: int) -> str:
    return f"""# Written by regua_devtools.devstack.kafka: single-node dev broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={layout.data}
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.segment.bytes=16777216
log.retention.hours=24
log.retention.bytes=268435456
log.retention.check.interval.ms=60000
log.cleaner.dedupe.buffer.size=8388608
"""


def _cluster_id() -> str:
    # Kafka's Uuid.randomUuid(): url-safe base64 of 16 random bytes, never
    # starting with '-' (it would read as a command-line flag).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


def _format_storage(layout: KafkaLayout, libs: Path) -> None:
    if (layout.data / "meta.properties").is_file():
        return
    layout.data.mkdir(parents=True, exist_ok=True)
    id_file = layout.home / "cluster.id"
    if not id_file.is_file():
        id_file.write_text(_cluster_id() + "\n")
    cluster_id = id_file.read_text().strip()
    result = subprocess.run(  # noqa: S603
        [
            _java(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            f"{libs}/*",
            f"-Dlog4j2.configurationFile={layout.log4j}",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(layout.config),
            "--ignore-formatted",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kafka storage format failed:\n{result.stdout}{result.stderr}")


def is_running(root: Path | None = None, port: int = DEFAULT_PORT) -> bool:
    """Our broker runs (live pidfile) and accepts connections."""
    layout = KafkaLayout.for_repo(root)
    return pidfile_alive(layout.pidfile) is not None and port_open(port)


def start(
    *,
    port: int = DEFAULT_PORT,
    controller_port: int = DEFAULT_CONTROLLER_PORT,
    root: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> str:
    """Start our broker in the background and wait until it answers metadata
    requests; returns its bootstrap address."""
    layout = KafkaLayout.for_repo(root)
    bootstrap = f"127.0.0.1:{port}"
    for busy in (port, controller_port):
        if port_open(busy):
            raise RuntimeError(
                f"port {busy} is taken by a process that is not our broker; stop it, "
                "pass other ports, or set KAFKA_BOOTSTRAP_SERVERS to use an existing broker"
            )
    libs = ensure_jars()
    layout.home.mkdir(parents=True, exist_ok=True)
    layout.config.write_text(_server_properties(layout, port, controller_port))
    layout.log4j.write_text(_LOG4J2.format(log_file=layout.server_log))
    _format_storage(layout, libs)
    spawn(
        [
            _java(),
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-Djava.awt.headless=true",
            "-cp",
            f"{libs}/*",
            f"-Dlog4j2.configurationFile={layout.log4j}",
            "kafka.Kafka",
            str(layout.config),
        ],
        log_path=layout.log,
        pidfile=layout.pidfile,
        cwd=layout.home,
    )
    try:
        wait_ready(bootstrap, timeout=timeout, pidfile=layout.pidfile)
    except BaseException:
        stop(root, port=port)
        raise
    return bootstrap


def wait_ready(bootstrap: str, *, timeout: float = START_TIMEOUT, pidfile: Path | None = None) -> None:
    """Block until the broker at ``bootstrap`` lists at least one live broker."""
    host, _, port_text = bootstrap.split(",")[0].rpartition(":")
    port = int(port_text)
    deadline = time.monotonic() + timeout
    while not port_open(port, host or "127.0.0.1"):
        if pidfile is not None and pidfile_alive(pidfile) is None:
            log = pidfile.parent.parent / "logs" / "kafka.log"
            raise RuntimeError(f"Kafka exited during start-up:\n{log_tail(log)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"Kafka did not open {bootstrap} within {timeout:.0f}s")
        time.sleep(0.2)
    remaining = max(deadline - time.monotonic(), 5.0)
    run_coroutine_blocking(_wait_metadata(bootstrap, remaining))


async def _wait_metadata(bootstrap: str, seconds: float) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            if cluster.get("brokers"):
                return
        except Exception as exc:  # the broker is still starting: retry until the deadline
            last_error = exc
        finally:
            await admin.close()
        await asyncio.sleep(0.3)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer metadata in time: {last_error!r}")


def stop(root: Path | None = None, *, port: int = DEFAULT_PORT, timeout: float = 30.0) -> bool:
    """SIGTERM our broker (a clean controlled shutdown), SIGKILL after
    ``timeout``; True when it was running."""
    layout = KafkaLayout.for_repo(root)
    was_running = stop_pidfile(layout.pidfile, timeout=timeout)
    if was_running:
        wait_port_closed(port, timeout=5.0)
    return was_running
