"""``nemo.core.config.templates``: text templates NeMo fills in (the Hugging Face model card)."""
