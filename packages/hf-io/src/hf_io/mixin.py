"""``HuggingFaceFileIO``: search the Hub for NeMo models, push a model, and write its model card.

Any class with ``save_to(path)`` (and, to pull back, a classmethod ``restore_from(path)``) can mix it in; NeMo's
``ModelPT`` does. Nothing here imports torch or a model package.
"""

from __future__ import annotations

import os
from abc import ABC
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _hub
from ._fs import write_text_atomic
from .errors import InvalidModelFilterError, ModelCardError, ModelSaveError
from .model_card import (
    NEMO_DEFAULT_MODEL_CARD_TEMPLATE,
    card_data_yaml,
    format_count,
    pretty_model_name,
    substitute,
)

if TYPE_CHECKING:
    from huggingface_hub import ModelCard, ModelInfo

# Keys of older huggingface_hub ``ModelFilter`` objects that NeMo's docs still show; translated for list_models.
_TAG_KEYS = ("library", "language", "tags")
_METADATA_KEYS = ("resolve_card_info", "limit_results")


class HuggingFaceFileIO(ABC):  # noqa: B024 - a mixin without abstract methods, as in NeMo
    """Mixin that gives a model class Hugging Face Hub IO: search, push, and model cards.

    It needs the class to implement ``save_to(path)``; ``from_pretrained`` (through
    :func:`hf_io.resolve_pretrained`) also needs the classmethod ``restore_from(path)``.
    """

    # ------------------------------------------------------------------ search
    @classmethod
    def get_hf_model_filter(cls) -> dict[str, Any]:
        """Generate a filter for Hugging Face models: the keyword arguments of ``HfApi.list_models``.

        Also holds the default values of two metadata keys that are not ``list_models`` arguments:
        ``resolve_card_info`` (bool, default False: return each model's card metadata) and ``limit_results``
        (optional int: return at most this many models).

        Returns:
            A dict that :meth:`search_huggingface_models` accepts; modify it to narrow the search.
        """
        return {
            "author": None,
            "filter": ["nemo"],
            "model_name": None,
            "limit": None,
            "full": None,
            "cardData": False,
            "resolve_card_info": False,
            "limit_results": None,
        }

    @classmethod
    def search_huggingface_models(cls, model_filter: Mapping[str, Any] | None = None) -> list[ModelInfo]:
        """List the models on the Hub that match ``model_filter``, most recently modified first.

        Args:
            model_filter: Keyword arguments of ``HfApi.list_models`` (default :meth:`get_hf_model_filter`), plus
                the metadata keys ``resolve_card_info`` (bool: fetch card metadata) and ``limit_results`` (int).
                The keys NeMo's docs show from older clients still work: ``model_name`` (searched in model ids),
                ``library``, ``language``, ``tags`` (matched as tags) and ``task`` (the pipeline tag).

        Returns:
            A list of ``huggingface_hub.ModelInfo``; pass an entry's ``id`` (``modelId``) to ``from_pretrained``.

        Raises:
            InvalidModelFilterError: A key that ``list_models`` does not accept.
        """
        filt = dict(cls.get_hf_model_filter() if model_filter is None else model_filter)
        kwargs = _list_models_kwargs(filt)
        hf = _hub.hf()
        client = _hub.api(_hub.endpoint(), hf.get_token())
        kwargs.setdefault("sort", "lastModified")
        return list(client.list_models(**kwargs))

    # ------------------------------------------------------------------ push
    def push_to_hf_hub(
        self,
        repo_id: str,
        *,
        pack_nemo_file: bool = True,
        model_card: ModelCard | object | str | None = None,
        commit_message: str = "Push model using huggingface_hub.",
        private: bool = False,
        api_endpoint: str | None = None,
        token: str | None = None,
        branch: str | None = None,
        allow_patterns: list[str] | str | None = None,
        ignore_patterns: list[str] | str | None = None,
        delete_patterns: list[str] | str | None = None,
    ) -> str:
        """Upload the model to the Hub: one ``<name>.nemo`` file, or its unpacked contents, plus a model card.

        The repository is created if needed (``private`` applies only then), and ``branch`` too. The model is
        saved into a temporary folder, which is uploaded in one commit with ``upload_folder``; the model's own
        settings (its save connector's ``pack_nemo_file``) are the same afterwards.

        Args:
            repo_id: ``owner/name`` of the repository; ``name`` names the ``.nemo`` file.
            pack_nemo_file: Upload one ``.nemo`` file (True) or the files inside it (for models larger than the
                Hub's per-file limit).
            model_card: Card to upload as ``README.md``: a ``huggingface_hub.ModelCard`` or anything whose
                ``str()`` is the card text. Default: :meth:`generate_model_card`. ``{model_name}`` and
                ``{repo_id}`` in the text are replaced by the model's name and ``repo_id``.
            commit_message: Message of the commit.
            private: Create the repository as private.
            api_endpoint: The Hub to push to (default ``HF_ENDPOINT``, else huggingface.co).
            token: Token to authenticate with (default: ``HF_TOKEN`` or the one saved by ``hf auth login``).
            branch: Branch to push to (default ``main``); created from ``main`` when missing.
            allow_patterns: Only files matching one of these glob patterns are uploaded.
            ignore_patterns: Files matching any of these are not uploaded.
            delete_patterns: Remote files matching any of these are deleted in the same commit.

        Returns:
            The URL of the pushed branch: ``<endpoint>/<repo_id>/tree/<branch>``.

        Raises:
            InvalidRepoIdError: ``repo_id`` is not ``owner/name``.
            ModelSaveError: The model has no ``save_to`` or it did not write the model.
            huggingface_hub.errors.HfHubHTTPError: The Hub refused a request (no write access, ...).
        """
        import tempfile  # noqa: PLC0415 - keeps `import hf_io` light

        repo_id = _hub.check_repo_id(repo_id)
        name = repo_id.split("/", 1)[1]
        url = _hub.endpoint(api_endpoint)
        client = _hub.api(url, token if token is not None else _hub.hf().get_token())
        client.create_repo(repo_id=repo_id, private=private, exist_ok=True)
        if branch and branch != _hub.DEFAULT_REVISION:
            client.create_branch(repo_id=repo_id, branch=branch, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="hf-io-push-") as tmp:
            folder = Path(tmp) / "upload"
            folder.mkdir()
            saved = _save_for_upload(self, folder, name, pack_nemo_file, Path(tmp))
            text = self._card_text(model_card, name, repo_id, saved)
            write_text_atomic(folder / "README.md", text)
            client.upload_folder(
                repo_id=repo_id,
                folder_path=folder,
                commit_message=commit_message,
                revision=branch,
                allow_patterns=allow_patterns,
                ignore_patterns=ignore_patterns,
                delete_patterns=delete_patterns,
            )
        return f"{url}/{repo_id}/tree/{branch or _hub.DEFAULT_REVISION}"

    def _card_text(self, model_card: object, name: str, repo_id: str, saved: Path) -> str:
        """The README text: the given card or the generated one, with ``{model_name}``/``{repo_id}`` filled in."""
        names = {"model_name": pretty_model_name(name), "repo_id": repo_id}
        if model_card is None:
            count = _parameter_count(self)
            if count is None:
                count = _archive_parameter_count(saved)
            kwargs = {**names, "card_data": card_data_yaml(_class_path(type(self)), count)}
            kwargs["num_parameters"] = format_count(count)
            model_card = self.generate_model_card(type="hf", template_kwargs=kwargs)
        return substitute(str(model_card), names)

    # ------------------------------------------------------------------ model card
    def generate_model_card(
        self,
        type: str = "hf",
        template: str | None = None,
        template_kwargs: Mapping[str, Any] | None = None,
    ) -> ModelCard:
        """Generate the model card of this model for the Hub.

        Args:
            type: Kind of card; only ``"hf"`` (a Hugging Face ``ModelCard``) exists.
            template: Card text with ``{key}`` placeholders (default ``NEMO_DEFAULT_MODEL_CARD_TEMPLATE``: YAML
                front matter ``{card_data}`` then a description and a usage snippet).
            template_kwargs: Values for the placeholders; each ``{key}`` is replaced literally. Defaults:
                ``card_data`` (library ``nemo``, tags ``pytorch``/``NeMo``, license, model class, parameter
                count), ``model_class``, ``model_class_name``, ``model_module``, ``num_parameters``.
                ``{model_name}`` and ``{repo_id}`` are left for :meth:`push_to_hf_hub` unless given.

        Returns:
            A ``huggingface_hub.ModelCard``.

        Raises:
            ModelCardError: ``type`` is not ``"hf"``.
        """
        if type != "hf":
            raise ModelCardError(
                f"model card type {type!r} is not supported; use type='hf' (a Hugging Face card)."
            )
        cls = self.__class__
        count = _parameter_count(self)
        values: dict[str, Any] = {
            "card_data": None,
            "model_class": _class_path(cls),
            "model_class_name": cls.__qualname__,
            "model_module": cls.__module__,
            "num_parameters": format_count(count),
        }
        values.update(template_kwargs or {})
        if values["card_data"] is None:
            values["card_data"] = card_data_yaml(_class_path(cls), count)
        text = substitute(template if template is not None else NEMO_DEFAULT_MODEL_CARD_TEMPLATE, values)
        card: ModelCard = _hub.hf().ModelCard(text)
        return card


