"""``nemo.utils.exp_manager``: ``exp_manager`` and its configuration classes."""

from expmanager import *  # noqa: F403
