#!/bin/sh
# k8s_image.sh: the Kubernetes image and DaemonSets, short of a cluster. scripts/build-image.sh
# builds the image (private podman storage); it must hold exactly the planned files. Every
# manifest in packaging/kubernetes parses, and the DaemonSets run that tag with commands the
# image has. Then xarch.yaml's pod is run as a kubelet would (its command, env, privileged,
# hostPID, hostPath mounts) with a directory standing in for the node's root, against the
# machine's binfmt_misc (Debian's arm64 entry without F registered first, restored afterwards):
# it must add exactly the programs, the emulators, one binfmt.d file per entry it registered and
# containerd's handler (checked by `containerd config dump`), and change nothing else; the
# entries must carry F and run an arm64 program although the node has no /opt/xarch. A second
# pod changes nothing; xarch-uninstall.yaml's pod then restores the node's files.
# Environment (ctest): XARCH_BUILD_DIR, XARCH_BUNDLE_CACHE and lib.sh's.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
K8S=$SRC/packaging/kubernetes
POD="python3 $SRC/tests/integration/k8s_pod.py"
BUILD=${XARCH_BUILD_DIR:?run through ctest}
command -v podman >/dev/null || skip "podman is not installed"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
command -v containerd >/dev/null || skip "containerd is not installed (its config dump checks the edit)"
private_podman

# 1. The image.
t0=$(date +%s)
TAG=$(PODMAN=$PODMAN "$SRC/scripts/build-image.sh" --build-dir "$BUILD" --cache "$XARCH_BUNDLE_CACHE" \
      --output "oci-archive:$WORK/xarch.tar")
t1=$(date +%s)
echo "built $TAG in $((t1 - t0)) s"
VERSION=$("$BUILD/cli/xarch" --version | sed -n 's/^xarch //p')
[ "$TAG" = "localhost/xarch:$VERSION" ] || fail "tag $TAG, expected localhost/xarch:$VERSION"
# The archive is the same image: its config digest is the image ID.
id=$(pm image inspect --format '{{.Id}}' "$TAG")
tar -xOf "$WORK/xarch.tar" index.json | python3 -c '
import json, sys, tarfile
index = json.load(sys.stdin)
manifest = index["manifests"][0]["digest"].split(":")[1]
with tarfile.open(sys.argv[1]) as t:
    m = json.load(t.extractfile("blobs/sha256/" + manifest))
assert m["config"]["digest"] == "sha256:" + sys.argv[2], (m["config"], sys.argv[2])
' "$WORK/xarch.tar" "$id" || fail "the OCI archive does not hold image $id"
# Reproducible: the same inputs, built again from nothing (other storage, new file times), give
# the same image ID.
PODMAN2="podman --root $WORK/storage2 --runroot $WORK/runroot2 --storage-driver overlay"
test_cleanup() {
    for p in "$PODMAN" "$PODMAN2"; do
        $p rm -af >/dev/null 2>&1
        $p rmi -af >/dev/null 2>&1
    done
    umount -R "$WORK/storage/overlay" "$WORK/storage2/overlay" 2>/dev/null
    return 0
}
id2=$(PODMAN=$PODMAN2 "$SRC/scripts/build-image.sh" --build-dir "$BUILD" --cache "$XARCH_BUNDLE_CACHE" >/dev/null &&
      $PODMAN2 image inspect --format '{{.Id}}' "$TAG")
[ "$id2" = "$id" ] || fail "a second build gave image $id2, the first $id"
echo "image $id, rebuilt identically"

IMG=$(pm image mount "$TAG")
emulators=$(pm image inspect --format '{{index .Labels "io.xarch.emulators"}}' "$TAG" | tr ',' ' ')
[ -n "$emulators" ] || fail "the image names no emulators"
{
    echo /bin; echo /bin/busybox; echo /tmp; echo /xarch; echo /xarch/bin; echo /xarch/qemu
    echo /xarch/node.sh; echo /xarch/config.json
    for p in xarch xarch-hook xarch-runtime; do echo "/xarch/bin/$p"; done
    for t in $emulators; do echo "/xarch/qemu/qemu-$t-static"; done
    for a in "$IMG"/bin/*; do
        a=${a##*/}
        [ "$a" != busybox ] || continue
        [ "$(readlink "$IMG/bin/$a")" = busybox ] || fail "/bin/$a is not a busybox applet"
        echo "/bin/$a"
    done
} | sort > "$WORK/image.expected"
$POD image-files "$IMG" | sort > "$WORK/image.files"
diff -u "$WORK/image.expected" "$WORK/image.files" || fail "the image holds other files than planned"
mkdir "$WORK/stripped"
for p in cli/xarch hook/xarch-hook shim/xarch-runtime; do
    strip -o "$WORK/stripped/${p#*/}" "$BUILD/$p"
    cmp -s "$WORK/stripped/${p#*/}" "$IMG/xarch/bin/${p#*/}" || fail "the image's ${p#*/} is not the build's, stripped"
