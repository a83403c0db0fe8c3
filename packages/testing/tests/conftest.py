# The loopback Hub must be configured before huggingface_hub is first imported (it reads HF_ENDPOINT once).
pytest_plugins = ["nemo_testing.plugin"]
