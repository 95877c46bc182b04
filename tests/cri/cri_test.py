#!/usr/bin/env python3
"""The shim under containerd's CRI plugin, driven as the kubelet drives it.

The test starts two nodes (tests/cri/node.py): containerds with the CRI plugin enabled, each in
its own network namespace with its own state root and RR_SHIM_ROOT, joined by a veth pair. They
run the roadrunner runtime of deploy/kubernetes/containerd-config.toml, and the images of
docs/kubernetes.md, packed by scripts/oci-image and imported into `k8s.io`; the sandbox image is
a local one too. Over the CRI gRPC API (tests/cri/cri_client.py) it then calls what the kubelet
calls for pods with `runtimeClassName: roadrunner`: RunPodSandbox with the runtime handler and
roadrunner.io/ pod annotations, CreateContainer and StartContainer with a log under the pod's
log directory, ContainerStatus, ListContainers, ContainerStats, StopContainer, RemoveContainer,
StopPodSandbox and RemovePodSandbox. It reads the CRI log files that `kubectl logs` reads.

- One node: a receiver pod `counter` and a producer pod, each with its own network namespace
  from CNI; the producer reaches the receiver in kernel mode.
- Two nodes: the receiver on node b listens on TCP in the node's network (hostNetwork) with a
  mounted secret; the producer on node a, in a pod network, reaches it in network mode.
- Resources: a pod's memory limit caps its function's linear memory and its cgroup; CPU limits
  set the cgroup's quota; ContainerStats reports the cgroup's CPU and memory (what `kubectl top`
  shows); UpdateContainerResources changes the limits of a running receiver.
- Errors, with the message the kubelet gets back: a missing module, a file that is not Wasm,
  an unknown roadrunner.io/ annotation, a target that is not registered, and a second receiver
  with a name that a running one holds.

    cri_test.py --bin BUILD/bin --guests BUILD/guests --aot-cache BUILD/test-aot-cache

It needs root and containerd, and exits 77 (skipped) without them; the CRI client's packages are
in scripts/packages-cri.txt.
"""

import argparse
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import unittest
from dataclasses import dataclass

import grpc
from google.protobuf import text_format

from cri_client import load_api, log_text
from node import SANDBOX_IMAGE, Cluster, run, wait_for

SKIPPED = 77
SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COUNTER_IMAGE = "roadrunner.local/text-counter:1"
PRODUCER_IMAGE = "roadrunner.local/text-producer:1"
NOT_WASM_IMAGE = "roadrunner.local/not-wasm:1"
GROW_IMAGE = "roadrunner.local/grow:1"
# The counter as a Wasm OCI artifact (its module a layer, no rootfs), and the producer as a rootfs
# image of the wasi/wasm platform.
ARTIFACT_IMAGE = "roadrunner.local/text-counter-artifact:1"
WASI_PRODUCER_IMAGE = "roadrunner.local/text-producer-wasi:1"
MiB = 1024 * 1024
CGROUP_MOUNT = "/sys/fs/cgroup"
RECEIVER_PORT = 7000  # the receiver's node is a network namespace of its own, so it is free
SECRET_DIR = "/var/run/secrets/roadrunner"
# The whole run's deadline, below ctest's timeout: a test still running then fails, and the
# cleanups stop containerd and delete the namespaces, which a killed test could not.
RUN_SECONDS = 240


@dataclass
class Settings:
    bin_dir: str
    guests: str
    aot_cache: str
    runtime_config: str
    time_scale: float
    sanitizers: str

    def seconds(self, n):
        """A deadline of n seconds, longer under sanitizers (RR_TEST_TIME_SCALE)."""
        return n * self.time_scale


@dataclass
class Input:
    """The producer's /in/in.txt, new words on every run, and what the pipeline says of it."""

    text: str

    @property
    def words(self):
        return len(self.text.split())

    @property
    def size(self):
        return len(self.text.encode())

    def producer_says(self):
        return f"sent {self.size} bytes of /in/in.txt; counter says: {self.words} words\n"

    def receiver_says(self):
        return f"counted {self.words} words in {self.size} bytes from producer\n"


