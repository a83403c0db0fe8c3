"""The root exception shared by nemo-core's packages."""

from __future__ import annotations

import pytest

import neural_types
from neural_types.errors import LightningNotInstalledException, NeMoBaseException, NeuralTypeError


def test_nemo_base_exception_carries_its_message_in_str_and_attribute():
    exc = NeMoBaseException("what went wrong and how to fix it")
    assert str(exc) == exc.message == "what went wrong and how to fix it"
    assert str(NeMoBaseException()) == ""
    with pytest.raises(NeMoBaseException):
        raise exc


def test_lightning_not_installed_names_the_object_and_the_fix():
    class Trainer:
        pass

    exc = LightningNotInstalledException(Trainer)
    assert isinstance(exc, NeMoBaseException)
    assert exc.obj is Trainer
    assert "Trainer" in str(exc)
    assert "pip install" in str(exc)
    assert str(LightningNotInstalledException("exp_manager")).startswith("exp_manager needs lightning")


def test_exported_at_the_top_and_independent_of_neural_type_errors():
    assert neural_types.NeMoBaseException is NeMoBaseException
    assert neural_types.LightningNotInstalledException is LightningNotInstalledException
    # NeMo's NeuralTypeError derives from Exception only; except-clauses for one must not catch the other.
    assert not issubclass(NeuralTypeError, NeMoBaseException)
