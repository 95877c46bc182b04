"""Kubernetes nodes without a kubelet, for the CRI tests: each node is a private containerd with
its CRI plugin enabled, running inside its own network namespace, with the roadrunner runtime of
deploy/kubernetes/containerd-config.toml. Pods get their own network namespace from the CNI
bridge plugin, on a pod subnet per node; the nodes are joined by a veth pair and route each
other's pod subnets, as a flat Kubernetes pod network does.
"""

import json
import os
import signal
import subprocess
import time

import grpc

from cri_client import CriClient

NODE_SUBNET = "10.213.0.{}"  # the link between the nodes, a /24 inside private namespaces only
POD_SUBNET = "10.213.{}.0/24"  # node i's pods: 10.213.(i+1).0/24
CNI_BIN_DIR = "/usr/lib/cni"
SANDBOX_IMAGE = "roadrunner.local/pause:1"


def run(*command, seconds=10):
    """Runs a command to completion; a failure raises with its stderr."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)}: exit status {result.returncode}: {result.stderr}"
        )


def ip(*args):
    run("ip", *args)


def wait_for(what, predicate, seconds):
    """Polls predicate until it returns something true, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


def processes_mentioning(text, exclude=()):
    """Live processes whose command line contains text (shims and their functions): pid to
    command line."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in exclude or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{name}/stat", encoding="utf-8") as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue  # it exited while we looked
        if text in cmdline and not zombie:
            found[int(name)] = cmdline
    return found


class Node:
    """One node: its network namespace, containerd, CNI config and roadrunner state root."""

    def __init__(self, index, work_dir, settings):
        self.name = "ab"[index]
        self.netns = f"rrcri-{os.getpid()}-{self.name}"
        self.ip = NODE_SUBNET.format(index + 1)
        self.pod_subnet = POD_SUBNET.format(index + 1)
        self.dir = os.path.join(work_dir, "node-" + self.name)
        self.shim_root = os.path.join(self.dir, "rr")
        self.log_root = os.path.join(self.dir, "pods")
        self.socket = os.path.join(self.dir, "containerd.sock")
        # The node's /etc/hosts, as its cluster DNS would answer: bound over /etc/hosts for
        # containerd and everything it starts (set_hosts).
        self.hosts = os.path.join(self.dir, "hosts")
        self.settings = settings
        self.containerd = None
        self.client = None

    def containerd_config(self):
        with open(self.settings.runtime_config, encoding="utf-8") as f:
            runtime = f.read()
        d = self.dir
        cri = '[plugins."io.containerd.grpc.v1.cri"'
        return f"""version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{self.socket}"