def random_input():
    """5 to 60 words of 1 to 9 letters, 7 to a line."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    count = random.randint(5, 60)
    words = ["".join(random.choices(letters, k=random.randint(1, 9))) for _ in range(count)]
    lines = [" ".join(words[i : i + 7]) for i in range(0, count, 7)]
    return Input("\n".join(lines) + "\n")


def make_images(work_dir, settings, text):
    """The images of docs/kubernetes.md, a sandbox image and one whose module is not Wasm."""
    script = os.path.join(SOURCE_DIR, "scripts", "oci-image")
    files = os.path.join(work_dir, "files")
    os.makedirs(files)
    for name, content in (
        ("in.txt", text),
        ("pause", "a placeholder; the shim runs no pause binary\n"),
        ("script.wasm", "#!/bin/sh\necho this is a shell script\n"),
    ):
        with open(os.path.join(files, name), "w", encoding="utf-8") as f:
            f.write(content)
    guests = settings.guests
    images = [
        (SANDBOX_IMAGE, "/pause", [f"{files}/pause=/pause"]),
        (COUNTER_IMAGE, "/counter.wasm", [f"{guests}/text_counter.wasm=/counter.wasm"]),
        (
            PRODUCER_IMAGE,
            "/producer.wasm",
            [f"{guests}/text_producer.wasm=/producer.wasm", f"{files}/in.txt=/in/in.txt"],
        ),
        (NOT_WASM_IMAGE, "/script.wasm", [f"{files}/script.wasm=/script.wasm"]),
        (GROW_IMAGE, "/grow.wasm", [f"{guests}/grow.wasm=/grow.wasm"]),
    ]
    images.append((WASI_PRODUCER_IMAGE, *images[2][1:]))
    tars = []
    for name, entrypoint, contents in images:
        tar = os.path.join(work_dir, name.split("/")[1].replace(":", "-") + ".tar")
        platform = ["--platform", "wasi/wasm"] if name == WASI_PRODUCER_IMAGE else []
        run(script, *platform, tar, name, entrypoint, *contents)
        tars.append((tar, platform))
    artifact = os.path.join(work_dir, "artifact.tar")
    run(
        os.path.join(SOURCE_DIR, "scripts", "wasm-artifact"),
        artifact,
        ARTIFACT_IMAGE,
        f"{guests}/text_counter.wasm",
    )
    return tars + [(artifact, [])]


class Suite:
    """What every test shares: the settings, the cluster and the producer's input."""

    settings = None
    cluster = None
    input = None


def setUpModule():
    work_dir = tempfile.mkdtemp(prefix="rr-cri-")
    unittest.addModuleCleanup(shutil.rmtree, work_dir, ignore_errors=True)
    os.makedirs(os.path.join(work_dir, "api"))
    api, api_grpc = load_api(os.path.join(work_dir, "api"))
    Suite.input = random_input()
    images = make_images(work_dir, Suite.settings, Suite.input.text)
    Suite.cluster = Cluster(work_dir, Suite.settings)
    unittest.addModuleCleanup(Suite.cluster.stop)
    Suite.cluster.start(api, api_grpc, images)