# ---------------------------------------------------------------------- helpers
def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _parameter_count(model: object) -> int | None:
    """The model's parameter count if it tells: ``num_weights`` (ModelPT) or ``parameters()`` (torch modules)."""
    count = getattr(model, "num_weights", None)
    if isinstance(count, int) and not isinstance(count, bool):
        return count
    parameters = getattr(model, "parameters", None)
    if callable(parameters):
        try:
            return sum(int(p.numel()) for p in parameters())
        except (TypeError, AttributeError):
            return None
    return None


def _archive_parameter_count(saved: Path) -> int | None:
    """Count the parameters in the saved weights without torch; None if they cannot be read that way."""
    from nemo_archive.archive import Archive  # noqa: PLC0415 - nemo_archive loads on first use
    from nemo_archive.errors import ArchiveError  # noqa: PLC0415

    try:
        with Archive(saved) as archive:
            return archive.parameter_count()
    except (ArchiveError, OSError):
        return None


def _save_for_upload(model: object, folder: Path, name: str, pack_nemo_file: bool, scratch: Path) -> Path:
    """Save ``model`` into ``folder`` as ``<name>.nemo`` or unpacked; return what to read the card facts from.

    A model whose save connector has a ``pack_nemo_file`` switch writes its unpacked form itself (the switch
    is set for the call and put back after); any other model is saved packed and unpacked here.
    """
    save_to = getattr(model, "save_to", None)
    if not callable(save_to):
        raise ModelSaveError(
            f"{type(model).__name__} has no save_to(path) method; HuggingFaceFileIO needs one to write the "
            "model (ModelPT provides it)."
        )
    if pack_nemo_file:
        target = folder / f"{name}.nemo"
        save_to(str(target))
        if not target.is_file():
            raise ModelSaveError(f"{type(model).__name__}.save_to({str(target)!r}) wrote no file there.")
        return target
    connector = getattr(model, "_save_restore_connector", None)
    if connector is not None and hasattr(connector, "pack_nemo_file"):
        previous = connector.pack_nemo_file
        connector.pack_nemo_file = False
        try:
            save_to(str(folder))
        finally:
            connector.pack_nemo_file = previous
    else:
        from nemo_archive.writer import unpack  # noqa: PLC0415 - nemo_archive loads on first use

        packed = scratch / f"{name}.nemo"
        save_to(str(packed))
        if not packed.is_file():
            raise ModelSaveError(f"{type(model).__name__}.save_to({str(packed)!r}) wrote no file there.")
        unpack(packed, folder)
        os.unlink(packed)
    if not (folder / "model_config.yaml").is_file():
        raise ModelSaveError(
            f"{type(model).__name__}.save_to with pack_nemo_file=False wrote no model_config.yaml into {folder}; "
            "the unpacked model must go into the given folder."
        )
    return folder


