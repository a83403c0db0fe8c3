"""``nemo.utils.data_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "DataStoreObject",
    "ais_cache_base",
    "ais_endpoint",
    "ais_endpoint_to_dir",
    "bucket_and_object_from_uri",
    "datastore_object_get",
    "datastore_path_to_local_path",
    "get_datastore_object",
    "is_datastore_cache_shared",
    "is_datastore_path",
    "is_tarred_path",
    "open_best",
    "open_datastore_object_with_binary",
    "resolve_cache_dir",
    "wds_url_opener",
]


class DataStoreObject(Unported):
    """NeMo's ``DataStoreObject``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.data_utils.DataStoreObject"


def ais_cache_base(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``ais_cache_base``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.ais_cache_base")


def ais_endpoint(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``ais_endpoint``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.ais_endpoint")


def ais_endpoint_to_dir(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``ais_endpoint_to_dir``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.ais_endpoint_to_dir")


def bucket_and_object_from_uri(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``bucket_and_object_from_uri``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.bucket_and_object_from_uri")


def datastore_object_get(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``datastore_object_get``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.datastore_object_get")


def datastore_path_to_local_path(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``datastore_path_to_local_path``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.datastore_path_to_local_path")


def get_datastore_object(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_datastore_object``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.get_datastore_object")


def is_datastore_cache_shared(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_datastore_cache_shared``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.is_datastore_cache_shared")


def is_datastore_path(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_datastore_path``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.is_datastore_path")


def is_tarred_path(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_tarred_path``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.is_tarred_path")


def open_best(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``open_best``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.open_best")


def open_datastore_object_with_binary(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``open_datastore_object_with_binary``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.open_datastore_object_with_binary")


def resolve_cache_dir(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``resolve_cache_dir``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.resolve_cache_dir")


def wds_url_opener(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``wds_url_opener``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.data_utils.wds_url_opener")
