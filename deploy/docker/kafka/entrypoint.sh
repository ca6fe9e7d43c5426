#!/bin/bash
# Stand-in for apache/kafka's launcher: env -> server.properties, format the
# storage once with CLUSTER_ID, then run the broker in the foreground.
set -euo pipefail
cd /opt/kafka
python3 bin/env_to_properties.py > config/server.properties
cat > config/log4j2.properties <<'LOG'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
LOG
java_opts=(-cp "/opt/kafka/libs/*" -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties)
java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${java_opts[@]}" kafka.tools.StorageTool format \
  -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c config/server.properties --ignore-formatted
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true ${KAFKA_OPTS:-} \
  "${java_opts[@]}" kafka.Kafka config/server.properties
