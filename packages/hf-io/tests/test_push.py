"""push_to_hf_hub against the loopback Hub, pulled back through the real client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError

from hf_io import InvalidRepoIdError, ModelSaveError, resolve_pretrained
from nemo_archive import Archive, unpack
from nemo_testing.hub_server import LoopbackHub


def _files(repo_id: str, revision: str | None = None) -> list[str]:
    return sorted(HfApi().list_repo_files(repo_id, revision=revision))


def _readme(repo_id: str, revision: str | None = None) -> str:
    return Path(hf_hub_download(repo_id, "README.md", revision=revision)).read_text(encoding="utf-8")


def _front_matter(text: str) -> dict[str, Any]:
    assert text.startswith("---\n")
    data = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(data, dict)
    return data


def test_push_packed_uploads_one_nemo_file_and_pulls_back_identical(
    empty_hf_hub: LoopbackHub, tiny_model: Any
) -> None:
    url = tiny_model.push_to_hf_hub("nemo-tester/tiny_asr")
    assert url == f"{empty_hf_hub.url}/nemo-tester/tiny_asr/tree/main"
    assert _files("nemo-tester/tiny_asr") == [".gitattributes", "README.md", "tiny_asr.nemo"]
    ((saved_path, saved_bytes),) = tiny_model.saved
    assert saved_path.endswith("/tiny_asr.nemo")
    pulled = resolve_pretrained("nemo-tester/tiny_asr")
    assert pulled.name == "tiny_asr.nemo"
    assert pulled.read_bytes() == saved_bytes
    restored = type(tiny_model).restore_from(str(pulled))
    assert restored.weights == tiny_model.weights
    assert restored.vocab == tiny_model.vocab
    assert restored.cfg == tiny_model.cfg


def test_push_unpacked_uploads_the_archive_members(
    empty_hf_hub: LoopbackHub, tiny_model: Any, tmp_path: Path
) -> None:
    tiny_model.push_to_hf_hub("nemo-tester/big-model", pack_nemo_file=False)
    ((_, saved_bytes),) = tiny_model.saved
    packed = tmp_path / "saved.nemo"
    packed.write_bytes(saved_bytes)
    expected = tmp_path / "expected"
    unpack(packed, expected)
    members = sorted(p.name for p in expected.iterdir())
    assert "model_config.yaml" in members
    assert any(m.endswith("_vocab.txt") for m in members)
    assert _files("nemo-tester/big-model") == sorted([".gitattributes", "README.md", *members])
    pulled = resolve_pretrained("nemo-tester/big-model")
    assert pulled.is_dir()
    assert sorted(p.name for p in pulled.iterdir()) == members
    for name in members:
        assert not (pulled / name).is_symlink()
        assert (pulled / name).read_bytes() == (expected / name).read_bytes()
    restored = type(tiny_model).restore_from(str(pulled))
    assert restored.weights == tiny_model.weights
    assert restored.vocab == tiny_model.vocab


def test_push_unpacked_through_the_models_connector_leaves_its_setting(
    empty_hf_hub: LoopbackHub, connector_model: Any
) -> None:
    connector_model.push_to_hf_hub("nemo-tester/with-connector", pack_nemo_file=False)
    ((folder, pack),) = connector_model.save_calls
    assert pack is False
    assert not folder.endswith(".nemo")
    assert connector_model._save_restore_connector.pack_nemo_file is True
    assert "model_config.yaml" in _files("nemo-tester/with-connector")
    connector_model.push_to_hf_hub("nemo-tester/with-connector-packed")
    assert connector_model.save_calls[-1][1] is True
    assert connector_model._save_restore_connector.pack_nemo_file is True
    assert "with-connector-packed.nemo" in _files("nemo-tester/with-connector-packed")


def test_default_model_card(empty_hf_hub: LoopbackHub, tiny_model: Any) -> None:
    tiny_model.push_to_hf_hub("nemo-tester/my_tiny_model")
    text = _readme("nemo-tester/my_tiny_model")
    meta = _front_matter(text)
    assert meta["library_name"] == "nemo"
    assert meta["tags"] == ["pytorch", "NeMo"]
    assert meta["license"] == "cc-by-4.0"
    assert meta["model_class"].endswith(".TinyModel")
    assert meta["num_parameters"] == 6  # counted in the uploaded weights, without torch
    assert "# My Tiny Model" in text
    assert 'TinyModel.from_pretrained("nemo-tester/my_tiny_model")' in text
    assert "{" + "repo_id}" not in text
    assert "{" + "model_name}" not in text
    info = HfApi().model_info("nemo-tester/my_tiny_model")
    assert info.library_name == "nemo"
    assert info.tags is not None
    assert "NeMo" in info.tags


def test_generate_model_card_defaults_and_templates(connector_model: Any) -> None:
    card = connector_model.generate_model_card()
    assert card.data.library_name == "nemo"
    assert card.data.to_dict()["num_parameters"] == 1234  # the model's own num_weights
    assert "1,234 (1.2K)" in str(card)
    assert "{repo_id}" in str(card)  # left for push_to_hf_hub to fill in
    template = " <Your own custom template>\n# {model_name}\n{repo_id} {unknown}"
    custom = connector_model.generate_model_card(
        template=template, template_kwargs={"model_name": "ABC", "repo_id": "nvidia/ABC_XYZ"}, type="hf"
    )
    # huggingface_hub's ModelCard gives a card without metadata an empty metadata block
    assert custom.text.strip() == "<Your own custom template>\n# ABC\nnvidia/ABC_XYZ {unknown}"
    with pytest.raises(ValueError, match="model card type 'md' is not supported; use type='hf'"):
        connector_model.generate_model_card(type="md")


def test_custom_model_cards_get_their_placeholders_filled(empty_hf_hub: LoopbackHub, tiny_model: Any) -> None:
    class MyModelCard:
        def __init__(self, model_name: str) -> None:
            self.model_name = model_name

        def __repr__(self) -> str:
            return f"This is the {self.model_name} model, {{model_name}} at {{repo_id}}"

    with pytest.warns(UserWarning, match="empty or missing yaml metadata"):
        tiny_model.push_to_hf_hub("nemo-tester/custom_card", model_card=MyModelCard("ABC"))
    assert (
        _readme("nemo-tester/custom_card") == "This is the ABC model, Custom Card at nemo-tester/custom_card"
    )
    card = tiny_model.generate_model_card(template="---\nlicense: mit\n---\n# {model_name}\n")
    tiny_model.push_to_hf_hub("nemo-tester/card_object", model_card=card)
    assert _readme("nemo-tester/card_object") == "---\nlicense: mit\n---\n# Card Object\n"


def test_private_repository(empty_hf_hub: LoopbackHub, tiny_model: Any) -> None:
    tiny_model.push_to_hf_hub("nemo-tester/hidden", private=True)
    assert HfApi().model_info("nemo-tester/hidden").private is True
    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=False).model_info("nemo-tester/hidden")
    assert resolve_pretrained("nemo-tester/hidden").name == "hidden.nemo"
    tiny_model.push_to_hf_hub("nemo-tester/visible")
    assert HfApi(token=False).model_info("nemo-tester/visible").private is False


def test_push_to_a_branch(empty_hf_hub: LoopbackHub, tiny_model: Any) -> None:
    url = tiny_model.push_to_hf_hub("nemo-tester/branched", branch="dev")
    assert url == f"{empty_hf_hub.url}/nemo-tester/branched/tree/dev"
    assert _files("nemo-tester/branched") == [".gitattributes"]
    assert _files("nemo-tester/branched", "dev") == [".gitattributes", "README.md", "branched.nemo"]
    assert resolve_pretrained("nemo-tester/branched@dev").read_bytes() == tiny_model.saved[-1][1]
    tiny_model.push_to_hf_hub("nemo-tester/branched", branch="dev", commit_message="second push")
    assert HfApi().list_repo_commits("nemo-tester/branched", revision="dev")[0].title == "second push"


def test_allow_ignore_and_delete_patterns(empty_hf_hub: LoopbackHub, tiny_model: Any) -> None:
    tiny_model.push_to_hf_hub("nemo-tester/allow", allow_patterns=["*.nemo"])
    assert _files("nemo-tester/allow") == [".gitattributes", "allow.nemo"]
    tiny_model.push_to_hf_hub("nemo-tester/ignore", ignore_patterns="README.md")
    assert _files("nemo-tester/ignore") == [".gitattributes", "ignore.nemo"]
    empty_hf_hub.seed("nemo-tester/delete", {"old/notes.txt": b"x", "stale.nemo": b"y", "keep.md": b"z"})
    tiny_model.push_to_hf_hub("nemo-tester/delete", delete_patterns=["*.txt", "stale.nemo"])
    assert _files("nemo-tester/delete") == [".gitattributes", "README.md", "delete.nemo", "keep.md"]


def test_bad_inputs(empty_hf_hub: LoopbackHub, tiny_model: Any) -> None:
    for bad in ("no-owner", "a/b/c", "owner/", "/name", "own er/name", 42):
        with pytest.raises(InvalidRepoIdError, match="expected exactly 'owner/name'"):
            tiny_model.push_to_hf_hub(bad)
    assert empty_hf_hub.requests == []

    class NotAModel(type(tiny_model).__mro__[1]):  # HuggingFaceFileIO alone: no save_to
        pass

    with pytest.raises(ModelSaveError, match="has no save_to"):
        NotAModel().push_to_hf_hub("nemo-tester/nothing")

    class SavesNothing(type(tiny_model)):
        def save_to(self, save_path: str) -> str:
            return save_path

    with pytest.raises(ModelSaveError, match="wrote no file"):
        SavesNothing().push_to_hf_hub("nemo-tester/nothing")


def test_push_to_an_explicit_endpoint(tiny_model: Any) -> None:
    other = LoopbackHub(token="other-token", user="someone").start()
    try:
        url = tiny_model.push_to_hf_hub("someone/elsewhere", api_endpoint=other.url, token="other-token")
        assert url == f"{other.url}/someone/elsewhere/tree/main"
        assert "elsewhere.nemo" in HfApi(endpoint=other.url, token="other-token").list_repo_files(
            "someone/elsewhere"
        )
        with Archive(
            resolve_pretrained("someone/elsewhere", api_endpoint=other.url, token="other-token")
        ) as a:
            assert a.config["hidden"] == 4
    finally:
        other.stop()