class CriTest(unittest.TestCase):
    """Pods on the cluster's nodes, removed after each test as the kubelet removes them."""

    def setUp(self):
        self.a, self.b = Suite.cluster.nodes

    def run_pod(self, node, name, annotations, host_network=False):
        pod = node.client.run_pod(name, node.log_root, annotations, host_network)
        self.addCleanup(node.client.remove_pod, pod)
        return pod

    def start(self, node, pod, image, args=(), command=(), mounts=(), resources=None):
        """CreateContainer and StartContainer of one container named after its pod."""
        self.assertTrue(node.client.image_status(image).image.id, image)  # imagePullPolicy Never
        name = pod.config.metadata.name
        container_id = node.client.create_container(
            pod, name, image, args, command, mounts, resources
        )
        node.client.start_container(container_id)
        return container_id

    def log_path(self, pod):
        name = pod.config.metadata.name
        return os.path.join(pod.log_dir, name, "0.log")

    def run_receiver(
        self,
        node,
        annotations,
        host_network=False,
        mounts=(),
        pod_name="counter",
        image=COUNTER_IMAGE,
    ):
        annotations = {"roadrunner.io/role": "receiver", **annotations}
        pod = self.run_pod(node, pod_name, annotations, host_network)
        try:
            container_id = self.start(node, pod, image, mounts=mounts)
        except grpc.RpcError as e:
            log = log_text(self.log_path(pod), "stderr")
            raise AssertionError(f"{e.details()}\nthe receiver's stderr:\n{log}") from e
        status = node.client.container_status(container_id)
        self.assertEqual(status.state, node.client.api.ContainerState.CONTAINER_RUNNING, status)
        return pod, container_id

    def run_producer(self, node, annotations, mounts=(), image=PRODUCER_IMAGE):
        """The producer of producer.yaml, run to completion; returns its pod and status."""
        pod = self.run_pod(node, "producer", annotations)
        container_id = self.start(node, pod, image, args=["/in/in.txt"], mounts=mounts)
        status = node.client.wait_exited(container_id, Suite.settings.seconds(30))
        return pod, status

    def assert_logs(self, producer, producer_status, receiver):
        stdout = log_text(self.log_path(producer), "stdout")
        stderr = log_text(self.log_path(producer), "stderr")
        self.assertEqual((producer_status.exit_code, producer_status.reason), (0, "Completed"))
        self.assertEqual(stdout, Suite.input.producer_says(), stderr)
        # The receiver's stderr reaches its log file through containerd's copy, a moment later.
        received = lambda: log_text(self.log_path(receiver), "stderr")  # noqa: E731
        wait_for("the receiver's log line", received, Suite.settings.seconds(10))
        self.assertEqual(received(), Suite.input.receiver_says())

    def assert_pod_ip_in(self, node, pod, subnet):
        ip = node.client.pod_status(pod).network.ip
        prefix = subnet.rsplit(".", 1)[0] + "."
        self.assertTrue(ip.startswith(prefix), f"pod IP {ip!r} is not in {subnet}")

    def assert_network_namespace(self, node, pod, container_id):
        """The function runs in its pod's network namespace, which is the node's own for a pod
        with hostNetwork and a namespace of its own otherwise."""
        netns = lambda pid: os.readlink(f"/proc/{pid}/ns/net")  # noqa: E731
        function = netns(node.client.container_pid(container_id))
        self.assertEqual(function, netns(node.client.pod_pid(pod)))
        host_network = pod.config.linux.security_context.namespace_options.network
        on_node = host_network == node.client.api.NamespaceMode.NODE
        self.assertEqual(function == netns(node.containerd.pid), on_node, function)

    def assert_no_processes_left(self, node):
        try:
            wait_for(
                "the pods' processes to end",
                lambda: not node.leftover_processes(),
                Suite.settings.seconds(10),
            )
        except AssertionError:
            self.fail(f"processes left on node {node.name}: {node.leftover_processes()}")

    def remove_all_and_check_nothing_left(self, node, receiver_name="counter"):
        """The cleanups remove the pods now, in the kubelet's order; then neither a process
        (shim, placeholder, function) nor a registry entry or socket of the node is left."""
        self.doCleanups()
        self.assertEqual(list(node.client.list_pods()), [])
        self.assert_no_processes_left(node)
        for kind, suffix in (("registry", ""), ("sockets", ".sock")):
            path = os.path.join(node.shim_root, kind, "k8s.io", receiver_name + suffix)
            self.assertFalse(os.path.exists(path), path)


