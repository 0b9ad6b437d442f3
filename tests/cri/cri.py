#!/usr/bin/python3
"""A CRI client that drives containerd as a kubelet does, for xarch's tests (tests/cri).

  cri.py --socket SOCK --proto-dir DIR version
  cri.py --socket SOCK --proto-dir DIR bench --handler A --vs B --image REF --log-dir DIR
         [--runs N] -- ARGS...
  cri.py --socket SOCK --proto-dir DIR pod --handler H --image REF --name N --log-dir DIR
         [--privileged] [--pid-host] [--mount HOST:CONTAINER[:ro]]... [--env K=V]...
         [--wait-log TEXT] [--bundle-root DIR --config-out FILE] [--timeout S] -- ARGS...

`pod` does what the kubelet does for a pod with one container: RunPodSandbox (runtime_handler
H, host network so no CNI is needed; --pid-host: the node's pid namespace too, as hostPID),
CreateContainer, StartContainer, ContainerStatus until
the container has exited (or, with --wait-log, until its log holds TEXT: then, with
--config-out, the runtime's config.json of the running container, read from containerd's bundle
under --bundle-root, is copied), then StopPodSandbox and RemovePodSandbox. It prints one JSON
object: the CRI version, handler, ids, the container's state, exit code, reason and message,
its log (the text of the CRI log file's lines), and the error of the call that failed, if one
did, and `started`: seconds from RunPodSandbox's call to StartContainer's answer. The log
directory is a new one under --log-dir per pod. Exit status 0 when every call answered, 1 when one failed (the JSON says which), 2 on bad
usage.

`bench` runs the same pod (ARGS must exit) through handlers A and B in turn, ABBA, N times each
(default 20, after two of each not counted), and prints the median time from RunPodSandbox's
call to StartContainer's answer (pod start to container running) for each, and the median of
the pairs' ratios A/B.

The messages come from the CRI API's api.proto (Debian's golang-github-kubernetes-cri-api-dev),
compiled with protoc --python_out into --proto-dir; the calls are made by method path, so no
gRPC code generator is needed. Only Debian's python3-grpcio and python3-protobuf are used.
"""
import argparse
import json
import os
import shutil
import sys
import time
import uuid

RUNTIME = "/runtime.v1.RuntimeService/"
CONTAINER_STATES = {0: "CREATED", 1: "RUNNING", 2: "EXITED", 3: "UNKNOWN"}


class Cri:
    def __init__(self, socket, api, timeout):
        import grpc
        self.grpc = grpc
        self.api = api
        self.timeout = timeout
        self.channel = grpc.insecure_channel("unix://" + os.path.abspath(socket))

    def call(self, method, request, timeout=None):
        response = getattr(self.api, method + "Response")
        stub = self.channel.unary_unary(RUNTIME + method, request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=response.FromString)
        return stub(request, timeout=timeout or self.timeout)


class CallFailed(Exception):
    def __init__(self, method, error):
        super().__init__(f"{method}: {error}")
        self.method = method


