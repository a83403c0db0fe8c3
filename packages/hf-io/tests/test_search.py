"""get_hf_model_filter / search_huggingface_models against the loopback Hub."""

from __future__ import annotations

from typing import Any

import pytest

from hf_io import HuggingFaceFileIO, InvalidModelFilterError
from nemo_testing.hub_server import LoopbackHub


def _card(*tags: str, language: str = "en") -> bytes:
    lines = "".join(f"- {t}\n" for t in tags)
    return f"---\nlibrary_name: nemo\nlanguage: {language}\ntags:\n{lines}pipeline_tag: asr\n---\n".encode()


@pytest.fixture
def hub(empty_hf_hub: LoopbackHub) -> LoopbackHub:
    empty_hf_hub.seed("nvidia/stt_en_small", {"README.md": _card("NeMo", "asr"), "stt_en_small.nemo": b"1"})
    empty_hf_hub.seed("nvidia/tts_en", {"README.md": _card("NeMo", "tts"), "tts_en.nemo": b"2"})
    empty_hf_hub.seed("other/stt_de", {"README.md": _card("NeMo", "asr", language="de"), "stt_de.nemo": b"3"})
    empty_hf_hub.seed("other/bert", {"README.md": b"---\nlibrary_name: transformers\n---\n"})
    return empty_hf_hub


def test_default_filter() -> None:
    assert HuggingFaceFileIO.get_hf_model_filter() == {
        "author": None,
        "filter": ["nemo"],
        "model_name": None,
        "limit": None,
        "full": None,
        "cardData": False,
        "resolve_card_info": False,
        "limit_results": None,
    }


def test_search_finds_nemo_models_newest_first(hub: LoopbackHub) -> None:
    ids = [m.id for m in HuggingFaceFileIO.search_huggingface_models()]
    assert ids == ["other/stt_de", "nvidia/tts_en", "nvidia/stt_en_small"]
    assert ("GET", "/api/models") in hub.requests


def test_search_with_filters(hub: LoopbackHub, model_classes: Any) -> None:
    cls = model_classes[0]
    filt = cls.get_hf_model_filter()
    filt["author"] = "nvidia"
    assert {m.id for m in cls.search_huggingface_models(filt)} == {"nvidia/stt_en_small", "nvidia/tts_en"}
    filt = cls.get_hf_model_filter()
    filt["model_name"] = "stt"
    assert {m.id for m in cls.search_huggingface_models(filt)} == {"nvidia/stt_en_small", "other/stt_de"}
    # the keys of NeMo's docs: language and tags are matched as tags
    filt = cls.get_hf_model_filter()
    filt["language"] = ["de"]
    filt["tags"] = ["asr"]
    assert [m.id for m in cls.search_huggingface_models(filt)] == ["other/stt_de"]
    filt = cls.get_hf_model_filter()
    filt["limit_results"] = 2
    assert len(cls.search_huggingface_models(filt)) == 2
    filt["limit"] = 1
    filt["limit_results"] = None
    assert len(cls.search_huggingface_models(filt)) == 1


def test_card_info_on_request(hub: LoopbackHub) -> None:
    plain = HuggingFaceFileIO.search_huggingface_models({"filter": "tts"})
    assert [m.card_data for m in plain] == [None]
    filt = HuggingFaceFileIO.get_hf_model_filter()
    filt["resolve_card_info"] = True
    filt["search"] = "tts"
    (info,) = HuggingFaceFileIO.search_huggingface_models(filt)
    assert info.card_data is not None
    assert info.card_data.tags == ["NeMo", "tts"]
    assert info.card_data.library_name == "nemo"


def test_unknown_filter_key(hub: LoopbackHub) -> None:
    with pytest.raises(InvalidModelFilterError, match=r"\['colour'\] are not arguments of HfApi.list_models"):
        HuggingFaceFileIO.search_huggingface_models({"colour": "red"})


def test_pushed_models_are_found(empty_hf_hub: LoopbackHub, tiny_model: Any) -> None:
    tiny_model.push_to_hf_hub("nemo-tester/findable")
    tiny_model.push_to_hf_hub("nemo-tester/secret", private=True)
    found = [m.id for m in type(tiny_model).search_huggingface_models()]
    assert found == ["nemo-tester/secret", "nemo-tester/findable"]
