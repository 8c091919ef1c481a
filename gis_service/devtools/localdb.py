"""The project-local PostgreSQL/PostGIS cluster: install, initdb, start, stop.

A newcomer's machine has no database running. Rather than depend on a system service, the
project runs its own cluster with its data under ``.gis-local/`` (git-ignored), on its own
port, listening on 127.0.0.1 only, with trust authentication for the local user ``gis``.
PostgreSQL refuses to run as root, so when invoked as root the cluster runs as the OS user
``postgres`` (created by Debian's packages) and every server command goes through ``runuser``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from gis_service.errors import SetupError

RUN_AS_WHEN_ROOT = "postgres"
FALLBACK_OS_USER = "gis-postgres"


def _log(msg: str) -> None:
    print(f"[gis-service] {msg}", file=sys.stderr, flush=True)


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def find_server_bindir() -> Path | None:
    """The newest PostgreSQL server bin dir (the one with initdb), or None."""
    if env := os.environ.get("GIS_PG_BINDIR"):
        return Path(env)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def postgis_available(bindir: Path) -> bool:
    """Whether the PostGIS extension files are installed for this server."""
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        sharedir = subprocess.run(
            [str(pg_config), "--sharedir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return Path(sharedir, "extension", "postgis.control").exists()
    return bool(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))


def _server_major(bindir: Path) -> str:
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    m = re.search(r"PostgreSQL\)\s+(\d+)", out)
    if not m:
        raise SetupError(f"cannot read the PostgreSQL version from {out!r}")
    return m.group(1)


def _apt_prefix(packages: list[str]) -> list[str]:
    """How to run apt-get here: directly as root, with password-less sudo, or not at all."""
    command = "apt-get install -y " + " ".join(packages)
    if shutil.which("apt-get") is None:
        raise SetupError(
            "PostgreSQL with PostGIS 3 is not installed and this is not a Debian/Ubuntu system: "
            "install PostgreSQL >= 13 with PostGIS >= 3.1, or set DATABASE_URL to an existing "
            "PostGIS database."
        )
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"]).returncode == 0:
        return ["sudo", "-n"]
    raise SetupError(
        f"PostgreSQL with PostGIS is not installed. Run: sudo apt-get update && sudo {command}"
        "   (or set DATABASE_URL to an existing PostGIS database)"
    )


def _apt_install(packages: list[str]) -> None:
    prefix = _apt_prefix(packages)
    _log(f"installing {' '.join(packages)} with apt-get (once)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def ensure_postgis_installed() -> Path:
    """Return the server bin dir, installing PostgreSQL and PostGIS with apt when missing.

    Installs only as root or with password-less sudo; otherwise raises with the exact command.
    The PostGIS package must match the server's major version (postgresql-15-postgis-3).
    """
    bindir = find_server_bindir()
    if bindir is not None and postgis_available(bindir):
        return bindir
    if bindir is None:
        _apt_install(["postgresql"])
        bindir = find_server_bindir()
        if bindir is None:
            raise SetupError("installed postgresql but initdb is still not found")
    package = f"postgresql-{_server_major(bindir)}-postgis-3"
    _apt_install([package])
    if not postgis_available(bindir):
        raise SetupError(f"installed {package} but PostGIS is still not found")
    return bindir


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _ensure_os_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            check=True,
        )


@dataclass
class ClusterState:
    """What ``.gis-local/cluster.json`` remembers between runs."""

    data_dir: str
    port: int
    os_user: str | None


class LocalCluster:
    """A PostgreSQL cluster owned by this project checkout."""

    def __init__(self, home: Path, *, bindir: Path, port: int, db_user: str = "gis"):
        self.home = home.resolve()
        self.local_dir = self.home / ".gis-local"
        self.bindir = bindir
        self.db_user = db_user
        self._state_file = self.local_dir / "cluster.json"
        self.state = self._load_state() or self._new_state(port)

    # -- state ---------------------------------------------------------------------------
    def _load_state(self) -> ClusterState | None:
        if self._state_file.exists():
            return ClusterState(**json.loads(self._state_file.read_text()))
        return None

    def _save_state(self) -> None:
        self.local_dir.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps(asdict(self.state), indent=2))

    def _new_state(self, port: int) -> ClusterState:
        os_user = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(RUN_AS_WHEN_ROOT)
                os_user = RUN_AS_WHEN_ROOT
            except KeyError:
                os_user = FALLBACK_OS_USER
        data_dir = self.local_dir / "pgdata"
        return ClusterState(data_dir=str(data_dir), port=port, os_user=os_user)

    @property
    def data_dir(self) -> Path:
        return Path(self.state.data_dir)

    @property
    def port(self) -> int:
        return self.state.port

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg2://{self.db_user}@127.0.0.1:{self.port}/{dbname}"

    # -- commands ------------------------------------------------------------------------
    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.state.os_user:
            cmd = ["runuser", "-u", self.state.os_user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    def _os_user_can_reach(self, path: Path) -> bool:
        if not self.state.os_user:
            return True
        probe = subprocess.run(["runuser", "-u", self.state.os_user, "--", "test", "-x", str(path)])
        return probe.returncode == 0

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        return self._run(["pg_ctl", "status", "-D", str(self.data_dir)]).returncode == 0

    def init(self) -> None:
        """initdb, as the unprivileged OS user when we are root."""
        self.local_dir.mkdir(parents=True, exist_ok=True)
        if self.state.os_user:
            _ensure_os_user(self.state.os_user)
            os.chmod(self.local_dir, 0o755)
            if not self._os_user_can_reach(self.local_dir):
                # a parent folder is closed to other users (e.g. under /root): keep the data
                # outside, tied to this checkout by a hash of its path
                tag = hashlib.sha256(str(self.home).encode()).hexdigest()[:10]
                self.state.data_dir = f"/var/tmp/gis-service-{tag}/pgdata"
                _log(
                    f"{self.local_dir} is not reachable by user {self.state.os_user}; "
                    f"keeping the cluster in {self.data_dir}"
                )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.state.os_user:
            shutil.chown(self.data_dir, self.state.os_user, self.state.os_user)
        os.chmod(self.data_dir, 0o700)
        _log(f"initialising a PostgreSQL cluster in {self.data_dir}")
        res = self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                self.db_user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ]
        )
        if res.returncode != 0:
            raise SetupError(f"initdb failed:\n{res.stdout}\n{res.stderr}")
        self._save_state()

    def start(self) -> None:
        if not self.is_initialised():
            self.init()
        if self.is_running():
            return
        if not _port_free(self.port):
            port = self.port + 1
            while not _port_free(port):
                port += 1
            _log(f"port {self.port} is taken by another program; using {port}")
            self.state.port = port
        self._save_state()
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir}"
        log = self.data_dir / "server.log"
        res = self._run(
            [
                "pg_ctl",
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                opts,
            ]
        )
        if res.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise SetupError(f"could not start PostgreSQL:\n{res.stdout}{res.stderr}\n{tail}")
        _log(f"PostgreSQL running on 127.0.0.1:{self.port} (data in {self.data_dir})")

    def stop(self) -> None:
        if self.is_running():
            res = self._run(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w"])
            if res.returncode != 0:
                raise SetupError(f"could not stop PostgreSQL: {res.stderr}")


def local_cluster(home: Path, *, port: int, db_user: str, install: bool = True) -> LocalCluster:
    """The checkout's cluster, with PostgreSQL/PostGIS installed first when allowed."""
    bindir = ensure_postgis_installed() if install else find_server_bindir()
    if bindir is None:
        raise SetupError("no PostgreSQL server found (initdb missing)")
    return LocalCluster(home, bindir=bindir, port=port, db_user=db_user)
