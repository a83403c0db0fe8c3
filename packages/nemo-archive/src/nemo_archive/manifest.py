"""The ``manifest.json`` member (SPEC.md §4): what was written, by whom, with which hashes and provenance."""


# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import CorruptArchiveError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "Manifest", "ManifestEntry"]

FORMAT_NAME = "nemo-archive"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ManifestEntry:
    """One member as recorded in the manifest.

    Attributes:
        name: Member name without ``./``.
        role: ``config``, ``artifact``, ``weights`` or ``other``.
        size: Size in bytes.
        sha256: Hex SHA-256 of the member's bytes.
    """

    name: str
    role: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest.

    Attributes:
        format_version: The archive format version (1).
        writer: ``{"name": ..., "version": ...}`` of the library that wrote the archive.
        created: ISO-8601 UTC time of the save.
        weights_format: ``ckpt`` or ``safetensors``.
        members: Every member but the manifest, in archive order.
        provenance: The caller's free mapping (source checkpoint, step, epoch, metric, versions, ...).
    """

    format_version: int
    writer: dict[str, Any]
    created: str
    weights_format: str
    members: tuple[ManifestEntry, ...]
    provenance: dict[str, Any] = field(default_factory=dict)

    def entry(self, name: str) -> ManifestEntry | None:
        """Return the entry of member ``name``, if listed."""
        return next((m for m in self.members if m.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The manifest as the JSON object stored in the archive."""
        return {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "writer": self.writer,
            "created": self.created,
            "weights_format": self.weights_format,
            "members": [
                {"name": m.name, "role": m.role, "size": m.size, "sha256": m.sha256} for m in self.members
            ],
            "provenance": self.provenance,
        }

    @classmethod
    def from_bytes(cls, data: bytes, path: object = None, member: str = "manifest.json") -> Manifest:
        """Parse the manifest member's bytes.

        Raises:
            CorruptArchiveError: Not JSON, or missing/mistyped keys.
        """
        try:
            raw = json.loads(data.decode("utf-8"))
            members = tuple(
                ManifestEntry(str(m["name"]), str(m.get("role", "other")), int(m["size"]), str(m["sha256"]))
                for m in raw["members"]
            )
            provenance = raw.get("provenance") or {}
            if raw.get("format") != FORMAT_NAME or not isinstance(provenance, dict):
                raise ValueError(f"format is {raw.get('format')!r}, expected {FORMAT_NAME!r}")
            return cls(
                format_version=int(raw["format_version"]),
                writer=dict(raw.get("writer") or {}),
                created=str(raw.get("created", "")),
                weights_format=str(raw.get("weights_format", "ckpt")),
                members=members,
                provenance=provenance,
            )
        except Exception as exc:  # any malformed JSON shape is a corrupt manifest
            raise CorruptArchiveError(
                f"manifest is not a valid nemo-archive manifest ({type(exc).__name__}: {exc}); re-save the "
                "archive "
                "or delete the member to treat the archive as NeMo-written.",
                path=path,
                member=member,
            ) from exc
