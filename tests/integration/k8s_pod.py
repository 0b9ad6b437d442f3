#!/usr/bin/env python3
"""Helpers of k8s_image.sh: the Kubernetes manifests as podman sees them, and file listings.

  k8s_pod.py check K8S_DIR TAG IMAGE_ROOT   every manifest parses; the DaemonSets run TAG, and the
                                            commands they name (container, readiness probe) are
                                            executables in the image's file tree IMAGE_ROOT
  k8s_pod.py args FILE HOST_ROOT            the `podman run` arguments (one a line) that run FILE's
                                            DaemonSet pod as a kubelet would, with HOST_ROOT as the
                                            node's root; creates DirectoryOrCreate hostPaths there
  k8s_pod.py cri-args FILE HOST_ROOT [NODE_PATH...]
                                            the same as tests/cri/cri.py pod options (a CRI pod,
                                            as the kubelet asks containerd for it); hostPaths named
                                            as NODE_PATH are the node's own, not under HOST_ROOT
  k8s_pod.py probe FILE                     the readiness probe's command, one argument a line
  k8s_pod.py listing ROOT                   every path under ROOT: type, mode, owner, sha256 or
                                            link target, as JSON
  k8s_pod.py image-files ROOT               every path in an image's file tree, one a line
"""
import hashlib
import json
import os
import stat
import sys

import yaml


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def documents(path):
    with open(path) as f:
        try:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            fail("%s does not parse: %s" % (path, e))
    for d in docs:
        if not isinstance(d, dict) or not d.get("apiVersion") or not d.get("kind") or not d.get("metadata", {}).get("name"):
            fail("%s: a document without apiVersion, kind or metadata.name: %r" % (path, d))
    return docs


