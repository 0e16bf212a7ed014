"""docker/operator: the Pulumi CLI is downloaded for the target architecture and verified against Pulumi's published
checksums before it is unpacked (install-pulumi.sh, run here for real against a local HTTP server standing in for
get.pulumi.com), and the image works without the Deployment's volumes. No Docker here: the Dockerfile itself is
checked as text."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import re
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "docker" / "operator" / "install-pulumi.sh"
DOCKERFILE = REPO / "docker" / "operator" / "Dockerfile"
VERSION = "3.272.0"


def archive(payload: bytes) -> bytes:
    """A release archive shaped like Pulumi's: a top-level pulumi/ directory holding the binaries."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("pulumi/pulumi")
        info.size, info.mode = len(payload), 0o755
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


@pytest.fixture
def release(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """get.pulumi.com/releases/sdk on 127.0.0.1: both Linux archives and a checksums file listing them (and
    others, as the real file does)."""
    root = tmp_path / "sdk"
    root.mkdir()
    lines = []
    for arch in ("x64", "arm64"):
        name = f"pulumi-v{VERSION}-linux-{arch}.tar.gz"
        data = archive(f"pulumi {arch}".encode())
        (root / name).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}")
    lines.append(f"{'0' * 64}  pulumi-v{VERSION}-darwin-arm64.tar.gz")
    (root / f"pulumi-{VERSION}-checksums.txt").write_text("\n".join(lines) + "\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def install(base: str, arch: str, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(SCRIPT), VERSION, arch, str(dest)], capture_output=True, text=True,
                          timeout=60, check=False, env={"PATH": "/usr/bin:/bin", "PULUMI_DOWNLOAD_BASE": base})


@pytest.mark.parametrize(("docker_arch", "pulumi_arch"), [("amd64", "x64"), ("arm64", "arm64")])
def test_installs_the_target_architectures_cli(release: tuple[str, Path], tmp_path: Path, docker_arch: str,
                                               pulumi_arch: str) -> None:
    base, _ = release
    result = install(base, docker_arch, tmp_path / "opt")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "opt" / "pulumi" / "pulumi").read_text() == f"pulumi {pulumi_arch}"


def test_a_substituted_archive_is_refused_and_nothing_is_unpacked(release: tuple[str, Path], tmp_path: Path) -> None:
    base, root = release
    (root / f"pulumi-v{VERSION}-linux-x64.tar.gz").write_bytes(archive(b"not pulumi"))
    result = install(base, "amd64", tmp_path / "opt")
    assert result.returncode == 1
    assert "SHA-256 mismatch" in result.stderr
    assert not (tmp_path / "opt").exists()


def test_an_archive_missing_from_the_checksums_is_refused(release: tuple[str, Path], tmp_path: Path) -> None:
    base, root = release
    sums = root / f"pulumi-{VERSION}-checksums.txt"
    sums.write_text("".join(line + "\n" for line in sums.read_text().splitlines() if "linux-x64" not in line))
    result = install(base, "amd64", tmp_path / "opt")
    assert result.returncode == 1 and "is not listed" in result.stderr


def test_a_missing_checksums_file_fails_the_build(release: tuple[str, Path], tmp_path: Path) -> None:
    base, root = release
    (root / f"pulumi-{VERSION}-checksums.txt").unlink()
    assert install(base, "amd64", tmp_path / "opt").returncode != 0
    assert not (tmp_path / "opt").exists()


def test_an_architecture_pulumi_does_not_publish_is_refused(release: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = release
    result = install(base, "s390x", tmp_path / "opt")
    assert result.returncode == 2 and "TARGETARCH=s390x" in result.stderr


def stages(text: str) -> list[str]:
    return re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]


def test_dockerfile_downloads_only_through_the_verifying_script_for_the_target_arch() -> None:
    text = DOCKERFILE.read_text()
    build = next(stage for stage in stages(text) if " AS build" in stage.splitlines()[0])
    assert re.search(r"^ARG TARGETARCH$", build, flags=re.MULTILINE)
    assert 'install-pulumi.sh "${PULUMI_VERSION}" "${TARGETARCH}" /opt' in build
    assert "x64" not in text.replace("install-pulumi.sh", ""), "an architecture is hard-coded"
    assert not re.search(r"\b(curl|wget)\b[^\n]*https?://", text), "a download bypasses the checksum"
    assert "COPY docker/operator/install-pulumi.sh" in build


def test_image_has_its_state_directory_owned_by_the_operator_user() -> None:
    final = stages(DOCKERFILE.read_text())[-1]
    state_dir = re.search(r"MODELMONITOR_STATE_DIR=(\S+)", final)
    assert state_dir is not None
    assert re.search(rf"install -d -o 10001 -g 10001 -m 0700 {re.escape(state_dir.group(1))}\b", final)
    assert "USER 10001:10001" in final
