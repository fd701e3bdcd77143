// The Broker and Triggers the embedded broker's tests route by: type test.a to `alpha`, everything to
// `sink`. Knative's own YAML, as the runtime reads it.

/** `delivery`: the Broker's spec.delivery as flow YAML, e.g. `{ retry: 2, backoffDelay: PT0.05S }`. */
export function testRoutesYaml(delivery?: string): string {
  return `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
${delivery ? `spec:\n  delivery: ${delivery}\n` : ''}---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: a-to-alpha }
spec:
  broker: default
  filter: { attributes: { type: test.a } }
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: alpha } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: all-to-sink }
spec:
  broker: default
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: sink } }
`;
}
