"""The few Docker engine calls the local platform makes, through the docker SDK client passed in.

Every call goes through here, so unit tests drive the platform with a small fake client, and every Docker
error becomes a HumangovError that says which object failed.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable, Mapping
from typing import Any

from humangov_deploy.errors import ConfigError, DeploymentFailed
from humangov_deploy.platforms.local import spec


def docker_client() -> Any:
    """A docker SDK client from the environment (DOCKER_HOST, or the local socket), checked to answer."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:  # pragma: no cover - docker is a dependency of the package
        raise ConfigError("the local platform needs the docker SDK: pip install docker") from exc
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except DockerException as exc:
        raise ConfigError(
            f"no Docker engine answers ({exc}); the local platform needs a running Docker daemon"
        ) from exc
    return client


def _api_error() -> tuple[type[BaseException], ...]:
    from docker.errors import APIError, DockerException

    return (APIError, DockerException)


def _not_found() -> type[BaseException]:
    from docker.errors import NotFound

    return NotFound


def list_containers(client: Any, state: str, **labels: str) -> list[Any]:
    filters = spec.state_filter(state)
    filters["label"] += [f"{k}={v}" for k, v in labels.items()]
    return list(client.containers.list(all=True, filters=filters))


def list_networks(client: Any, state: str) -> list[Any]:
    return list(client.networks.list(filters=spec.state_filter(state)))


def list_volumes(client: Any, state: str) -> list[Any]:
    return list(client.volumes.list(filters=spec.state_filter(state)))


def labels_of(obj: Any) -> dict[str, str]:
    """Labels of a container or network as the engine reports them."""
    attrs = getattr(obj, "attrs", {}) or {}
    labels = attrs.get("Labels")
    if labels is None:
        labels = (attrs.get("Config") or {}).get("Labels")
    return dict(labels or {})


def ensure_network(client: Any, name: str, labels: Mapping[str, str]) -> Any:
    """The network `name`, created with `labels` if missing (an existing one keeps its labels)."""
    for network in client.networks.list(names=[name]):
        if network.name == name:
            return network
    try:
        return client.networks.create(name, driver="bridge", labels=dict(labels), check_duplicate=True)
    except _api_error() as exc:
        raise DeploymentFailed(f"creating Docker network {name} failed: {exc}") from exc


def tar_files(files: Mapping[str, str]) -> bytes:
    """A tar archive of text files (path relative to /), readable by everyone, for put_archive."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_container(
    client: Any,
    *,
    name: str,
    image: str,
    labels: Mapping[str, str],
    network: str | None = None,
    aliases: Iterable[str] = (),
    extra_networks: Iterable[str] = (),
    files: Mapping[str, str] | None = None,
    **options: Any,
) -> Any:
    """Create a container, attach its networks, copy `files` into it, then start it.

    Files are copied before the start so the process reads its final configuration at once; extra
    networks are attached before the start so the process never sees a partial network.
    """
    try:
        if network and aliases:
            endpoint = client.api.create_endpoint_config(aliases=list(aliases))
            options["networking_config"] = {network: endpoint}
        container = client.containers.create(
            image, name=name, labels=dict(labels), network=network, detach=True, **options
        )
        for extra in extra_networks:
            client.networks.get(extra).connect(container)
        if files:
            # put_archive extracts at the given directory; paths in the tar are relative to /.
            container.put_archive("/", tar_files(files))
        container.start()
    except _api_error() as exc:
        raise DeploymentFailed(f"starting container {name} from {image} failed: {exc}") from exc
    return container


def host_port(container: Any, port: int) -> int | None:
    """The loopback host port Docker published for the container's `port`, once it runs."""
    container.reload()
    bindings = ((container.attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{port}/tcp") or []
    for binding in bindings:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


def remove_container(container: Any, *, timeout: int = 10) -> None:
    """Stop gracefully (the image's stop signal, then SIGKILL after `timeout`), then remove."""
    try:
        if container.status in ("running", "restarting", "paused"):
            container.stop(timeout=timeout)
        container.remove(force=True, v=True)
    except _not_found():
        return  # already gone: that is what we wanted
    except _api_error() as exc:
        raise DeploymentFailed(f"removing container {container.name} failed: {exc}") from exc


def remove_network(network: Any) -> None:
    try:
        network.remove()
    except _not_found():
        return
    except _api_error() as exc:
        raise DeploymentFailed(f"removing network {network.name} failed: {exc}") from exc


def remove_volume(volume: Any) -> None:
    try:
        volume.remove(force=True)
    except _not_found():
        return
    except _api_error() as exc:
        raise DeploymentFailed(f"removing volume {volume.name} failed: {exc}") from exc


def image_exists(client: Any, tag: str) -> bool:
    try:
        client.images.get(tag)
    except _not_found():
        return False
    return True


def image_id(client: Any, tag: str) -> str:
    try:
        return str(client.images.get(tag).id)
    except _not_found() as exc:
        raise ConfigError(f"image {tag} is missing; build it with `humangov build`") from exc
