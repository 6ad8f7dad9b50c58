#!/usr/bin/env python3
"""Checks that deploy/k8s matches the binaries and the image it runs.

usage: check_manifests.py SOURCE_DIR BIN_DIR

Renders deploy/k8s the way kustomize does for the features its
kustomization.yaml uses (resources, and images/namespace if added; any other
field is refused rather than ignored), then for every container that runs an
SFS binary:
  - the image is the one `make image` builds (scripts/build-image.sh
    --print-ref);
  - its arguments parse: the binary runs them with --check_flags, after
    $(VAR) references are filled in as Kubernetes would;
  - every declared port is one a flag makes the binary listen on;
  - httpGet probes name a declared port that serves HTTP and a path the
    binary serves there; grpc probes the gRPC port; tcpSocket probes a
    declared port.
Every SFS binary must speak mutual TLS on the cluster plane: --tls_dir names
a read-only mount of a Secret, --insecure is absent, and no gRPC probe
(which presents no certificate) targets its port.
It also checks that --check_flags refuses an unknown flag, so that passing
arguments mean something, and that NetworkPolicies close every SFS pod by
default and open each one only on ports its containers declare, from pods
that exist. Prints one line per problem and "N passed, N
failed" at the end; exits 1 on any problem.
"""
import os
import re
import subprocess
import sys

import yaml

SOURCE, BIN = sys.argv[1], sys.argv[2]
K8S = os.path.join(SOURCE, "deploy", "k8s")

