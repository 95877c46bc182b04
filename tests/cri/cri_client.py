"""A small client of the Container Runtime Interface, calling what the kubelet calls.

The gRPC stubs are generated at run time from the CRI's api.proto, which Debian ships in
golang-github-kubernetes-cri-api-dev (scripts/packages-cri.txt), into a directory the caller
owns. Every call has a deadline.
"""

import importlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field

import grpc

API_PROTO = "/usr/share/gocode/src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto"
RPC_SECONDS = 30
K8S_NAMESPACE = "default"


def load_api(out_dir):
    """Generates api_pb2 and api_pb2_grpc from api.proto into out_dir; returns both modules.

    The gogoproto import and options only steer Go code generation, and the Python generator
    does not need them, so they are left out of the copy that is compiled.
    """
    with open(API_PROTO, encoding="utf-8") as f:
        proto = [line for line in f if "gogo" not in line]
    with open(os.path.join(out_dir, "api.proto"), "w", encoding="utf-8") as f:
        f.writelines(proto)
    protoc = [sys.executable, "-m", "grpc_tools.protoc", "-I", out_dir]
    outputs = ["--python_out", out_dir, "--grpc_python_out", out_dir]
    result = subprocess.run(
        [*protoc, *outputs, "api.proto"], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise AssertionError(f"grpc_tools.protoc {API_PROTO}: {result.stderr}")
    sys.path.insert(0, out_dir)
    with warnings.catch_warnings():
        # Debian's protobuf 3.21 warns of its own use of APIs that Python 3.13 deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc")


@dataclass
class Pod:
    """A pod sandbox as the kubelet keeps it: its id, the config it was made with, its logs."""

    id: str
    config: object
    log_dir: str
    containers: list = field(default_factory=list)


@dataclass
class LogLine:
    """One line of a CRI log file: `TIMESTAMP STREAM TAG TEXT`, TAG F (full) or P (partial)."""

    stream: str
    tag: str
    text: str


CRI_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) (stdout|stderr) ([FP]) (.*)$"
)


def read_cri_log(path):
    """The lines of a container's log file, as `kubectl logs` reads them."""
    if not os.path.exists(path):
        return []
    lines = []
    with open(path, encoding="utf-8") as f:
        for raw in f.read().splitlines():
            match = CRI_LOG_LINE.match(raw)
            if not match:
                raise AssertionError(f"{path}: not a CRI log line: {raw!r}")
            lines.append(LogLine(*match.group(3, 4, 5)))
    return lines


def log_text(path, stream):
    """What `kubectl logs` shows of one stream: partial lines joined, one line per F tag."""
    text = ""
    for line in read_cri_log(path):
        if line.stream == stream:
            text += line.text + ("\n" if line.tag == "F" else "")
    return text


