"""``nemo.utils.s3_dirpath_utils``: tell S3 URLs from local paths."""

from __future__ import annotations

__all__ = ["build_s3_url", "is_s3_url"]

S3_PATH_PREFIX = "s3://"


def build_s3_url(bucket: str, key: str) -> str:
    """``s3://bucket/key``."""
    return f"{S3_PATH_PREFIX}{bucket}/{key}"


def is_s3_url(path: str | None) -> bool:
    """True when ``path`` is a string starting with ``s3://``."""
    return isinstance(path, str) and path.startswith(S3_PATH_PREFIX)