class VersionTest(CriTest):
    def test_version_names_containerd_and_cri_v1(self):
        version = self.a.client.version()
        self.assertEqual(version.runtime_name, "containerd")
        self.assertEqual(version.runtime_api_version, "v1")


class OneNodeTest(CriTest):
    def test_producer_reaches_receiver_pod_in_kernel_mode(self):
        client = self.a.client
        receiver, receiver_id = self.run_receiver(self.a, {"roadrunner.io/name": "counter"})
        registry = os.path.join(self.a.shim_root, "registry", "k8s.io", "counter")
        with open(registry, encoding="utf-8") as f:
            address, owner = f.read().split("\n")[:2]
        self.assertEqual(address, f"unix:{self.a.shim_root}/sockets/k8s.io/counter.sock")
        self.assertEqual(owner, receiver_id)

        producer, status = self.run_producer(self.a, {"roadrunner.io/targets": "counter"})

        self.assert_logs(producer, status, receiver)
        self.assertIn("target 'counter' in kernel mode at unix:", self.a.log())
        self.assert_pod_ip_in(self.a, receiver, self.a.pod_subnet)
        self.assert_network_namespace(self.a, receiver, receiver_id)
        [listed] = client.list_containers(receiver)
        self.assertEqual((listed.id, listed.metadata.name), (receiver_id, "counter"))
        self.assertEqual(listed.state, client.api.ContainerState.CONTAINER_RUNNING)
        stats = text_format.MessageToString(client.container_stats(receiver_id), as_one_line=True)
        print(f"ContainerStats of a receiver: {stats}")
        client.stop_container(receiver_id)
        stopped = client.container_status(receiver_id)
        self.assertEqual((stopped.exit_code, stopped.reason), (0, "Completed"), stopped)
        self.remove_all_and_check_nothing_left(self.a)


class ImageFormatTest(CriTest):
    def test_wasm_oci_artifact_receiver_and_wasi_platform_producer(self):
        """The counter's module is the artifact's application/wasm layer, read from containerd's
        content store (the artifact has no rootfs); the producer's image is of the wasi/wasm
        platform. The count proves the module ran."""
        receiver, receiver_id = self.run_receiver(
            self.a, {"roadrunner.io/name": "counter"}, image=ARTIFACT_IMAGE
        )
        producer, status = self.run_producer(
            self.a, {"roadrunner.io/targets": "counter"}, image=WASI_PRODUCER_IMAGE
        )
        self.assert_logs(producer, status, receiver)
        self.assertRegex(
            self.a.log(),
            rf"{receiver_id}: the module is the image's layer sha256:[0-9a-f]{{64}} "
            r"\(application/wasm, \d+ bytes\)",
        )
        self.remove_all_and_check_nothing_left(self.a)


class TwoNodeTest(CriTest):
    def test_producer_reaches_receiver_on_the_other_node_over_tcp(self):
        secret = os.urandom(32).hex() + "\n"
        annotations = {"roadrunner.io/secret-file": SECRET_DIR + "/secret"}
        mounts = {
            node.name: [(SECRET_DIR, self.write_secret(node, secret))] for node in (self.a, self.b)
        }
        receiver, receiver_id = self.run_receiver(
            self.b,
            {
                **annotations,
                "roadrunner.io/name": "counter",
                "roadrunner.io/listen": f"tcp:0.0.0.0:{RECEIVER_PORT}",
            },
            host_network=True,
            mounts=mounts["b"],
        )
        target = f"counter=tcp:{self.b.ip}:{RECEIVER_PORT}"

        producer, status = self.run_producer(
            self.a, {**annotations, "roadrunner.io/targets": target}, mounts=mounts["a"]
        )

        self.assert_logs(producer, status, receiver)
        self.assertIn(f"target 'counter' in network mode at tcp:{self.b.ip}:", self.a.log())
        self.assert_pod_ip_in(self.a, producer, self.a.pod_subnet)
        self.assert_network_namespace(self.b, receiver, receiver_id)
        self.remove_all_and_check_nothing_left(self.b)
        self.assert_no_processes_left(self.a)

    def write_secret(self, node, secret):
        """The node's copy of the pods' Secret, as the kubelet writes it for a secret volume."""
        path = os.path.join(node.dir, "secret")
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "secret"), "w", encoding="utf-8") as f:
            f.write(secret)
        return path