class CriClient:
    """The RuntimeService and ImageService of one containerd, on its gRPC socket."""

    def __init__(self, api, api_grpc, socket):
        self.api = api
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.runtime = api_grpc.RuntimeServiceStub(self.channel)
        self.images = api_grpc.ImageServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def version(self):
        return self.runtime.Version(self.api.VersionRequest(version="v1"), timeout=RPC_SECONDS)

    def image_status(self, ref):
        request = self.api.ImageStatusRequest(image=self.api.ImageSpec(image=ref))
        return self.images.ImageStatus(request, timeout=RPC_SECONDS)

    def run_pod(self, name, log_root, annotations=None, host_network=False, cgroup_parent=""):
        """RunPodSandbox with the roadrunner runtime handler, as for `runtimeClassName:
        roadrunner`. The pod has its own network namespace (made by CNI) unless host_network;
        with cgroup_parent (the kubelet's pod cgroup), each container gets a cgroup below it."""
        api = self.api
        uid = str(uuid.uuid4())
        log_dir = os.path.join(log_root, f"{K8S_NAMESPACE}_{name}_{uid}")
        os.makedirs(log_dir)
        network = api.NamespaceMode.NODE if host_network else api.NamespaceMode.POD
        config = api.PodSandboxConfig(
            metadata=api.PodSandboxMetadata(name=name, uid=uid, namespace=K8S_NAMESPACE),
            hostname=name,
            log_directory=log_dir,
            labels={
                "io.kubernetes.pod.name": name,
                "io.kubernetes.pod.namespace": K8S_NAMESPACE,
                "io.kubernetes.pod.uid": uid,
            },
            annotations=annotations or {},
            linux=api.LinuxPodSandboxConfig(
                cgroup_parent=cgroup_parent,
                security_context=api.LinuxSandboxSecurityContext(
                    namespace_options=api.NamespaceOption(
                        network=network, pid=api.NamespaceMode.CONTAINER
                    )
                ),
            ),
        )
        request = api.RunPodSandboxRequest(config=config, runtime_handler="roadrunner")
        response = self.runtime.RunPodSandbox(request, timeout=RPC_SECONDS)
        return Pod(response.pod_sandbox_id, config, log_dir)

    def pod_status(self, pod):
        request = self.api.PodSandboxStatusRequest(pod_sandbox_id=pod.id)
        return self.runtime.PodSandboxStatus(request, timeout=RPC_SECONDS).status

    def create_container(self, pod, name, image, args=(), command=(), mounts=(), resources=None):
        """CreateContainer with its log at NAME/0.log under the pod's log directory, and the
        pod spec's limits as resources (a LinuxContainerResources)."""
        api = self.api
        config = api.ContainerConfig(
            metadata=api.ContainerMetadata(name=name),
            image=api.ImageSpec(image=image),
            command=list(command),
            args=list(args),
            mounts=[
                api.Mount(container_path=inside, host_path=host, readonly=True)
                for inside, host in mounts
            ],
            labels={
                "io.kubernetes.container.name": name,
                "io.kubernetes.pod.name": pod.config.metadata.name,
                "io.kubernetes.pod.namespace": K8S_NAMESPACE,
                "io.kubernetes.pod.uid": pod.config.metadata.uid,
            },
            log_path=f"{name}/0.log",
            linux=api.LinuxContainerConfig(resources=resources),
        )
        request = api.CreateContainerRequest(
            pod_sandbox_id=pod.id, config=config, sandbox_config=pod.config
        )
        container_id = self.runtime.CreateContainer(request, timeout=RPC_SECONDS).container_id
        pod.containers.append(container_id)
        return container_id

    def start_container(self, container_id):
        request = self.api.StartContainerRequest(container_id=container_id)
        self.runtime.StartContainer(request, timeout=RPC_SECONDS)

    def container_status(self, container_id):
        request = self.api.ContainerStatusRequest(container_id=container_id)
        return self.runtime.ContainerStatus(request, timeout=RPC_SECONDS).status

    def container_pid(self, container_id):
        """The pid of the container's process, from containerd's verbose status (`crictl
        inspect`)."""
        request = self.api.ContainerStatusRequest(container_id=container_id, verbose=True)
        info = self.runtime.ContainerStatus(request, timeout=RPC_SECONDS).info["info"]
        return json.loads(info)["pid"]

    def pod_pid(self, pod):
        """The pid of the pod's sandbox process (`crictl inspectp`)."""
        request = self.api.PodSandboxStatusRequest(pod_sandbox_id=pod.id, verbose=True)
        info = self.runtime.PodSandboxStatus(request, timeout=RPC_SECONDS).info["info"]
        return json.loads(info)["pid"]

    def wait_exited(self, container_id, seconds):
        """Polls ContainerStatus, as the kubelet's PLEG does, until the container exited."""
        deadline = time.monotonic() + seconds
        while True:
            status = self.container_status(container_id)
            if status.state == self.api.ContainerState.CONTAINER_EXITED:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"{container_id} did not exit in {seconds} s: {status}")
            time.sleep(0.1)

    def list_containers(self, pod):
        request = self.api.ListContainersRequest(
            filter=self.api.ContainerFilter(pod_sandbox_id=pod.id)
        )
        return self.runtime.ListContainers(request, timeout=RPC_SECONDS).containers

    def container_stats(self, container_id):
        request = self.api.ContainerStatsRequest(container_id=container_id)
        return self.runtime.ContainerStats(request, timeout=RPC_SECONDS).stats

    def update_resources(self, container_id, resources):
        """UpdateContainerResources, as the kubelet sends for an in-place pod resize."""
        request = self.api.UpdateContainerResourcesRequest(
            container_id=container_id, linux=resources
        )
        self.runtime.UpdateContainerResources(request, timeout=RPC_SECONDS)

    def stop_container(self, container_id, grace_seconds=10):
        request = self.api.StopContainerRequest(container_id=container_id, timeout=grace_seconds)
        self.runtime.StopContainer(request, timeout=RPC_SECONDS + grace_seconds)

    def remove_container(self, container_id):
        request = self.api.RemoveContainerRequest(container_id=container_id)
        self.runtime.RemoveContainer(request, timeout=RPC_SECONDS)

    def remove_pod(self, pod):
        """What the kubelet does when a pod is deleted: stop and remove each container, then
        stop and remove the sandbox."""
        for container_id in pod.containers:
            self.stop_container(container_id)
            self.remove_container(container_id)
        pod.containers.clear()
        self.runtime.StopPodSandbox(
            self.api.StopPodSandboxRequest(pod_sandbox_id=pod.id), timeout=RPC_SECONDS
        )
        self.runtime.RemovePodSandbox(
            self.api.RemovePodSandboxRequest(pod_sandbox_id=pod.id), timeout=RPC_SECONDS
        )

    def list_pods(self):
        request = self.api.ListPodSandboxRequest()
        return self.runtime.ListPodSandbox(request, timeout=RPC_SECONDS).items