def read_log(path):
    """The text of a CRI log file: each line is 'TIME STREAM TAG TEXT' (TAG P: partial line)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read().splitlines()
    except FileNotFoundError:
        return ""
    out = []
    for line in raw:
        parts = line.split(" ", 3)
        if len(parts) < 3:
            continue
        text = parts[3] if len(parts) == 4 else ""
        out.append(text if parts[2] == "P" else text + "\n")
    return "".join(out)


def run_pod(cri, args, result):
    api = cri.api

    def call(method, request, timeout=None):
        try:
            return cri.call(method, request, timeout)
        except cri.grpc.RpcError as e:
            raise CallFailed(method, f"{e.code().name}: {e.details()}") from None

    uid = uuid.uuid4().hex
    log_dir = os.path.join(os.path.abspath(args.log_dir), f"{args.name}-{uid}")
    os.makedirs(log_dir)
    namespace_options = api.NamespaceOption(network=api.NODE, pid=api.NODE if args.pid_host else api.CONTAINER)
    sandbox_config = api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name=args.name, uid=uid, namespace="xarch-test", attempt=0),
        log_directory=log_dir,
        linux=api.LinuxPodSandboxConfig(security_context=api.LinuxSandboxSecurityContext(
            namespace_options=namespace_options, privileged=args.privileged)))
    t0 = time.monotonic()
    sandbox = call("RunPodSandbox", api.RunPodSandboxRequest(config=sandbox_config, runtime_handler=args.handler),
                   timeout=args.timeout).pod_sandbox_id
    result["sandbox_id"] = sandbox
    try:
        mounts = []
        for m in args.mount:
            host, container, *rest = m.split(":")
            mounts.append(api.Mount(host_path=host, container_path=container, readonly=rest == ["ro"]))
        envs = [api.KeyValue(key=k, value=v) for k, v in (e.split("=", 1) for e in args.env)]
        container_config = api.ContainerConfig(
            metadata=api.ContainerMetadata(name=args.name, attempt=0), image=api.ImageSpec(image=args.image),
            command=args.command[:1], args=args.command[1:], envs=envs, mounts=mounts,
            log_path=args.name + ".log",
            linux=api.LinuxContainerConfig(security_context=api.LinuxContainerSecurityContext(
                namespace_options=namespace_options, privileged=args.privileged)))
        container = call("CreateContainer", api.CreateContainerRequest(
            pod_sandbox_id=sandbox, config=container_config, sandbox_config=sandbox_config)).container_id
        result["container_id"] = container
        log = os.path.join(log_dir, args.name + ".log")
        call("StartContainer", api.StartContainerRequest(container_id=container), timeout=args.timeout)
        result["started"] = round(time.monotonic() - t0, 4)
        deadline = time.monotonic() + args.timeout
        while True:
            status = call("ContainerStatus", api.ContainerStatusRequest(container_id=container)).status
            state = CONTAINER_STATES.get(status.state, str(status.state))
            if args.wait_log and args.wait_log in read_log(log):
                if args.config_out:
                    bundle = os.path.join(args.bundle_root, "k8s.io", container, "config.json")
                    shutil.copyfile(bundle, args.config_out)
                    result["config"] = args.config_out
                break
            if state == "EXITED":
                break
            if time.monotonic() > deadline:
                raise CallFailed("ContainerStatus", f"still {state} after {args.timeout} s")
            time.sleep(0.2)
        result.update(state=state, exit_code=status.exit_code, reason=status.reason, message=status.message)
        result["log"] = read_log(log)
    finally:
        try:
            call("StopPodSandbox", api.StopPodSandboxRequest(pod_sandbox_id=sandbox), timeout=args.timeout)
        finally:
            call("RemovePodSandbox", api.RemovePodSandboxRequest(pod_sandbox_id=sandbox), timeout=args.timeout)
            result["removed"] = True


def bench(cri, args):
    import statistics
    def once(handler, i):
        one = argparse.Namespace(**vars(args))
        one.handler, one.name = handler, f"bench-{handler}-{i}"
        r = {}
        run_pod(cri, one, r)
        if r.get("exit_code") != 0:
            raise CallFailed("ContainerStatus", f"pod {one.name} exited {r.get('exit_code')}: {r.get('log')}")
        return r["started"]
    for i in range(2):
        once(args.handler, -1 - i)
        once(args.vs, -1 - i)
    ta, tb, ratios = [], [], []
    for i in range(args.runs):
        if i % 2 == 0:
            a, b = once(args.handler, i), once(args.vs, i)
        else:
            b, a = once(args.vs, i), once(args.handler, i)
        ta.append(a)
        tb.append(b)
        ratios.append(a / b)
    print("pod start to container running, %d runs: handler %s %.1f ms, handler %s %.1f ms, ratio %.3f" % (
        args.runs, args.handler, statistics.median(ta) * 1e3, args.vs, statistics.median(tb) * 1e3,
        statistics.median(ratios)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--proto-dir", required=True, help="where protoc wrote api_pb2.py")
    parser.add_argument("--timeout", type=float, default=120)
    sub = parser.add_subparsers(dest="verb", required=True)
    sub.add_parser("version")
    pod = sub.add_parser("pod")
    pod.add_argument("--handler", required=True)
    pod.add_argument("--image", required=True)
    pod.add_argument("--name", required=True)
    pod.add_argument("--log-dir", required=True)
    pod.add_argument("--privileged", action="store_true")
    pod.add_argument("--pid-host", action="store_true")
    pod.add_argument("--mount", action="append", default=[])
    pod.add_argument("--env", action="append", default=[])
    pod.add_argument("--wait-log")
    pod.add_argument("--bundle-root", help="containerd's <state>/io.containerd.runtime.v2.task")
    pod.add_argument("--config-out")
    pod.add_argument("command", nargs="+")
    b = sub.add_parser("bench")
    b.add_argument("--handler", required=True)
    b.add_argument("--vs", required=True)
    b.add_argument("--image", required=True)
    b.add_argument("--log-dir", required=True)
    b.add_argument("--runs", type=int, default=20)
    b.add_argument("command", nargs="+")
    args = parser.parse_args()
    if args.verb == "bench":
        args.__dict__.update(privileged=False, pid_host=False, mount=[], env=[], wait_log=None, bundle_root=None,
                             config_out=None)
    if args.verb == "pod" and args.config_out and not (args.wait_log and args.bundle_root):
        parser.error("--config-out needs --wait-log and --bundle-root")
    sys.path.insert(0, args.proto_dir)
    import api_pb2
    cri = Cri(args.socket, api_pb2, args.timeout)
    result = {}
    try:
        v = cri.call("Version", api_pb2.VersionRequest(version="v1"))
        result["version"] = {"runtime": v.runtime_name, "runtime_version": v.runtime_version,
                             "api": v.runtime_api_version}
        if args.verb == "pod":
            result["handler"] = args.handler
            run_pod(cri, args, result)
        elif args.verb == "bench":
            bench(cri, args)
            return 0
    except CallFailed as e:
        result["failed"] = e.method
        result["error"] = str(e)
    except cri.grpc.RpcError as e:
        result["failed"] = "Version"
        result["error"] = f"Version: {e.code().name}: {e.details()}"
    print(json.dumps(result, indent=1))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