class ResourcesTest(CriTest):
    """The pod spec's limits and what `kubectl top` reads, through the function's cgroup (v1 or
    v2, whichever the node mounts)."""

    def setUp(self):
        super().setUp()
        version = cgroup_version()
        if version is None:
            self.skipTest(f"no cgroup hierarchy at {CGROUP_MOUNT}")
        self.v1 = version == 1
        # The kubelet makes a pod cgroup and removes it after the pod; here the test does.
        self.parent = f"/roadrunner-cri-test-{os.getpid()}/{self.id().rsplit('.', 1)[1]}"
        self.addCleanup(remove_cgroup, self.parent, self.v1)

    def resources(self, memory_mib, cpu_quota=0, cpu_period=0, cpu_shares=0):
        api = self.a.client.api
        return api.LinuxContainerResources(
            memory_limit_in_bytes=memory_mib * MiB,
            cpu_quota=cpu_quota,
            cpu_period=cpu_period,
            cpu_shares=cpu_shares,
        )

    def cgroup_file(self, container_id, v1_name, v2_name):
        controller = {"memory": "memory", "cpu": "cpu"}[v1_name.split(".")[0]]
        if self.v1:
            path = f"{CGROUP_MOUNT}/{controller}{self.parent}/{container_id}/{v1_name}"
        else:
            path = f"{CGROUP_MOUNT}{self.parent}/{container_id}/{v2_name}"
        if not os.path.exists(path):
            log = [line for line in self.a.log().splitlines() if "cgroup" in line]
            raise AssertionError(f"no {path}; containerd's log says:\n" + "\n".join(log[-10:]))
        with open(path, encoding="utf-8") as f:
            return f.read().strip()

    def test_memory_limit_caps_linear_memory(self):
        if "thread" in Suite.settings.sanitizers:
            # The cap leaves the runtime 64 MiB; TSan's shadow memory alone is more than that.
            self.skipTest("a ThreadSanitizer build outgrows the runtime's 64 MiB reserve")
        limit_mib = random.choice([128, 160, 192])
        pod = self.a.client.run_pod("grow", self.a.log_root, {}, cgroup_parent=self.parent)
        self.addCleanup(self.a.client.remove_pod, pod)
        container_id = self.start(
            self.a, pod, GROW_IMAGE, args=["2048"], resources=self.resources(limit_mib)
        )
        status = self.a.client.wait_exited(container_id, Suite.settings.seconds(60))
        stdout = log_text(self.log_path(pod), "stdout")
        cap = limit_mib - 64  # the runtime's reserve (cgroup.h, linearMemoryCapMib)
        self.assertEqual(stdout, f"memory.grow failed at {cap * 1024} KiB\n")
        self.assertEqual(status.exit_code, 3, status)
        self.remove_all_and_check_nothing_left(self.a)

    def test_stats_and_update_of_a_running_receiver(self):
        pod = self.a.client.run_pod(
            "counter",
            self.a.log_root,
            {"roadrunner.io/role": "receiver"},
            cgroup_parent=self.parent,
        )
        self.addCleanup(self.a.client.remove_pod, pod)
        container_id = self.start(
            self.a,
            pod,
            COUNTER_IMAGE,
            resources=self.resources(256, cpu_quota=50_000, cpu_period=100_000, cpu_shares=512),
        )
        client = self.a.client
        limit = self.cgroup_file(container_id, "memory.limit_in_bytes", "memory.max")
        self.assertEqual(int(limit), 256 * MiB)
        if self.v1:
            self.assertEqual(self.cgroup_file(container_id, "cpu.cfs_quota_us", ""), "50000")
            self.assertEqual(self.cgroup_file(container_id, "cpu.shares", ""), "512")
        else:
            self.assertEqual(self.cgroup_file(container_id, "cpu.max", "cpu.max"), "50000 100000")
        stats = client.container_stats(container_id)
        print(f"ContainerStats:\n{text_format.MessageToString(stats)}")
        self.assertGreater(stats.cpu.usage_core_nano_seconds.value, 0, stats)
        # serve's own process is in the cgroup: the runtime, its libraries, the AOT code.
        self.assertGreater(stats.memory.working_set_bytes.value, 1 * MiB, stats)
        self.assertLess(stats.memory.working_set_bytes.value, 256 * MiB, stats)
        new_limit = random.choice([384, 448, 512])
        client.update_resources(
            container_id, self.resources(new_limit, cpu_quota=20_000, cpu_period=100_000)
        )
        limit = self.cgroup_file(container_id, "memory.limit_in_bytes", "memory.max")
        self.assertEqual(int(limit), new_limit * MiB)
        if self.v1:
            self.assertEqual(self.cgroup_file(container_id, "cpu.cfs_quota_us", ""), "20000")
        status = client.container_status(container_id)
        self.assertEqual(status.state, client.api.ContainerState.CONTAINER_RUNNING, status)
        self.remove_all_and_check_nothing_left(self.a)


