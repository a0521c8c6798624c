"""Encryption at rest: kube-apiserver's ``--encryption-provider-config``.

``config.load`` reads an ``apiserver.config.k8s.io/v1 EncryptionConfiguration``;
``transformers`` holds kube's value transformers (aesgcm, aescbc, identity) and the
prefix transformer that chooses among them; ``storage.EncryptedStorage`` wraps a
:class:`setpoint.storage.Storage` so values of the configured resources are encrypted
on write and decrypted on read, below the object store and the watch cache.
"""

from setpoint.apiserver.encryption.config import ConfigError, EncryptionConfig, load
from setpoint.apiserver.encryption.storage import EncryptedStorage, TransformError

__all__ = ["ConfigError", "EncryptedStorage", "EncryptionConfig", "TransformError", "load"]
