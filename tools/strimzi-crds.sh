#!/usr/bin/env bash
# Regenerates tests/crd/strimzi/*.yaml, the CRDs tests/test_k8s.py validates
# deploy/k8s/optional/strimzi against: Strimzi's own CRD generator run on
# Strimzi's own API model (both pinned in tests/crd/strimzi/pom.xml, from Maven
# Central), as Strimzi's build makes the CRDs it releases. Strimzi 1.x is built
# for Java 21: set JAVA_HOME to one (this machine has Temurin 25) when the
# default java is older. Run it after changing the pinned version.
set -euo pipefail
cd "$(dirname "$0")/../tests/crd/strimzi"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! "$java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
  for home in /usr/lib/jvm/*; do
    if "$home/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then java="$home/bin/java"; break; fi
  done
fi
"$java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])' || {
  echo "strimzi-crds: Strimzi's CRD generator needs Java 21 or newer; set JAVA_HOME to one" >&2
  exit 1
}
classpath=$(mktemp)
trap 'rm -f "$classpath"' EXIT
mvn -q -B dependency:build-classpath -Dmdep.outputFile="$classpath"
model=io.strimzi.api.kafka.model
"$java" -cp "$(cat "$classpath")" io.strimzi.crdgenerator.CrdGenerator \
  --yaml --crd-api-version v1 --api-versions v1 --storage-version v1 \
  "$model.kafka.Kafka=./kafka.yaml" \
  "$model.nodepool.KafkaNodePool=./kafkanodepool.yaml" \
  "$model.topic.KafkaTopic=./kafkatopic.yaml" \
  "$model.user.KafkaUser=./kafkauser.yaml"
echo "wrote $(ls ./*.yaml | wc -l) Strimzi CRDs to tests/crd/strimzi"