# The flags that make each binary listen, and what it serves there.
HEALTH_PATHS = {"/healthz", "/readyz", "/metrics"}
SERVES = {
    "sfs-master": {"listen": "grpc", "ops_listen": HEALTH_PATHS},
    "sfs-chunkserver": {"listen": "grpc", "ops_listen": HEALTH_PATHS},
    "sfs-frontend": {"addr": HEALTH_PATHS | {"/", "/storage/status"}},
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
RENDERED_FIELDS = {"apiVersion", "kind", "resources", "images", "namespace"}

problems = []
checks = 0


def check(ok, message):
    global checks
    checks += 1
    if not ok:
        problems.append(message)
    return ok


def render():
    with open(os.path.join(K8S, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    unknown = set(kustomization) - RENDERED_FIELDS
    if unknown:
        sys.exit(f"kustomization.yaml uses {sorted(unknown)}, which this "
                 "check does not render: extend it")
    docs = []
    for resource in kustomization.get("resources", []):
        with open(os.path.join(K8S, resource)) as f:
            docs += [d for d in yaml.safe_load_all(f) if d]
    images = {i["name"]: i for i in kustomization.get("images", [])}
    for doc in docs:
        if "namespace" in kustomization and doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = kustomization["namespace"]
        for c in containers(doc):
            name, _, tag = c["image"].partition(":")
            if name in images:
                new = images[name]
                c["image"] = (new.get("newName", name) + ":" +
                              new.get("newTag", tag or "latest"))
    return docs, images


def containers(doc):
    if doc.get("kind") not in WORKLOADS:
        return []
    spec = doc["spec"]["template"]["spec"]
    return spec.get("containers", []) + spec.get("initContainers", [])


def expand(arg, env):
    # $(VAR) as Kubernetes expands it: a declared variable's value (here a
    # placeholder of the right kind), left as is otherwise.
    return re.sub(r"\$\((\w+)\)",
                  lambda m: "placeholder" if m.group(1) in env else m.group(0),
                  arg)


def flag_values(args):
    values = {}
    for arg in args:
        m = re.match(r"^--?([\w-]+)=(.*)$", arg)
        if m:
            values[m.group(1).replace("-", "_")] = m.group(2)
    return values


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def check_cluster_tls(where, c, pod, flags):
    check("insecure" not in flags and "--insecure" not in c.get("args", []),
          f"{where}: serves the cluster plane with --insecure")
    tls_dir = flags.get("tls_dir", "")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mount = mounts.get(tls_dir)
    if not check(mount is not None,
                 f"{where}: --tls_dir={tls_dir!r} is not a mounted volume"):
        return
    check(mount.get("readOnly") is True, f"{where}: {tls_dir} is writable")
    check("secret" in volumes.get(mount["name"], {}),
          f"{where}: {tls_dir} is not a Secret")
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        check("grpc" not in (c.get(kind) or {}),
              f"{where}: {kind} is a gRPC probe, which the TLS port refuses")


def check_container(where, c, pod, expected_image):
    command = c.get("command") or []
    binary = os.path.basename(command[0]) if command else ""
    if binary not in SERVES:
        check(not c["image"].startswith(expected_image.split(":")[0] + ":"),
              f"{where}: runs the SFS image without naming an SFS binary")
        return
    check(c["image"] == expected_image,
          f"{where}: image {c['image']}, but make image builds "
          f"{expected_image}")
    check(command[0] == "/usr/local/bin/" + binary,
          f"{where}: {command[0]} is not where the image has {binary}")
    env = {e["name"] for e in c.get("env", [])}
    args = [expand(a, env) for a in command[1:] + c.get("args", [])]
    run = subprocess.run([os.path.join(BIN, binary), *args, "--check_flags"],
                         capture_output=True, text=True)
    check(run.returncode == 0,
          f"{where}: {binary} refuses its arguments: {run.stderr.strip()}")

    flags = flag_values(args)
    check_cluster_tls(where, c, pod, flags)
    served = {}  # port -> "grpc" or the HTTP paths served there
    for flag, what in SERVES[binary].items():
        if flag in flags and flags[flag]:
            served[port_of(flags[flag])] = what
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    for name, number in ports.items():
        check(number in served,
              f"{where}: declares port {name}={number}, which no flag "
              "makes it listen on")

    def resolve(port):
        number = ports.get(port, port)
        check(isinstance(number, int) and number in ports.values(),
              f"{where}: probe port {port} is not a declared port")
        return number

    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = c.get(kind)
        if not probe:
            continue
        if "httpGet" in probe:
            number = resolve(probe["httpGet"]["port"])
            what = served.get(number)
            check(isinstance(what, set) and probe["httpGet"]["path"] in what,
                  f"{where}: {kind} GET {probe['httpGet']['path']} on port "
                  f"{number}, which {binary} does not serve there")
        elif "grpc" in probe:
            number = resolve(probe["grpc"]["port"])
            check(served.get(number) == "grpc",
                  f"{where}: {kind} is a gRPC probe of port {number}, which "
                  "is not the gRPC port")
        elif "tcpSocket" in probe:
            resolve(probe["tcpSocket"]["port"])
        else:
            check(False, f"{where}: {kind} of an unknown kind")


def selects(selector, labels):
    return all(labels.get(k) == v
               for k, v in selector.get("matchLabels", {}).items())


def check_network_policies(docs):
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    pods = [(d["spec"]["template"]["metadata"].get("labels", {}),
             {p["name"] for c in containers(d) for p in c.get("ports", [])})
            for d in docs if d.get("kind") in WORKLOADS]
    check(any(p["spec"]["podSelector"] == {} and
              p["spec"].get("policyTypes") == ["Ingress"] and
              not p["spec"].get("ingress") for p in policies),
          "no NetworkPolicy denies ingress to every pod by default")
    for policy in policies:
        where = f"NetworkPolicy/{policy['metadata']['name']}"
        selected = [ports for labels, ports in pods
                    if selects(policy["spec"]["podSelector"], labels)]
        check(selected, f"{where} selects no pod")
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                check(all(port["port"] in ports for ports in selected),
                      f"{where} opens port {port['port']}, which a selected "
                      "pod does not declare")
            for peer in rule.get("from", []):
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    check(any(selects(peer["podSelector"], labels)
                              for labels, _ in pods),
                          f"{where} admits pods no workload runs")


def main():
    expected = subprocess.run(
        ["bash", os.path.join(SOURCE, "scripts", "build-image.sh"),
         "--print-ref"], capture_output=True, text=True,
        check=True).stdout.strip()
    docs, images = render()
    name, _, _ = expected.partition(":")
    if name in images:  # a deployment that renames the image
        i = images[name]
        expected = i.get("newName", name) + ":" + i.get("newTag", "latest")
    seen = set()
    for doc in docs:
        for c in containers(doc):
            where = f"{doc['kind']}/{doc['metadata']['name']}/{c['name']}"
            check_container(where, c, doc["spec"]["template"]["spec"],
                            expected)
            if c.get("command"):
                seen.add(os.path.basename(c["command"][0]))
    check_network_policies(docs)
    for binary in SERVES:
        check(binary in seen, f"no workload runs {binary}")
        run = subprocess.run([os.path.join(BIN, binary), "--check_flags",
                              "--no_such_flag=1"], capture_output=True)
        check(run.returncode != 0,
              f"{binary} --check_flags accepted an unknown flag")
    for p in problems:
        print("FAIL", p)
    print(f"{checks - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