[ttrpc]
  address = "{self.socket}.ttrpc"
{cri}]
  sandbox_image = "{SANDBOX_IMAGE}"
  disable_apparmor = true
  netns_mounts_under_state_dir = true
{cri}.containerd]
  snapshotter = "native"
{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
{cri}.cni]
  bin_dir = "{CNI_BIN_DIR}"
  conf_dir = "{d}/cni"
  max_conf_num = 1
{runtime}"""

    def cni_config(self):
        bridge = {
            "type": "bridge",
            "bridge": "cni0",
            "isGateway": True,
            "ipMasq": False,
            "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": self.pod_subnet}]],
                "routes": [{"dst": "0.0.0.0/0"}],
                "dataDir": os.path.join(self.dir, "ipam"),
            },
        }
        return {"cniVersion": "0.4.0", "name": "pods", "plugins": [bridge]}

    def write_configs(self):
        os.makedirs(os.path.join(self.dir, "cni"))
        os.makedirs(self.log_root)
        with open(os.path.join(self.dir, "config.toml"), "w", encoding="utf-8") as f:
            f.write(self.containerd_config())
        with open(os.path.join(self.dir, "cni", "10-pods.conflist"), "w", encoding="utf-8") as f:
            json.dump(self.cni_config(), f)

    def set_hosts(self, entries):
        """What names resolve to on the node: [(ip, name)]. Written in place, so the bind mount
        sees it."""
        with open(self.hosts, "w", encoding="utf-8") as f:
            f.write("127.0.0.1 localhost\n")
            f.writelines(f"{ip} {name}\n" for ip, name in entries)

    def start(self, api, api_grpc):
        """Starts containerd inside the node's network namespace and waits until its CRI plugin
        reports the runtime and the network ready, as the kubelet does before it runs pods."""
        self.write_configs()
        self.set_hosts([])
        env = {k: v for k, v in os.environ.items() if not k.startswith("RR_")}
        env["PATH"] = self.settings.bin_dir + ":" + env.get("PATH", "/usr/bin:/bin")
        env["RR_SHIM_ROOT"] = self.shim_root
        env["RR_CACHE_DIR"] = self.settings.aot_cache
        with open(os.path.join(self.dir, "containerd.log"), "wb") as log:
            self.containerd = subprocess.Popen(
                # A mount namespace of its own, as `ip netns exec` would give, but keeping
                # /sys as it is: `ip netns exec` remounts it, and the cgroup hierarchies under
                # /sys/fs/cgroup would be gone for the shim.
                ["unshare", "--mount", "--propagation", "private", "sh", "-c"]
                + ['mount --bind "$0" /etc/hosts && exec "$@"', self.hosts]
                + ["nsenter", f"--net=/run/netns/{self.netns}", "containerd"]
                + ["--config", os.path.join(self.dir, "config.toml")],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(f"{self.socket}", lambda: os.path.exists(self.socket), self.settings.seconds(20))
        self.client = CriClient(api, api_grpc, self.socket)
        try:
            wait_for("the CRI runtime and network", self.ready, self.settings.seconds(20))
        except AssertionError as e:
            raise AssertionError(f"node {self.name}: {e}; containerd's log:\n{self.log()}") from e

    def ready(self):
        if self.containerd.poll() is not None:
            raise AssertionError(f"containerd exited with status {self.containerd.returncode}")
        try:
            status = self.client.runtime.Status(self.client.api.StatusRequest(), timeout=5)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise AssertionError("the CRI plugin did not load") from e
            return False  # not serving yet
        ready = {condition.type for condition in status.status.conditions if condition.status}
        return {"RuntimeReady", "NetworkReady"} <= ready

    def import_image(self, tar, flags=()):
        common = "-n k8s.io images import --snapshotter native".split()
        run("ctr", "-a", self.socket, *common, *flags, tar, seconds=60)

    def log(self):
        with open(os.path.join(self.dir, "containerd.log"), encoding="utf-8") as f:
            return f.read()

    def leftover_processes(self):
        """Processes of this node other than containerd: shims, placeholders and functions."""
        exclude = {self.containerd.pid} if self.containerd else set()
        return processes_mentioning(self.dir + "/", exclude)

    def stop(self):
        """Stops containerd, then kills whatever of the node is left (a test that failed
        half-way leaves shims), and waits until it is gone."""
        if self.client:
            self.client.close()
        if self.containerd and self.containerd.poll() is None:
            self.containerd.send_signal(signal.SIGTERM)
            try:
                self.containerd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.containerd.kill()
                self.containerd.wait()
        for pid in self.leftover_processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(
            f"node {self.name}'s processes to end",
            lambda: not self.leftover_processes(),
            self.settings.seconds(10),
        )


class Cluster:
    """Two nodes, a and b, in network namespaces joined by a veth pair."""

    def __init__(self, work_dir, settings):
        self.nodes = [Node(i, work_dir, settings) for i in range(2)]
        self.made_netns = []

    def create_network(self):
        a, b = self.nodes
        for node in self.nodes:
            ip("netns", "add", node.netns)
            self.made_netns.append(node.netns)
            ip("-n", node.netns, "link", "set", "lo", "up")
            # Node a routes its pods' packets to node b, as a node with a pod network does.
            run("ip", "netns", "exec", node.netns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        veth_a, veth_b = f"rrc{os.getpid()}a", f"rrc{os.getpid()}b"
        ip(*f"link add {veth_a} netns {a.netns} type veth peer {veth_b} netns {b.netns}".split())
        for node, veth, other in ((a, veth_a, b), (b, veth_b, a)):
            ip("-n", node.netns, "addr", "add", node.ip + "/24", "dev", veth)
            ip("-n", node.netns, "link", "set", veth, "up")
            ip("-n", node.netns, "route", "add", other.pod_subnet, "via", other.ip)

    def start(self, api, api_grpc, images):
        self.create_network()
        for node in self.nodes:
            node.start(api, api_grpc)
            for tar, flags in images:
                node.import_image(tar, flags)

    def stop(self):
        """Tears everything down, each step even when an earlier one failed; the network
        namespaces go last, and the veth pair with them."""
        errors = []
        for node in self.nodes:
            try:
                node.stop()
            except Exception as e:  # noqa: BLE001: go on tearing down, report at the end
                errors.append(e)
        for netns in self.made_netns:
            try:
                ip("netns", "del", netns)
            except AssertionError as e:
                errors.append(e)
        if errors:
            raise errors[0]