def _list_models_kwargs(filt: dict[str, Any]) -> dict[str, Any]:
    """Turn a NeMo model filter into ``HfApi.list_models`` keyword arguments.

    Raises:
        InvalidModelFilterError: A key that ``list_models`` does not accept and NeMo does not define.
    """
    if filt.pop("resolve_card_info", False):
        filt["cardData"] = True
    limit_results = filt.pop("limit_results", None)
    if limit_results is not None:
        filt["limit"] = limit_results
    model_name = filt.pop("model_name", None)
    if model_name and not filt.get("search"):
        filt["search"] = model_name
    task = filt.pop("task", None)
    if task and not filt.get("pipeline_tag"):
        filt["pipeline_tag"] = task
    tags: list[str] = list(_as_list(filt.pop("filter", None)))
    for key in _TAG_KEYS:
        tags.extend(_as_list(filt.pop(key, None)))
    if tags:
        filt["filter"] = list(dict.fromkeys(tags))
    import inspect  # noqa: PLC0415 - keeps `import hf_io` light

    accepted = set(inspect.signature(_hub.hf().HfApi.list_models).parameters) - {"self", "token"}
    unknown = sorted(set(filt) - accepted)
    if unknown:
        raise InvalidModelFilterError(
            f"model filter keys {unknown} are not arguments of HfApi.list_models; use its arguments "
            f"({', '.join(sorted(accepted))}) or NeMo's keys (model_name, library, language, tags, task, "
            f"{', '.join(_METADATA_KEYS)})."
        )
    return {k: v for k, v in filt.items() if v is not None}


def _as_list(value: object) -> Iterable[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]
