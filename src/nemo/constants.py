"""``nemo.constants``: the names of the environment variables NeMo reads."""

from expmanager.constants import *  # noqa: F403