def daemonset(path):
    sets = [d for d in documents(path) if d["kind"] == "DaemonSet"]
    if len(sets) != 1:
        fail("%s: expected one DaemonSet, found %d" % (path, len(sets)))
    ds = sets[0]
    spec = ds["spec"]
    pod = spec["template"]["spec"]
    selector = spec["selector"]["matchLabels"]
    labels = spec["template"]["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in selector.items()):
        fail("%s: the selector %r does not select the pod's labels %r" % (path, selector, labels))
    if len(pod["containers"]) != 1:
        fail("%s: expected one container" % path)
    if pod.get("hostUsers") is False:
        fail("%s: hostUsers: false would give the pod a binfmt_misc of its own, not the node's" % path)
    return ds, pod, pod["containers"][0]


def in_image(root, path):
    """The file path names inside an image rooted at root, following links within the image."""
    for _ in range(40):
        full = os.path.join(root, path.lstrip("/"))
        if not os.path.islink(full):
            return full
        target = os.readlink(full)
        path = target if target.startswith("/") else os.path.join(os.path.dirname(path), target)
    fail("%s: too many links" % path)


def executable(root, path):
    full = in_image(root, path)
    return os.path.isfile(full) and os.stat(full).st_mode & 0o111


def check(k8s_dir, tag, image_root):
    files = sorted(f for f in os.listdir(k8s_dir) if f.endswith(".yaml"))
    kinds = {}
    for f in files:
        for d in documents(os.path.join(k8s_dir, f)):
            kinds.setdefault(d["kind"], []).append(d["metadata"]["name"])
    if kinds.get("RuntimeClass") != ["xarch"]:
        fail("expected the RuntimeClass xarch, found %r" % kinds.get("RuntimeClass"))
    if sorted(kinds.get("DaemonSet", [])) != ["xarch", "xarch-uninstall"]:
        fail("expected the DaemonSets xarch and xarch-uninstall, found %r" % kinds.get("DaemonSet"))
    for f in files:
        if not any(d["kind"] == "DaemonSet" for d in documents(os.path.join(k8s_dir, f))):
            continue
        _, pod, c = daemonset(os.path.join(k8s_dir, f))
        if c["image"] != tag:
            fail("%s runs %s, but build-image.sh tags %s" % (f, c["image"], tag))
        if not c.get("securityContext", {}).get("privileged"):
            fail("%s: the container must be privileged (binfmt_misc, host files)" % f)
        for cmd in (c["command"], c["readinessProbe"]["exec"]["command"]):
            if not executable(image_root, cmd[0]):
                fail("%s names %s, which is not an executable in the image" % (f, cmd[0]))
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        paths = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
        if set(mounts) != set(paths):
            fail("%s: volumes %r and mounts %r differ" % (f, sorted(paths), sorted(mounts)))
        # node.sh's contract: /opt/xarch at the same path, the rest under /host.
        want = {"/opt/xarch": "/opt/xarch", "/etc/binfmt.d": "/host/etc/binfmt.d", "/etc/containerd": "/host/etc/containerd"}
        got = {paths[n]: mounts[n] for n in paths}
        if got != want:
            fail("%s mounts %r, node.sh expects %r" % (f, got, want))
    print("manifests: %s" % ", ".join("%s %s" % (k, ",".join(v)) for k, v in sorted(kinds.items())))


def pod_spec(path, host_root, node_paths=()):
    """FILE's DaemonSet pod as a kubelet runs it: (container, pod, [(source, mountPath, readOnly)], command);
    creates DirectoryOrCreate hostPaths."""
    _, pod, c = daemonset(path)
    volumes = {v["name"]: v["hostPath"] for v in pod["volumes"]}
    mounts = []
    for m in c["volumeMounts"]:
        hp = volumes[m["name"]]
        source = hp["path"] if hp["path"] in node_paths else os.path.join(host_root, hp["path"].lstrip("/"))
        kind = hp.get("type", "")
        if kind == "DirectoryOrCreate":
            os.makedirs(source, mode=0o755, exist_ok=True)
        elif kind == "Directory" and not os.path.isdir(source):
            fail("hostPath %s must exist" % hp["path"])
        mounts.append((source, m["mountPath"], bool(m.get("readOnly"))))
    # command replaces the image's entrypoint and, without args, its CMD.
    return c, pod, mounts, c["command"] + c.get("args", [])


def podman_args(path, host_root):
    c, pod, mounts, cmd = pod_spec(path, host_root)
    out = ["--name", c["name"]]
    if c.get("securityContext", {}).get("privileged"):
        out.append("--privileged")
    if pod.get("hostPID"):
        out += ["--pid", "host"]
    for e in c.get("env", []):
        out += ["--env", "%s=%s" % (e["name"], e["value"])]
    for source, target, ro in mounts:
        out += ["--volume", "%s:%s%s" % (source, target, ":ro" if ro else "")]
    out += ["--entrypoint", cmd[0], c["image"]] + cmd[1:]
    print("\n".join(out))


def cri_args(path, host_root, node_paths):
    c, pod, mounts, cmd = pod_spec(path, host_root, node_paths)
    out = []
    if c.get("securityContext", {}).get("privileged"):
        out.append("--privileged")
    if pod.get("hostPID"):
        out.append("--pid-host")
    for e in c.get("env", []):
        out += ["--env", "%s=%s" % (e["name"], e["value"])]
    for source, target, ro in mounts:
        out += ["--mount", "%s:%s%s" % (source, target, ":ro" if ro else "")]
    print("\n".join(out + ["--"] + cmd))


def listing(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            entry = {"mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid, "gid": st.st_gid}
            if stat.S_ISLNK(st.st_mode):
                entry.update(type="link", target=os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                entry.update(type="dir")
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    entry.update(type="file", sha256=hashlib.sha256(f.read()).hexdigest())
            else:
                entry.update(type="other")
            out[os.path.relpath(full, root)] = entry
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


def main(argv):
    if len(argv) == 5 and argv[1] == "check":
        check(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "args":
        podman_args(argv[2], argv[3])
    elif len(argv) >= 4 and argv[1] == "cri-args":
        cri_args(argv[2], argv[3], argv[4:])
    elif len(argv) == 3 and argv[1] == "probe":
        print("\n".join(daemonset(argv[2])[2]["readinessProbe"]["exec"]["command"]))
    elif len(argv) == 3 and argv[1] == "listing":
        listing(argv[2])
    elif len(argv) == 3 and argv[1] == "image-files":
        for dirpath, dirnames, filenames in os.walk(argv[2]):
            for name in dirnames + filenames:
                print("/" + os.path.relpath(os.path.join(dirpath, name), argv[2]))
    else:
        fail("usage: see the top of " + argv[0])


if __name__ == "__main__":
    main(sys.argv)