def cgroup_version():
    """2 for a unified hierarchy at CGROUP_MOUNT, 1 for v1 controllers, None for neither."""
    if os.path.exists(f"{CGROUP_MOUNT}/cgroup.controllers"):
        return 2
    if os.path.exists(f"{CGROUP_MOUNT}/memory/memory.limit_in_bytes"):
        return 1
    return None


def remove_cgroup(parent, v1):
    """Removes the pod cgroup PARENT and its own parent, deepest first, in every hierarchy."""
    roots = (
        [f"{CGROUP_MOUNT}/{c}" for c in ("memory", "cpu", "cpuacct", "pids")]
        if v1
        else [CGROUP_MOUNT]
    )
    for root in roots:
        for path in (parent, os.path.dirname(parent)):
            try:
                os.rmdir(root + path)
            except FileNotFoundError:
                pass


class ReplicasTest(CriTest):
    """Replicas of the receiver `counter`, each in its own pod network and on TCP (as a
    Deployment's pods run), addressed from node a by a Service-like name that node a resolves to
    their pod IPs: two on node b, then one of them removed, then one added on node a."""

    SERVICE = "counter.default.svc.cluster.local"

    def test_replicas_behind_one_name_scaled_across_nodes(self):
        secret = os.urandom(32).hex() + "\n"
        annotations = {"roadrunner.io/secret-file": SECRET_DIR + "/secret"}
        mounts = {
            node.name: [(SECRET_DIR, self.write_secret(node, secret))] for node in (self.a, self.b)
        }
        receiver = {
            **annotations,
            "roadrunner.io/name": "counter",
            "roadrunner.io/listen": f"tcp:0.0.0.0:{RECEIVER_PORT}",
        }
        replicas = [
            self.run_receiver(self.b, receiver, mounts=mounts["b"], pod_name=f"counter-{i}")
            for i in (1, 2)
        ]
        ips = [self.b.client.pod_status(pod).network.ip for pod, _ in replicas]
        self.assertEqual(len(set(ips)), 2, ips)
        self.a.set_hosts([(ip, self.SERVICE) for ip in ips])
        target = {"roadrunner.io/targets": f"counter=dns:{self.SERVICE}:{RECEIVER_PORT}"}

        # Each producer reaches one of the replicas.
        served = self.produce_until_both_served(replicas, {**annotations, **target}, mounts["a"])
        self.assertEqual(served, {0, 1})

        # Scale down: the first replica leaves the name's answer and its pod goes; producers
        # reach the one left. Each resolves the name through its pod's /etc/hosts (what CRI
        # copied from the node when the pod was made), not the node's: the node's file now names
        # the replica that is gone, and would fail them.
        self.a.set_hosts([(ips[1], self.SERVICE)])
        self.b.client.remove_pod(replicas[0][0])
        before = self.deliveries(replicas[1][0])
        for _ in range(2):
            pod = self.run_pod(self.a, "producer", {**annotations, **target})
            self.a.set_hosts([(ips[0], self.SERVICE)])
            container_id = self.start(
                self.a, pod, PRODUCER_IMAGE, args=["/in/in.txt"], mounts=mounts["a"]
            )
            status = self.a.client.wait_exited(container_id, Suite.settings.seconds(30))
            self.assertEqual((status.exit_code, status.reason), (0, "Completed"), status)
            self.a.client.remove_pod(pod)
            self.a.set_hosts([(ips[1], self.SERVICE)])
        counted = lambda: self.deliveries(replicas[1][0]) == before + 2  # noqa: E731
        wait_for("the replica left to count both", counted, Suite.settings.seconds(10))

        # Scale up on the other node: a replica on node a joins the answer, and producers on
        # node a reach both, the one beside them and the one on node b.
        local = self.run_receiver(self.a, receiver, mounts=mounts["a"], pod_name="counter-3")
        local_ip = self.a.client.pod_status(local[0]).network.ip
        self.a.set_hosts([(ips[1], self.SERVICE), (local_ip, self.SERVICE)])
        served = self.produce_until_both_served(
            [replicas[1], local], {**annotations, **target}, mounts["a"], already=before + 2
        )
        self.assertEqual(served, {0, 1})
        self.remove_all_and_check_nothing_left(self.b)
        self.assert_no_processes_left(self.a)

    def run_producer_once(self, annotations, mounts):
        """One producer pod, run to completion and removed."""
        pod, status = self.run_producer(self.a, annotations, mounts=mounts)
        self.a.client.remove_pod(pod)
        return pod, status

    def deliveries(self, receiver_pod):
        log = log_text(self.log_path(receiver_pod), "stderr")
        return log.count(Suite.input.receiver_says())

    def produce_until_both_served(self, replicas, annotations, mounts, already=0):
        """Runs producers until each of two replicas has counted a delivery (the first one more
        than `already`). Each producer starts its turn at a random replica: 12 tries miss one
        with odds of 1 in 2048."""
        floors = [already, 0]
        served = set()
        for _ in range(12):
            _, status = self.run_producer_once(annotations, mounts)
            self.assertEqual((status.exit_code, status.reason), (0, "Completed"), status)
            # The receivers' stderr reaches their logs a moment after the producer ends.
            time.sleep(0.2)
            served = {i for i, (pod, _) in enumerate(replicas) if self.deliveries(pod) > floors[i]}
            if served == {0, 1}:
                break
        return served

    write_secret = TwoNodeTest.write_secret


