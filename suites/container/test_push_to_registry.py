"""push_images against a real registry: Debian's docker-registry on 127.0.0.1, with basic auth.

ECR itself is unreachable here, so the ECR calls run on moto, and the registry coordinates that ECR would
return (repository URIs, the authorization token's endpoint and credentials) point at the local registry.
The Docker daemon then really logs in, pushes both images and reports the digests the registry stores.
"""

from __future__ import annotations

import base64
import contextlib
import io
import shutil
import socket
import subprocess
import tarfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import requests
from container_kit import RUN_ID, fake_session
from moto import mock_aws

from humangov_deploy.aws import ecr
from humangov_deploy.build.images import ImageSet
from humangov_deploy.clients import AwsClients
from humangov_deploy.waits import Poll, poll_until

USER, PASSWORD = "AWS", "local-registry-password"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


def _bcrypt(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

        if crypt.METHOD_BLOWFISH not in crypt.methods:
            pytest.skip("this libc's crypt() has no bcrypt, which the registry's htpasswd needs")
        # Cost 4 (the minimum): the registry checks the password on every request of a push.
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def registry(tmp_path: Path, infra_unavailable: Callable[[str], NoReturn]) -> Iterator[str]:
    binary = shutil.which("docker-registry")
    if binary is None:  # scripts/test installs it: in CI its absence is a failure (suites/infra.py)
        infra_unavailable(
            "no docker-registry binary (Debian package docker-registry): cannot run a local registry"
        )
    port = _free_port()
    (tmp_path / "htpasswd").write_text(f"{USER}:{_bcrypt(PASSWORD)}\n")
    config = tmp_path / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        f"auth:\n  htpasswd:\n    realm: humangov-test\n    path: {tmp_path / 'htpasswd'}\n"
    )
    log = (tmp_path / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:

        def answers() -> Poll[str]:
            if process.poll() is not None:
                return Poll(False, "exited", fatal=(tmp_path / "registry.log").read_text())
            try:
                return Poll(requests.get(f"http://{address}/v2/", timeout=1).status_code == 401, "up")
            except requests.RequestException as exc:
                return Poll(False, type(exc).__name__)

        poll_until(answers, timeout=30, interval=0.1, what="the local registry")
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def small_images(docker_client: Any) -> Iterator[ImageSet]:
    """Two one-file images under the real repository names: the push path is the same, in a second.

    (The real images go through exactly this code; pushing 200 MB here would only time the disk.)
    """
    refs: dict[str, str] = {}
    try:
        for name in ("app", "nginx"):
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w") as tar:
                data = f"humangov {name} {RUN_ID}\n".encode()
                info = tarfile.TarInfo("image.txt")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            tag = f"pushtest-{RUN_ID}"
            docker_client.api.import_image_from_data(
                buffer.getvalue(), repository=f"humangov-{name}", tag=tag
            )
            refs[name] = f"humangov-{name}:{tag}"
        yield ImageSet(app=refs["app"], nginx=refs["nginx"])
    finally:
        for ref in refs.values():
            with contextlib.suppress(Exception):
                docker_client.images.remove(ref, force=True)


class _LocalRegistryEcr:
    """moto's ECR, with the registry coordinates of the local registry instead of ECR's."""

    def __init__(self, real: Any, registry: str, password: str = PASSWORD) -> None:
        self._real, self._registry, self._password = real, registry, password

    def _rewrite(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (f"{self._registry}/{v.split('/', 1)[1]}" if k == "repositoryUri" else self._rewrite(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._rewrite(v) for v in value]
        return value

    def get_authorization_token(self) -> dict[str, Any]:
        self._real.get_authorization_token()  # the call the library makes, on moto
        token = base64.b64encode(f"{USER}:{self._password}".encode()).decode()
        return {
            "authorizationData": [{"authorizationToken": token, "proxyEndpoint": f"http://{self._registry}"}]
        }

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)
        return lambda *args, **kwargs: self._rewrite(method(*args, **kwargs))


def test_push_logs_in_pushes_both_images_and_returns_the_registrys_digests(
    docker_client: Any, small_images: ImageSet, registry: str
) -> None:
    image_set = small_images
    with mock_aws():
        clients = AwsClients(region="us-east-1", session=fake_session())
        clients._cache["ecr"] = _LocalRegistryEcr(clients.ecr, registry)
        try:
            digests = ecr.push_images(
                clients, image_set, docker_client=docker_client, progress=lambda _: None
            )
        finally:
            for ref in [f"{registry}/{r}" for r in image_set.as_dict().values()]:
                with contextlib.suppress(Exception):
                    docker_client.images.remove(ref)

    assert sorted(digests) == ["app", "nginx"]
    for name, ref in image_set.as_dict().items():
        repository, tag = ref.split(":", 1)
        uri, digest = digests[name].split("@", 1)
        assert uri == f"{registry}/{repository}" and digest.startswith("sha256:")
        manifest = requests.get(
            f"http://{registry}/v2/{repository}/manifests/{tag}",
            headers={"Accept": MANIFEST_TYPES},
            auth=(USER, PASSWORD),
            timeout=10,
        )
        assert manifest.status_code == 200
        assert manifest.headers["Docker-Content-Digest"] == digest


def test_wrong_credentials_fail_with_a_clear_error(
    docker_client: Any, small_images: ImageSet, registry: str
) -> None:
    image_set = small_images
    with mock_aws():
        clients = AwsClients(region="us-east-1", session=fake_session())
        clients._cache["ecr"] = _LocalRegistryEcr(clients.ecr, registry, password="wrong")
        with pytest.raises(ecr.AwsCallError) as caught:
            ecr.push_images(clients, image_set, docker_client=docker_client, progress=lambda _: None)
    assert caught.value.code == "LoginFailed" and registry in str(caught.value)