done
echo "image: $(wc -l < "$WORK/image.files") paths, emulators: $emulators"
$POD check "$K8S" "$TAG" "$IMG"
# node.sh runs these; busybox must have every applet linked.
for a in sh cat chmod cmp cp grep ln mkdir mount mv nsenter readlink rm rmdir sha256sum sleep test touch tr; do
    [ -L "$IMG/bin/$a" ] || fail "the image has no /bin/$a"
done
# The emulators as the image has them (Debian's newest, not necessarily the machine's own).
(cd "$IMG/xarch/qemu" && sha256sum qemu-*-static) > "$WORK/emulators.sha256"
pm image unmount "$TAG" >/dev/null

# 2. A node: its root is $HOST. containerd's default configuration, a binfmt.d file of the
# node's own, and a file elsewhere.
HOST=$WORK/host
mkdir -p "$HOST/etc/containerd" "$HOST/etc/binfmt.d" "$HOST/usr/bin"
containerd config default > "$HOST/etc/containerd/config.toml"
echo ':node-own:E::node::/usr/bin/true:' > "$HOST/etc/binfmt.d/node-own.conf"
echo node > "$HOST/etc/hostname"
cp /bin/true "$HOST/usr/bin/true"
$POD listing "$HOST" > "$WORK/before.json"

# The node has Debian's arm64 entry without F: the pod replaces it (XARCH_REPLACE).
"$XARCH_BINFMT_SNAPSHOT" clear
binfmt_state arm64 debian

# run_pod FILE: the DaemonSet of FILE as a pod on $HOST, until it is ready; then stopped (TERM
# must end it at once, with status 0).
run_pod() {
    probe=$($POD probe "$1" | tr '\n' ' ')
    args=$($POD args "$1" "$HOST")
    old_ifs=$IFS
    IFS='
'
    # shellcheck disable=SC2086
    set -- $args
    IFS=$old_ifs
    pm run -d "$@" >/dev/null
    name=$2
    ready=
    for _ in $(seq 240); do
        # shellcheck disable=SC2086
        if pm exec "$name" $probe 2>/dev/null; then ready=1; break; fi
        [ "$(pm inspect --format '{{.State.Running}}' "$name")" = true ] || break
        sleep 0.5
    done
    pm logs "$name" > "$WORK/$name.log" 2>&1
    cat "$WORK/$name.log"
    [ -n "$ready" ] || fail "the pod $name never became ready"
    pm stop -t 10 "$name" >/dev/null
    [ "$(pm inspect --format '{{.State.ExitCode}}' "$name")" = 0 ] || fail "the pod $name did not end with status 0 on TERM"
    pm rm "$name" >/dev/null
}

t2=$(date +%s)
run_pod "$K8S/xarch.yaml"
$POD listing "$HOST" > "$WORK/after.json"
grep -q 'containerd must be restarted on this node' "$WORK/xarch.log" || fail "the pod does not say containerd must be restarted"

# 3. What the pod did: the registrations, then every file.
registered=
for e in $BINFMT/qemu-*; do
    [ -e "$e" ] || continue
    grep -q '^interpreter /opt/xarch/qemu/' "$e" || continue
    registered="$registered ${e##*/qemu-}"
    grep -q '^flags: .*F' "$e" || fail "${e##*/} has no F flag: $(cat "$e")"
    grep -q '^flags: .*P' "$e" || fail "${e##*/} does not keep argv[0]: $(cat "$e")"
done
grep -q '^interpreter /opt/xarch/qemu/aarch64-binfmt-P$' "$BINFMT"/qemu-aarch64 || fail "Debian's qemu-aarch64 was not replaced"
for t in $emulators; do
    case " $registered " in
        *" $t "*) ;;
        *) if [ "$t" != i386 ] || ! grep -q 'skipped linux/386: the host runs it natively' "$WORK/xarch.log"; then
               fail "qemu-$t is in the image but was not registered"
           fi ;;
    esac
done
echo "registered:$registered"
python3 - "$WORK/before.json" "$WORK/after.json" "$WORK/stripped" "$WORK/emulators.sha256" "$registered" <<'PY' || fail "the node's files"
import hashlib, json, sys
before, after = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
stripped, registered = sys.argv[3], sys.argv[5].split()
emulators = {l.split()[1]: l.split()[0] for l in open(sys.argv[4])}
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
d, x = {"type": "dir", "mode": "0o755", "uid": 0, "gid": 0}, {"type": "file", "mode": "0o755", "uid": 0, "gid": 0}
want = {"opt": d, "opt/xarch": d, "opt/xarch/bin": d, "opt/xarch/qemu": d}
for p in ("xarch", "xarch-hook", "xarch-runtime"):
    want["opt/xarch/bin/" + p] = dict(x, sha256=sha(stripped + "/" + p))
for name, digest in emulators.items():
    t = name[len("qemu-"):-len("-static")]
    want["opt/xarch/qemu/" + name] = dict(x, sha256=digest)
    want["opt/xarch/qemu/%s-binfmt-P" % t] = {"type": "link", "target": name, "mode": "0o777", "uid": 0, "gid": 0}
