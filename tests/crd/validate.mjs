// Reads a JSON array of Kubernetes objects on stdin; validates each
// ServiceMonitor and PrometheusRule against the Prometheus Operator CRD
// schemas (@kubernetes-models/prometheus-operator, generated from them).
// Prints one line per object ("ok KIND NAME" or "invalid KIND NAME: why");
// exits 1 when any is invalid, 2 on an object of another kind.
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = { ServiceMonitor, PrometheusRule };
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
let failed = 0;
for (const object of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
  const Model = models[object.kind];
  const name = `${object.kind} ${object.metadata?.name}`;
  if (!Model || object.apiVersion !== "monitoring.coreos.com/v1") {
    console.log(`unknown ${name} (${object.apiVersion})`);
    process.exit(2);
  }
  try {
    new Model(object).validate();
    console.log(`ok ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`invalid ${name}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
