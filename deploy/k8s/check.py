"""Checks what the Kubernetes schemas cannot: the shape Braid's manifests promise.

Reads the output of `kubectl kustomize` for the base and the production overlay (the files
named on the command line) and fails, naming the resource, when a Deployment lacks its probes
or resource requests, a Deployment of a service lacks its PodDisruptionBudget, the autoscalers
do not target what README says, a KEDA trigger names a consumer group the code does not have,
or a subgraph can be reached without a NetworkPolicy letting it.
"""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = "\n".join(p.read_text() for p in (ROOT / "subgraphs").rglob("*.rs"))


def fail(message):
    print(f"deploy/k8s: {message}", file=sys.stderr)
    sys.exit(1)


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).get("matchLabels", {}).items())


def check(path, production):
    docs = [d for d in yaml.safe_load_all(pathlib.Path(path).read_text()) if d]
    kinds = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d)
    deployments = {d["metadata"]["name"]: d for d in kinds.get("Deployment", [])}
    expected = {"gateway", "catalog", "documents", "orders", "permissions", "payment-provider"}
    if set(deployments) != expected:
        fail(f"{path}: Deployments {sorted(deployments)}, expected {sorted(expected)}")
    for name, d in deployments.items():
        pod = d["spec"]["template"]
        (c,) = pod["spec"]["containers"]
        provider = name == "payment-provider"
        ready = "/health" if provider else "/ready"
        for probe, want in (("readinessProbe", ready), ("livenessProbe", "/health")):
            get = c.get(probe, {}).get("httpGet", {})
            if get.get("path") != want:
                fail(f"{path}: {name} {probe} is {get.get('path')}, expected {want}")
            # Probes present no client certificate: the admin port (plain, probes and metrics
            # only), or the payment provider's own port, HTTPS in production.
            want_port, want_scheme = ("http", "HTTPS" if production else "HTTP") if provider else ("admin", "HTTP")
            if (get.get("port"), get.get("scheme", "HTTP")) != (want_port, want_scheme):
                fail(f"{path}: {name} {probe} probes {get.get('scheme', 'HTTP')} on {get.get('port')}")
        requests = c.get("resources", {}).get("requests", {})
        if not {"cpu", "memory"} <= set(requests):
            fail(f"{path}: {name} has no cpu and memory requests")
        env = {e["name"] for e in c.get("env", [])}
        if production and not {"BRAID_SERVER__TLS__CERT_PATH", "BRAID_CLIENT_TLS__CA_PATH"} <= env:
            fail(f"{path}: {name} does not serve and call over TLS in production")
        subgraph = name in ("catalog", "documents", "orders", "permissions")
        if production and subgraph and "BRAID_SERVER__TLS__CLIENT_CA_PATH" not in env:
            fail(f"{path}: {name} does not ask its callers for certificates (mutual TLS) in production")
        if name not in ("gateway", "payment-provider") and "BRAID_DATABASE__URL" not in env:
            fail(f"{path}: {name} has no database URL from its Secret")
        labels = pod["metadata"]["labels"]
        if name != "payment-provider" and not any(selects(p["spec"]["selector"], labels) for p in kinds["PodDisruptionBudget"]):
            fail(f"{path}: {name} has no PodDisruptionBudget")
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in kinds.get("HorizontalPodAutoscaler", [])}
    if hpas != {"gateway", "catalog"}:
        fail(f"{path}: HPAs target {sorted(hpas)}, expected gateway and catalog")
    (scaled,) = kinds["ScaledObject"]
    if scaled["spec"]["scaleTargetRef"]["name"] != "orders":
        fail(f"{path}: the ScaledObject does not scale orders")
    for trigger in scaled["spec"]["triggers"]:
        if trigger["type"] == "kafka":
            group = trigger["metadata"]["consumerGroup"]
            if f'"{group}"' not in SOURCES:
                fail(f"{path}: KEDA watches consumer group {group}, which no consumer of subgraphs/ has")
    if not any(t["type"] == "kafka" for t in scaled["spec"]["triggers"]):
        fail(f"{path}: the ScaledObject has no Kafka lag trigger")
    policies = kinds.get("NetworkPolicy", [])
    if not any(p["spec"]["podSelector"].get("matchLabels", {}).keys() <= {"app.kubernetes.io/part-of"}
               and "ingress" not in p["spec"] for p in policies):
        fail(f"{path}: no default-deny ingress policy")
    for name in ("catalog", "documents", "orders", "permissions"):
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        sources = [
            f["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
            for p in policies if selects(p["spec"]["podSelector"], labels) and p["spec"]["podSelector"].get("matchLabels")
            for rule in p["spec"].get("ingress", []) for f in rule.get("from", []) if "podSelector" in f
        ]
        if "gateway" not in sources:
            fail(f"{path}: the gateway may not reach {name}")
    configs = [c for c in kinds["ConfigMap"] if c["metadata"]["name"].startswith("braid-config")]
    if not configs or set(configs[0]["data"]) != {f"{s}.toml" for s in ("gateway", "catalog", "documents", "orders", "permissions")}:
        fail(f"{path}: the braid-config ConfigMap does not hold every service's config")
    print(f"deploy/k8s: {path}: {len(docs)} resources as promised")


if __name__ == "__main__":
    base, production = sys.argv[1:3]
    check(base, production=False)
    check(production, production=True)
