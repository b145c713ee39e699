"""A real, single-node SLURM cluster (munged, slurmctld, slurmd) living in a temporary folder.

Used by tests/test_slurm.py. Debian's `slurm-wlm` and `munge` are installed when missing
(as root, or through passwordless sudo as on CI runners). Every file the daemons use (config,
munge key and socket, state, spool, logs, PID files) lives under one folder, the ports are
free ones picked at start, and `stop()` ends exactly the daemons that `start()` launched, by
their process ids. Accounting is off (`accounting_storage/none`): see docs/cluster.md "Running on a
cluster" for what that means for `sacct` and the executor's status checks.

Run by hand: `python -m tests.slurm_cluster DIR` starts a cluster and prints the
`SLURM_CONF=...` line to export; Ctrl-C stops it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DEBIAN_PACKAGES = ("slurm-wlm", "munge")
DAEMONS = ("munged", "slurmctld", "slurmd")


class SlurmUnavailable(RuntimeError):
    """SLURM is not installed and cannot be installed here (no root, no sudo, no apt)."""


def _privileged_prefix() -> list[str] | None:
    """[] when root, ["sudo", "-n"] with passwordless sudo, None otherwise."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        ok = subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
        if ok:
            return ["sudo", "-n"]
    return None


def _daemon_path(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/sbin") if (p := Path(d) / name).exists()), None
    )


def ensure_installed(timeout: float = 900) -> None:
    """Install Debian's slurm-wlm and munge when a daemon or client is missing."""
    needed = [*DAEMONS, "sbatch", "srun", "squeue", "scancel", "sacct"]
    if all(_daemon_path(n) for n in needed):
        return
    prefix = _privileged_prefix()
    if prefix is None or not shutil.which("apt-get"):
        raise SlurmUnavailable(
            "slurm-wlm and munge are not installed and cannot be installed here "
            "(needs apt-get as root or with passwordless sudo): "
            "apt-get install slurm-wlm munge"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        [*prefix, "apt-get", "update", "-q"],
        [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *DEBIAN_PACKAGES],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if proc.returncode != 0:
            raise SlurmUnavailable(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    missing = [n for n in needed if not _daemon_path(n)]
    if missing:
        raise SlurmUnavailable(f"installed {DEBIAN_PACKAGES} but still missing: {missing}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_line() -> str:
    """This host's real CPU count and memory, as `slurmd -C` reports them."""
    out = subprocess.run(
        [_daemon_path("slurmd"), "-C"], capture_output=True, text=True, check=True
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("NodeName="))
    return re.sub(r"^NodeName=\S+\s*", "", line).strip()


def slurm_conf(
    root: Path, host: str, user: str, partition: str, ports: tuple[int, int], node: str
) -> str:
    return f"""\
# single-node test cluster, written by tests/slurm_cluster.py
ClusterName=zatlastest
SlurmctldHost={host}(127.0.0.1)
SlurmUser={user}
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
PlugStackConfig={root}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
ReturnToService=2
# no slurmdbd: squeue answers for finished jobs until MinJobAge has passed
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=5
JobCompType=jobcomp/none
MinJobAge=3600
InactiveLimit=0
KillWait=5
SlurmctldTimeout=60
SlurmdTimeout=60
NodeName={host} NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName={partition} Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class LocalSlurm:
    """munged + slurmctld + slurmd for this host, configured under `root`."""

    def __init__(self, root: Path, partition: str = "debug"):
        self.root = Path(root)
        self.partition = partition
        self.host = socket.gethostname().split(".")[0]
        self.conf = self.root / "slurm.conf"
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    @property
    def env(self) -> dict[str, str]:
        """The environment in which sbatch, squeue, scancel and srun reach this cluster.

        The executor's job step drops every SLURM_* variable before its inner `srun`, so
        SLURM_CONF cannot reach it there (a real cluster has /etc/slurm/slurm.conf); an
        `srun` wrapper that sets it comes first on PATH instead.
        """
        path = f"{self.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**os.environ, "SLURM_CONF": str(self.conf), "PATH": path}

    def _spawn(self, name: str, args: list[str], prefix: list[str]) -> None:
        log = open(self.root / "log" / f"{name}.out", "ab")  # noqa: SIM115 (closed in stop)
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(
            [*prefix, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )

    def start(self, timeout: float = 90) -> LocalSlurm:
        prefix = _privileged_prefix()
        if prefix is None:
            raise SlurmUnavailable("starting slurmd needs root or passwordless sudo")
        for sub in ("munge", "state", "spool", "run", "log", "bin"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "munge").chmod(0o755)  # clients need to reach the socket
        srun = self.root / "bin" / "srun"
        srun.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec {shutil.which("srun")} "$@"\n')
        srun.chmod(0o755)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        (self.root / "plugstack.conf").write_text("")
        user = "root"  # the daemons run as root (directly or through sudo)
        ports = (_free_port(), _free_port())
        self.conf.write_text(
            slurm_conf(self.root, self.host, user, self.partition, ports, node_line())
        )
        m = self.root / "munge"
        self._spawn(
            "munged",
            [
                _daemon_path("munged"),
                "--foreground",
                "--force",
                f"--socket={m}/munge.socket",
                f"--key-file={key}",
                f"--pid-file={m}/munged.pid",
                f"--seed-file={m}/munged.seed",
                f"--log-file={self.root}/log/munged.log",
            ],
            prefix,
        )
        self._wait(lambda: (m / "munge.socket").exists(), timeout, "munged socket")
        self._spawn(
            "slurmctld", [_daemon_path("slurmctld"), "-D", "-i", "-f", str(self.conf)], prefix
        )
        self._wait(lambda: self._run("scontrol", "ping").returncode == 0, timeout, "slurmctld")
        self._spawn("slurmd", [_daemon_path("slurmd"), "-D", "-f", str(self.conf)], prefix)
        self._wait(self._node_idle, timeout, "slurmd (node idle)")
        return self

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=30)

    def _node_idle(self) -> bool:
        out = self._run("sinfo", "-h", "-N", "-o", "%T").stdout.strip()
        return out.startswith("idle")

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
            if dead:
                raise RuntimeError(f"{dead} exited while waiting for {what}:\n{self.logs()}")
            if ready():
                return
            time.sleep(0.5)
        raise TimeoutError(f"{what} not ready after {timeout:.0f} s:\n{self.logs()}")

    def logs(self, tail: int = 2000) -> str:
        parts = []
        for f in sorted((self.root / "log").glob("*")):
            parts.append(f"--- {f.name}\n{f.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def squeue(self, *args: str) -> str:
        return self._run("squeue", "-h", *args).stdout

    def stop(self, timeout: float = 30) -> None:
        """Cancel what still runs, then SIGTERM the daemons this object started, by PID
        (slurmd first), SIGKILL after `timeout`. A job step outlives a stopped slurmd."""
        ctld = self.procs.get("slurmctld")
        if ctld is not None and ctld.poll() is None:
            self._run("scancel", "--partition", self.partition)
            deadline = time.monotonic() + timeout
            while self.squeue("--states=PENDING,RUNNING,COMPLETING").strip():
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        for name in reversed(DAEMONS):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout)
            except ProcessLookupError:
                pass
        for log in self._logs:
            log.close()

    def __enter__(self) -> LocalSlurm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    ensure_installed()
    cluster = LocalSlurm(Path(sys.argv[1]).resolve())
    cluster.start()
    print(f"export SLURM_CONF={cluster.conf}", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