class ErrorTest(CriTest):
    """StartContainer fails with the shim's message, which the kubelet reports as the pod's
    event; the container is left exited with reason StartError, and removing the pod leaves
    nothing behind."""

    def assert_start_fails(self, pod, image, expected, command=()):
        client = self.a.client
        with self.assertRaises(grpc.RpcError) as failure:
            self.start(self.a, pod, image, command=command)
        message = failure.exception.details()
        print(f"StartContainer: {message}")
        self.assertRegex(
            message,
            "^failed to create containerd task: failed to create shim task: " + expected + "$",
        )
        [container_id] = pod.containers
        status = client.container_status(container_id)
        self.assertEqual(status.state, client.api.ContainerState.CONTAINER_EXITED, status)
        self.assertEqual((status.reason, status.message), ("StartError", message))

    def test_missing_module(self):
        pod = self.run_pod(self.a, "nope", {})
        rootfs = re.escape(self.a.dir) + r"/state/\S+/rootfs/nope.wasm"
        expected = rf"module /nope.wasm \({rootfs}\): No such file or directory: not found"
        self.assert_start_fails(pod, COUNTER_IMAGE, expected, command=["/nope.wasm"])
        self.remove_all_and_check_nothing_left(self.a)

    def test_file_that_is_not_wasm(self):
        pod = self.run_pod(self.a, "script", {})
        expected = re.escape(
            r"module /script.wasm starts without the \0asm magic: not a WebAssembly module: "
            "invalid argument"
        )
        self.assert_start_fails(pod, NOT_WASM_IMAGE, expected)
        self.remove_all_and_check_nothing_left(self.a)

    def test_unknown_roadrunner_annotation(self):
        pod = self.run_pod(self.a, "typo", {"roadrunner.io/listn": "unix"})
        expected = re.escape(
            "annotation roadrunner.io/listn: unknown key (known: role, name, listen, targets, "
            "secret-file, interpreter, allow-net, metrics, traces): invalid argument"
        )
        self.assert_start_fails(pod, COUNTER_IMAGE, expected)
        self.remove_all_and_check_nothing_left(self.a)

    def test_target_that_is_not_registered(self):
        pod = self.run_pod(self.a, "lonely", {"roadrunner.io/targets": "ghost"})
        registry = os.path.join(self.a.shim_root, "registry", "k8s.io", "ghost")
        expected = re.escape(
            f"target 'ghost' is not registered on this node ({registry}) and has no address; "
            "start its receiver first, or give roadrunner.io/targets: ghost=tcp:HOST:PORT: "
            "not found"
        )
        self.assert_start_fails(pod, PRODUCER_IMAGE, expected)
        self.remove_all_and_check_nothing_left(self.a)

    def test_second_receiver_with_the_same_name(self):
        _, first_id = self.run_receiver(self.a, {"roadrunner.io/name": "counter"})
        pod = self.run_pod(
            self.a, "counter-2", {"roadrunner.io/role": "receiver", "roadrunner.io/name": "counter"}
        )
        expected = re.escape(
            f"register 'counter' is already registered by container {first_id}: File exists: "
            "already exists"
        )
        self.assert_start_fails(pod, COUNTER_IMAGE, expected)
        self.remove_all_and_check_nothing_left(self.a)


