"""Costs of moto and botocore that the unit tests paid again and again, paid once per process instead.

Measured by CPU profile (scripts/bench_unit.py, doc-F): on a deploy-and-destroy test, about a third of the
CPU went to these two, neither of which any test looks at.

- moto loads ~2,600 default AMIs (and makes a random id for each of their snapshots) every time it
  creates an EC2 backend, that is in every test that touches EC2 and again when `mock_aws` resets. The
  project runs Fargate tasks and never reads an AMI; moto's own switch turns the catalogue off.
- Every `AwsClients` builds a new boto3 session (as it should: clients are never global), and each new
  session has its own botocore `Loader`, which parses the services' JSON models again (EC2's is several
  MB). The models are the same files for the whole run, so every loader here shares one cache, keyed
  by the loader's search paths as botocore's per-loader cache would be. botocore already hands the same
  cached dict to every client a session makes, so sharing it between sessions changes nothing else.
- Every `mock_aws()` start registers, for `requests`, one `CallbackResponse` per HTTP method and AWS URL
  pattern (about 1,300 objects, ~15 ms of CPU), and throws them away when it stops. They hold a method, a
  pattern and moto's one callback, the same at every start: here each is made once and registered again
  at the next start (moto's reset gives `responses` a new registry each time, so nothing piles up).
- moto generates an RSA-2048 private key (about 40 ms of CPU) for every KMS key it creates, a symmetric
  one included, although only an asymmetric key's Sign and Verify ever read it; every state's data
  (and so nearly every deploy test) creates a KMS key. Here one private key per key spec is made per
  process and shared by all; a symmetric key's own material (what Encrypt uses) is still its own.
- Every new botocore session registers ~130 built-in event handlers and checks each one's signature
  with `inspect` (a third of the session's cost); a function's signature does not change, so the check
  is remembered per function. And every client built its class anew, one method per operation (EC2's
  ~700 make an EC2 client cost twice a session): here a class is made once per service model (the
  loaders share the models, see above) and reused. Every client here comes from a boto3 session, whose
  handlers for `creating-client-class` are the same, so the classes would be equal anyway.
- Each session's event aliaser remembers how it renamed each event name, but starts with an empty memo,
  so every new session worked out the ~130 names of its built-in handlers again (8 % of a deploy test's
  CPU). Aliasers with botocore's default alias table share one memo here (the answer depends on the
  table alone).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore import client as botocore_client
from botocore import hooks, loaders
from moto.core import models as moto_models
from moto.kms import models as kms_models

# moto/settings.py: ec2_load_default_amis() reads this each time an EC2 backend is created.
NO_DEFAULT_AMIS = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}

_MODELS: dict[tuple[Any, ...], Any] = {}


class _SharedLoaderCache:
    """The `_cache` that botocore's `instance_cache` reads and writes, shared by every Loader here."""

    def __init__(self, loader: loaders.Loader) -> None:
        self._loader = loader

    def _key(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        # Search paths are read at each lookup: boto3 appends its own data path after the loader is built.
        return (tuple(self._loader.search_paths), tuple(self._loader.extras_types), key)

    def __contains__(self, key: tuple[Any, ...]) -> bool:
        return self._key(key) in _MODELS

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        return _MODELS[self._key(key)]

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        _MODELS[self._key(key)] = value


_CALLBACK_RESPONSES: dict[tuple[Any, ...], Any] = {}


def _shared_callback_response(*args: Any, **kwargs: Any) -> Any:
    """moto's CallbackResponse, made once per (method, URL pattern, callback) and then reused."""
    key = (args, tuple(sorted(kwargs.items())))
    if key not in _CALLBACK_RESPONSES:
        _CALLBACK_RESPONSES[key] = _MOTO_CALLBACK_RESPONSE(*args, **kwargs)
    return _CALLBACK_RESPONSES[key]


_MOTO_CALLBACK_RESPONSE = moto_models.CallbackResponse


_PRIVATE_KEYS: dict[str, Any] = {}
_MOTO_PRIVATE_KEY = kms_models.generate_private_key


def _shared_private_key(key_spec: str) -> Any:
    """The private key moto gives a new KMS key of `key_spec`: one per spec for the whole process."""
    if key_spec not in _PRIVATE_KEYS:
        _PRIVATE_KEYS[key_spec] = _MOTO_PRIVATE_KEY(key_spec)
    return _PRIVATE_KEYS[key_spec]


_ACCEPTS_KWARGS: dict[Any, bool] = {}
_BOTOCORE_ACCEPTS_KWARGS = hooks.accepts_kwargs


def _remembered_accepts_kwargs(func: Any) -> bool:
    if func not in _ACCEPTS_KWARGS:
        _ACCEPTS_KWARGS[func] = _BOTOCORE_ACCEPTS_KWARGS(func)
    return _ACCEPTS_KWARGS[func]


# (service name, id of its model's description) -> (that description, the class): the description is kept
# so that its id is never reused by another model while the entry lives.
_CLIENT_CLASSES: dict[tuple[str, int], tuple[Any, type]] = {}
_BOTOCORE_CLIENT_CLASS = botocore_client.ClientCreator._create_client_class


def _shared_client_class(creator: Any, service_name: str, service_model: Any) -> type:
    description = service_model._service_description
    key = (service_name, id(description))
    if key not in _CLIENT_CLASSES:
        _CLIENT_CLASSES[key] = (description, _BOTOCORE_CLIENT_CLASS(creator, service_name, service_model))
    return _CLIENT_CLASSES[key][1]


_ALIASED_NAMES: dict[str, str] = {}
_BOTOCORE_ALIASER_INIT = hooks.EventAliaser.__init__


def _aliaser_init(self: hooks.EventAliaser, event_emitter: Any, event_aliases: Any = None) -> None:
    _BOTOCORE_ALIASER_INIT(self, event_emitter, event_aliases)
    if event_aliases is None:  # botocore's own table: the same answers for every aliaser
        self._alias_name_cache = _ALIASED_NAMES


@contextmanager
def moto_speedups() -> Iterator[None]:
    original_init = loaders.Loader.__init__

    def init(self: loaders.Loader, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._cache = _SharedLoaderCache(self)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in NO_DEFAULT_AMIS.items():
            patch.setenv(name, value)
        patch.setattr(loaders.Loader, "__init__", init)
        patch.setattr(moto_models, "CallbackResponse", _shared_callback_response)
        patch.setattr(kms_models, "generate_private_key", _shared_private_key)
        patch.setattr(hooks, "accepts_kwargs", _remembered_accepts_kwargs)
        patch.setattr(botocore_client.ClientCreator, "_create_client_class", _shared_client_class)
        patch.setattr(hooks.EventAliaser, "__init__", _aliaser_init)
        yield