for t in registered:
    want["etc/binfmt.d/qemu-%s.conf" % t] = None  # content checked below
want["etc/containerd/config.toml.xarch-backup"] = dict(before["etc/containerd/config.toml"])
want["etc/containerd/config.toml"] = None
added = {p: e for p, e in after.items() if before.get(p) != e}
removed = sorted(set(before) - set(after))
assert not removed, "removed: %r" % removed
assert sorted(added) == sorted(want), "added or changed: %r\nexpected: %r" % (sorted(set(added) - set(want)), sorted(set(want) - set(added)))
for p, e in want.items():
    if e is not None:
        got = {k: v for k, v in added[p].items() if k in e}
        assert got == e, "%s: %r, expected %r" % (p, added[p], e)
# The backup is the file as it was (its mode and owner too).
assert added["etc/containerd/config.toml.xarch-backup"]["sha256"] == before["etc/containerd/config.toml"]["sha256"]
print("node files: %d added or changed, as expected" % len(added))
PY
# Each binfmt.d file registers exactly the entry in binfmt_misc.
for t in $registered; do
    f=$HOST/etc/binfmt.d/qemu-$t.conf
    line=$(grep -v '^#' "$f" | grep .)
    e=$BINFMT/qemu-$t
    case $line in ":qemu-$t:M:0:"*":/opt/xarch/qemu/$t-binfmt-P:"*F*) ;; *) fail "$f: $line" ;; esac
    flags=${line##*:}
    [ "$(sed -n 's/^flags: //p' "$e")" = "$flags" ] || fail "$f says flags $flags, binfmt_misc $(sed -n 's/^flags: //p' "$e")"
done
# containerd reads the handler, with the node's runtime path, and keeps its own runc.
containerd --config "$HOST/etc/containerd/config.toml" config dump > "$WORK/dump.toml" || fail "containerd rejects the edited config.toml"
python3 - "$WORK/dump.toml" <<'PY' || fail "containerd's view of the edited config.toml"
import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
r = d["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
assert r["xarch"]["runtime_type"] == "io.containerd.runc.v2", r["xarch"]
assert r["xarch"]["options"]["BinaryName"] == "/opt/xarch/bin/xarch-runtime", r["xarch"]
assert "runc" in r, sorted(r)
print("containerd: handlers %s, xarch -> %s" % (", ".join(sorted(r)), r["xarch"]["options"]["BinaryName"]))
PY
# F: the kernel opened the emulators in the pod; the machine itself has no /opt/xarch.
if [ ! -e /opt/xarch ]; then
    make_bundle arm64 "$WORK/arm64"
    m=$("$WORK/arm64/rootfs/bin/busybox" uname -m) || fail "an arm64 program does not run after the pod"
    [ "$m" = aarch64 ] || fail "arm64 busybox says $m"
    echo "an arm64 program runs on the machine (uname -m: $m) with no /opt/xarch here"
else
    echo "note: this machine has /opt/xarch, so the F check is not conclusive and was left out"
fi

# 4. A restarted pod changes nothing.
run_pod "$K8S/xarch.yaml"
$POD listing "$HOST" > "$WORK/again.json"
cmp -s "$WORK/after.json" "$WORK/again.json" || { diff -u "$WORK/after.json" "$WORK/again.json"; fail "a second pod changed the node"; }
grep -q 'configure containerd: already configured' "$WORK/xarch.log" || fail "the second pod reconfigured containerd"
if grep -q 'containerd must be restarted' "$WORK/xarch.log"; then fail "the second pod asks for a restart"; fi
echo "a second pod changed nothing"

# 5. Uninstall: the node's files as they were, but for the backup and the emptied /opt/xarch.
run_pod "$K8S/xarch-uninstall.yaml"
$POD listing "$HOST" > "$WORK/removed.json"
for e in $BINFMT/qemu-*; do
    [ -e "$e" ] || continue
    if grep -q '^interpreter /opt/xarch/' "$e"; then fail "${e##*/} is still registered after uninstall"; fi
done
python3 - "$WORK/before.json" "$WORK/after.json" "$WORK/removed.json" <<'PY' || fail "the node's files after uninstall"
import json, sys
before, after, removed = (json.load(open(p)) for p in sys.argv[1:4])
d = {"type": "dir", "mode": "0o755", "uid": 0, "gid": 0}
extra = {p: e for p, e in removed.items() if before.get(p) != e}
assert sorted(set(before) - set(removed)) == [], sorted(set(before) - set(removed))
assert sorted(extra) == ["etc/containerd/config.toml.xarch-backup", "opt", "opt/xarch"], sorted(extra)
assert extra["opt"] == d and extra["opt/xarch"] == d, extra
# --undo keeps the configured file as the backup; config.toml is byte for byte the original.
assert extra["etc/containerd/config.toml.xarch-backup"]["sha256"] == after["etc/containerd/config.toml"]["sha256"]
print("after uninstall: config.toml and binfmt.d as before; left: the backup and the empty hostPath /opt/xarch")
PY
t3=$(date +%s)
echo "pods: $((t3 - t2)) s"
echo "PASS: k8s image"