def parse_settings(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="roadrunner and the shim")
    parser.add_argument("--guests", required=True, help="text_counter.wasm, text_producer.wasm")
    parser.add_argument("--aot-cache", required=True, help="RR_CACHE_DIR for the functions")
    parser.add_argument("--sanitizers", default="", help="the build's RR_SANITIZE, if any")
    args, rest = parser.parse_known_args(argv)
    settings = Settings(
        bin_dir=os.path.abspath(args.bin),
        guests=os.path.abspath(args.guests),
        aot_cache=os.path.abspath(args.aot_cache),
        runtime_config=os.path.join(SOURCE_DIR, "deploy", "kubernetes", "containerd-config.toml"),
        time_scale=float(os.environ.get("RR_TEST_TIME_SCALE", "1")),
        sanitizers=args.sanitizers,
    )
    return settings, rest


def skip_reason():
    if os.geteuid() != 0:
        return "CRI tests need root (containerd mounts snapshots; nodes are network namespaces)"
    if not shutil.which("containerd") or not shutil.which("ctr"):
        return "containerd or ctr not installed (scripts/env has them)"
    return None


def out_of_time(signum, frame):
    raise AssertionError(f"the CRI tests ran out of time ({RUN_SECONDS} s)")


def main():
    Suite.settings, rest = parse_settings(sys.argv[1:])
    reason = skip_reason()
    if reason:
        print(f"skipped: {reason}")
        return SKIPPED
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(RUN_SECONDS)
    program = unittest.main(argv=[sys.argv[0], "-v", *rest], exit=False)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
