"""``nemo.utils.loggers.mlflow_logger``: ``MLFlowParams``, the type of ``exp_manager``'s ``mlflow_logger_kwargs``."""

from expmanager.config import MLFlowParams

__all__ = ["MLFlowParams"]
