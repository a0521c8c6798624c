"""Reading ``--encryption-provider-config`` (``apiserver.config.k8s.io/v1 EncryptionConfiguration``).

Each ``resources`` entry names group-resources (``secrets``, ``deployments.apps``, ``*.apps``,
``*.`` for the core group, ``*.*`` for all) and an ordered list of providers; every key of
every provider becomes one prefixed transformer, the first of which encrypts. A resource takes
the transformer of its exact entry, else its group's ``*.group``, else ``*.*``, else none
(stored as is). Errors name the offending field as kube's validation does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from setpoint.apiserver.encryption.transformers import (
    AESCBCTransformer,
    AESGCMTransformer,
    Identity,
    PrefixTransformers,
    SecretboxTransformer,
    Transformer,
)

API_VERSIONS = ("apiserver.config.k8s.io/v1", "apiserver.k8s.io/v1")
_KEY_SIZES = {"aesgcm": (16, 24, 32), "aescbc": (32,), "secretbox": (32,)}
_TRANSFORMERS: dict[str, Callable[[bytes], Transformer]] = {
    "aesgcm": AESGCMTransformer, "aescbc": AESCBCTransformer, "secretbox": SecretboxTransformer}
_UNSUPPORTED = ("kms",)


class ConfigError(ValueError):
    """The encryption configuration is unusable."""


@dataclass
class EncryptionConfig:
    """The transformer of each configured group-resource (``(group, resource)``, ``*`` wildcards)."""

    transformers: dict[tuple[str, str], PrefixTransformers] = field(default_factory=dict)

    def for_resource(self, group: str, resource: str) -> PrefixTransformers | None:
        """As kube's ``TransformerForResource``: exact, then the group's ``*``, then ``*.*``."""
        t = self.transformers
        return t.get((group, resource)) or t.get((group, "*")) or t.get(("*", "*"))


def load(path: Path | str) -> EncryptionConfig:
    """Parse and validate the file at ``path``."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"error reading encryption provider configuration file {str(path)!r}: "
                          f"{exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"error decoding encryption provider configuration file {str(path)!r}: {exc}") from None
    return parse(data)


def parse(data: Any) -> EncryptionConfig:
    if not isinstance(data, dict):
        raise ConfigError("encryption provider configuration is not an object")
    if data.get("kind") != "EncryptionConfiguration" or data.get("apiVersion") not in API_VERSIONS:
        raise ConfigError(f"no kind \"{data.get('kind')}\" is registered for version \"{data.get('apiVersion')}\"; "
                          "expected kind EncryptionConfiguration, apiVersion apiserver.config.k8s.io/v1")
    entries = data.get("resources")
    if not entries:
        raise ConfigError("resources: Required value: resources is a required field")
    config = EncryptionConfig()
    for i, entry in enumerate(entries):
        path = f"resources[{i}]"
        names = (entry or {}).get("resources") or []
        if not names:
            raise ConfigError(f"{path}.resources: Required value: resources is a required field")
        providers = (entry or {}).get("providers") or []
        if not providers:
            raise ConfigError(f"{path}.providers: Required value: provider does not contain any of the expected "
                              "providers: KMS, secretbox, identity, aesgcm or aescbc")
        transformer = PrefixTransformers(_providers(providers, f"{path}.providers"))
        for j, name in enumerate(names):
            resource, _, group = str(name).partition(".")
            if resource != "*" and group == "*":
                raise ConfigError(f"{path}.resources[{j}]: Invalid value: {name!r}: use '*.*' to encrypt all the "
                                  "resources from all API groups")
            if (group, resource) in config.transformers:
                raise ConfigError(f"{path}.resources[{j}]: Duplicate value: {name!r}")
            config.transformers[(group, resource)] = transformer
    return config


def _providers(providers: list[Any], path: str) -> list[tuple[bytes, Transformer]]:
    out: list[tuple[bytes, Transformer]] = []
    for i, provider in enumerate(providers):
        where = f"{path}[{i}]"
        kinds = [k for k in (provider or {}) if k in ("aesgcm", "aescbc", "secretbox", "identity", *_UNSUPPORTED)]
        if len(kinds) != 1:
            raise ConfigError(f"{where}: Invalid value: {provider!r}: " + (
                "more than one provider specified in a single element, should split into different list elements"
                if kinds else "provider does not contain any of the expected providers: KMS, secretbox, identity, "
                              "aesgcm or aescbc"))
        kind = kinds[0]
        if kind in _UNSUPPORTED:
            raise ConfigError(f"{where}.{kind}: Unsupported value: setpoint supports the aesgcm, aescbc, "
                              "secretbox and identity providers")
        if kind == "identity":
            out.append((b"", Identity()))
            continue
        keys = (provider[kind] or {}).get("keys") or []
        if not keys:
            raise ConfigError(f"{where}.{kind}.keys: Required value: keys (each key with a name and a secret) "
                              "are required")
        for j, key in enumerate(keys):
            kpath = f"{where}.{kind}.keys[{j}]"
            name, secret = str(key.get("name") or ""), str(key.get("secret") or "")
            if not name:
                raise ConfigError(f"{kpath}.name: Required value: key's name is required")
            if ":" in name:
                raise ConfigError(f"{kpath}.name: Invalid value: {name!r}: should not contain ':'")
            try:
                raw = base64.b64decode(secret, validate=True)
            except (binascii.Error, ValueError):
                raise ConfigError(f"{kpath}.secret: Invalid value: \"REDACTED\": secrets must be base64 "
                                  "encoded") from None
            if len(raw) not in _KEY_SIZES[kind]:
                raise ConfigError(f"{kpath}.secret: Invalid value: \"REDACTED\": secret is not of the expected "
                                  f"length, got {len(raw)}, expected one of "
                                  f"[{' '.join(str(n) for n in _KEY_SIZES[kind])}]")
            prefix = f"k8s:enc:{kind}:v1:{name}:".encode()
            out.append((prefix, _TRANSFORMERS[kind](raw)))
    return out
