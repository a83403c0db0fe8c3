"""``nemo.core.config.templates.model_card``: the default Hugging Face model card template."""

from hf_io.model_card import NEMO_DEFAULT_MODEL_CARD_TEMPLATE

__all__ = ["NEMO_DEFAULT_MODEL_CARD_TEMPLATE"]
