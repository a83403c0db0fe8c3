"""``nemo.utils.exceptions``: the root exception every nemo-core package's errors derive from."""

from neural_types.errors import LightningNotInstalledException, NeMoBaseException

__all__ = ["LightningNotInstalledException", "NeMoBaseException"]
