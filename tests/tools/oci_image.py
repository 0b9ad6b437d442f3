#!/usr/bin/env python3
"""Packs a rootfs directory into an OCI image-layout tar (one layer) for `ctr images import`
or `podman load`, with the platform set, so tests need no registry.
  oci_image.py [--cmd PATH] ROOTFS OUT.tar NAME:TAG ARCH [VARIANT]
--cmd: the image's command (default /bin/sh)."""
import hashlib
import io
import json
import sys
import tarfile
import time


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), len(data)


def main():
    argv = sys.argv[1:]
    cmd = "/bin/sh"
    if argv[:1] == ["--cmd"] and len(argv) > 1:
        cmd, argv = argv[1], argv[2:]
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    rootfs, out, ref, arch = argv[:4]
    variant = argv[4] if len(argv) == 5 else None
    layer_buf = io.BytesIO()
    with tarfile.open(fileobj=layer_buf, mode="w") as t:
        t.add(rootfs, arcname=".")
    layer = layer_buf.getvalue()
    layer_digest, layer_size = blob(layer)
    platform = {"architecture": arch, "os": "linux"}
    if variant:
        platform["variant"] = variant
    config = json.dumps(dict(platform, created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             config={"Cmd": [cmd]},
                             rootfs={"type": "layers", "diff_ids": [layer_digest]})).encode()
    config_digest, config_size = blob(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}],
    }).encode()
    manifest_digest, manifest_size = blob(manifest)
    name = ref if "/" in ref.split(":")[0] else "docker.io/library/" + ref
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest_size,
        "platform": platform, "annotations": {"org.opencontainers.image.ref.name": ref.split(":")[-1],
                                              "io.containerd.image.name": name}}]}).encode()
    with tarfile.open(out, "w") as t:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for digest, data in ((layer_digest, layer), (config_digest, config), (manifest_digest, manifest)):
            add("blobs/sha256/" + digest.split(":")[1], data)


if __name__ == "__main__":
    main()
