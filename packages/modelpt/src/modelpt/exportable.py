# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``Exportable``: export a module to ONNX or TorchScript, chosen by the output file's extension.

Inputs and outputs are named after the neural types; for ONNX the batch/time/width/height axes of the
inputs are made dynamic. ``check_trace`` runs the exported file (onnxruntime, or the reloaded TorchScript
module) on the example and compares it with the eager output.
"""

from __future__ import annotations

import inspect
import os
from abc import ABC
from collections.abc import Sequence
from enum import Enum
from typing import Any, cast

import torch

from modelpt.errors import ExportError, MissingDependencyError
from neural_types import AxisKind, NeuralType, typecheck
from neural_types import is_typecheck_enabled as _typecheck_enabled

__all__ = ["Exportable", "ExportFormat", "get_export_format", "get_dynamic_axes", "parse_input_example"]

_DYNAMIC_KINDS = (AxisKind.Batch, AxisKind.Time, AxisKind.Width, AxisKind.Height)
DEFAULT_OPSET = 17


class ExportFormat(Enum):
    """Which export a file extension selects."""

    ONNX = 1
    TORCHSCRIPT = 2


_EXT_TO_FORMAT = {
    ".onnx": ExportFormat.ONNX,
    ".pt": ExportFormat.TORCHSCRIPT,
    ".ts": ExportFormat.TORCHSCRIPT,
}


def get_export_format(filename: str) -> ExportFormat:
    """The format selected by ``filename``'s (lower-cased) extension.

    Raises:
        ValueError: The extension is not ``.onnx``, ``.pt`` or ``.ts``.
    """
    ext = os.path.splitext(filename)[1].lower()
    if ext not in _EXT_TO_FORMAT:
        raise ValueError(
            f"export file {filename!r} has extension {ext!r}; expected one of {sorted(_EXT_TO_FORMAT)}"
        )
    return _EXT_TO_FORMAT[ext]


def get_dynamic_axes(types: dict[str, Any] | None, names: Sequence[str]) -> dict[str, list[int]]:
    """For each name, the indices of its axes of kind Batch, Time, Width or Height (container specs unwrapped)."""
    axes: dict[str, list[int]] = {}
    for name in names:
        spec = (types or {}).get(name)
        while isinstance(spec, (list, tuple)):
            spec = spec[0]
        if isinstance(spec, NeuralType) and spec.axes is not None:
            dyn = [i for i, a in enumerate(spec.axes) if a.kind in _DYNAMIC_KINDS]
            if dyn:
                axes[name] = dyn
    return axes


def parse_input_example(input_example: Any) -> tuple[list[Any], dict[str, Any]]:
    """Split an example into positional values and keyword values (a trailing dict holds the keywords)."""
    if isinstance(input_example, dict):
        return [], dict(input_example)
    if not isinstance(input_example, (list, tuple)):
        return [input_example], {}
    values = list(input_example)
    if values and isinstance(values[-1], dict):
        return values[:-1], dict(values.pop())
    return values, {}


def _flatten(outputs: Any) -> list[torch.Tensor]:
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    flat: list[torch.Tensor] = []
    for item in outputs:
        flat.extend(_flatten(item))
    return flat


class Exportable(ABC):
    """Mixin giving a ``torch.nn.Module`` (NeuralModule or ModelPT) ``export()``."""

    export_config: dict[str, Any]

    @property
    def input_module(self) -> Any:
        """The module whose ``input_types`` and ``input_example`` describe the exported inputs."""
        return self

    @property
    def output_module(self) -> Any:
        """The module whose ``output_types`` describe the exported outputs."""
        return self

    @property
    def input_types_for_export(self) -> Any:
        """Input types used for export names (default: ``input_types``)."""
        return getattr(self, "input_types", None)

    @property
    def output_types_for_export(self) -> Any:
        """Output types used for export names (default: ``output_types``)."""
        return getattr(self, "output_types", None)

    @property
    def disabled_deployment_input_names(self) -> set[str]:
        """Input names left out of the exported graph."""
        return set()

    @property
    def disabled_deployment_output_names(self) -> set[str]:
        """Output names left out of the exported graph."""
        return set()

    @property
    def supported_export_formats(self) -> list[ExportFormat]:
        """Formats this class can be exported to (default: all)."""
        return [ExportFormat.ONNX, ExportFormat.TORCHSCRIPT]

    @property
    def input_names(self) -> list[str]:
        """Exported input names: ``input_types_for_export`` keys minus the disabled ones."""
        types = self.input_module.input_types_for_export
        if types is None:
            forward = inspect.signature(self.input_module.forward).parameters
            names = [n for n, p in forward.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        else:
            names = list(types)
        return [n for n in names if n not in self.input_module.disabled_deployment_input_names]

    @property
    def output_names(self) -> list[str]:
        """Exported output names: ``output_types_for_export`` keys minus the disabled ones."""
        types = self.output_module.output_types_for_export
        names = list(types) if types is not None else ["output"]
        return [n for n in names if n not in self.output_module.disabled_deployment_output_names]

    def list_export_subnets(self) -> list[str]:
        """Names of the sub-networks exported in turn; the first receives ``input_example`` (default ``['self']``)."""
        return ["self"]

    def get_export_subnet(self, subnet: str | None = None) -> Any:
        """The module exported for ``subnet`` (``self`` for None or ``'self'``)."""
        if subnet is None or subnet == "self":
            return self
        return getattr(self, subnet)

    def get_export_config(self) -> dict[str, Any]:
        """The export config (created empty)."""
        if not hasattr(self, "export_config"):
            self.export_config = {}
        return self.export_config

    def set_export_config(self, args: dict[str, Any]) -> None:
        """Update the export config with ``args``."""
        self.get_export_config().update(args)

    def _prepare_for_export(self, **kwargs: Any) -> None:  # noqa: B027 - an optional hook, as in NeMo
        """Hook run on every Exportable sub-module before export (default: nothing)."""

    def _export_teardown(self) -> None:  # noqa: B027 - an optional hook, as in NeMo
        """Hook run after export (default: nothing)."""

    def export(
        self,
        output: str,
        input_example: Any = None,
        verbose: bool = False,
        do_constant_folding: bool = True,
        onnx_opset_version: int | None = None,
        check_trace: bool | list[Any] = False,
        dynamic_axes: dict[str, Any] | None = None,
        check_tolerance: float = 0.01,
        export_modules_as_functions: bool = False,
        keep_initializers_as_inputs: bool | None = None,
        use_dynamo: bool = False,
    ) -> tuple[list[str], list[str]]:
        """Export every subnet in :meth:`list_export_subnets` to ``output`` (format from its extension).

        Args:
            output: ``.onnx``, ``.pt`` or ``.ts`` file. Subnets other than ``self`` go to ``<subnet>-<name>``.
            input_example: Positional values (a trailing dict = keyword values); default
                ``input_module.input_example()``.
            verbose: Verbose exporter output.
            do_constant_folding: ONNX constant folding.
            onnx_opset_version: ONNX opset (default 17).
            check_trace: Run the exported file on the example (or on the given list of inputs) and compare.
            dynamic_axes: ONNX dynamic axes; default from the inputs' neural types.
            check_tolerance: Tolerance of the check (ONNX: ``rtol=tol, atol=100*tol``; TorchScript: both tol).
            export_modules_as_functions: ONNX option.
            keep_initializers_as_inputs: ONNX option.
            use_dynamo: Use the dynamo-based ONNX exporter.

        Returns:
            ``([written files], [descriptions])``.

        Raises:
            ValueError: Unknown extension or a format this class does not support.
            ExportError: The exported file does not reproduce the eager outputs within tolerance.
            MissingDependencyError: onnx / onnxruntime missing for an ONNX export or its check.
        """
        outputs: list[str] = []
        descriptions: list[str] = []
        for subnet in self.list_export_subnets():
            model = self.get_export_subnet(subnet)
            name = output
            if subnet != "self":
                name = os.path.join(os.path.dirname(output), f"{subnet}-{os.path.basename(output)}")
            out, description, out_example = model._export(
                name,
                input_example=input_example,
                verbose=verbose,
                do_constant_folding=do_constant_folding,
                onnx_opset_version=onnx_opset_version,
                check_trace=check_trace,
                dynamic_axes=dynamic_axes,
                check_tolerance=check_tolerance,
                export_modules_as_functions=export_modules_as_functions,
                keep_initializers_as_inputs=bool(keep_initializers_as_inputs),
                use_dynamo=use_dynamo,
            )
            if input_example is not None:
                input_example = out_example
            outputs.append(out)
            descriptions.append(description)
        return outputs, descriptions

    def _export(
        self,
        output: str,
        input_example: Any = None,
        verbose: bool = False,
        do_constant_folding: bool = True,
        onnx_opset_version: int | None = None,
        check_trace: bool | list[Any] = False,
        dynamic_axes: dict[str, Any] | None = None,
        check_tolerance: float = 0.01,
        export_modules_as_functions: bool = False,
        keep_initializers_as_inputs: bool | None = None,
        use_dynamo: bool = False,
    ) -> tuple[str, str, Any]:
        module: Any = self
        fmt = get_export_format(output)
        if fmt not in self.supported_export_formats:
            raise ValueError(
                f"{type(self).__name__} does not support {fmt.name} export; it supports "
                f"{[f.name for f in self.supported_export_formats]}"
            )
        module.eval()
        for param in module.parameters():
            param.requires_grad = False
        opset = onnx_opset_version or DEFAULT_OPSET
        was_enabled = _typecheck_enabled()
        typecheck.set_typecheck_enabled(False)
        cls: Any = type(self)
        swapped = None
        if hasattr(cls, "forward_for_export"):
            swapped = cls.forward
            cls.forward = cls.forward_for_export
        try:
            with torch.inference_mode(False), torch.no_grad():
                if input_example is None:
                    input_example = self.input_module.input_example()
                for m in module.modules():
                    if isinstance(m, Exportable):
                        m._prepare_for_export(noreplace=m is not self)
                args, kwargs = parse_input_example(input_example)
                inputs = tuple(args) + tuple(kwargs.values())
                output_example = module.forward(*args, **kwargs)
                input_names = self.input_names[: len(inputs)]
                output_names = self.output_names
                if fmt is ExportFormat.TORCHSCRIPT:
                    self._export_torchscript(output, inputs, output_example, check_trace, check_tolerance)
                else:
                    if dynamic_axes is None:
                        dynamic_axes = get_dynamic_axes(self.input_module.input_types_for_export, input_names)
                    self._export_onnx(
                        output,
                        inputs,
                        input_names,
                        output_names,
                        dynamic_axes,
                        opset,
                        verbose,
                        do_constant_folding,
                        keep_initializers_as_inputs,
                        export_modules_as_functions,
                        use_dynamo,
                    )
                    if check_trace:
                        checks = check_trace if isinstance(check_trace, list) else [input_example]
                        for example in checks:
                            self._check_onnx(output, example, input_names, check_tolerance)
        finally:
            typecheck.set_typecheck_enabled(was_enabled)
            if swapped is not None:
                cls.forward = swapped
            self._export_teardown()
        description = f"{type(self).__name__} exported to {fmt.name}"
        return output, description, output_example

    # ------------------------------------------------------------------ TorchScript
    def _export_torchscript(
        self, output: str, inputs: tuple[Any, ...], expected: Any, check_trace: Any, tol: float
    ) -> None:
        import warnings

        with warnings.catch_warnings():
            # torch.jit is deprecated upstream in favour of torch.export; TorchScript files are what NeMo writes.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            traced = torch.jit.trace_module(self, {"forward": inputs}, strict=True, check_trace=False)  # type: ignore[no-untyped-call]
            traced = torch.jit.freeze(traced)
            torch.jit.save(traced, output)
            loaded = torch.jit.load(output)  # type: ignore[no-untyped-call]
            if check_trace:
                checks = check_trace if isinstance(check_trace, list) else [inputs]
                for example in checks:
                    args, kwargs = parse_input_example(example)
                    got = _flatten(loaded(*args, *kwargs.values()))
                    want = _flatten(cast(Any, self).forward(*args, **kwargs))
                    for g, w in zip(got, want, strict=True):
                        if not torch.allclose(g, w, rtol=tol, atol=tol):
                            raise ExportError(
                                f"TorchScript file {output} differs from the eager module by "
                                f"{(g - w).abs().max().item():.3g} (tolerance {tol})"
                            )

    # ------------------------------------------------------------------ ONNX
    def _export_onnx(
        self,
        output: str,
        inputs: tuple[Any, ...],
        input_names: list[str],
        output_names: list[str],
        dynamic_axes: dict[str, Any],
        opset: int,
        verbose: bool,
        do_constant_folding: bool,
        keep_initializers_as_inputs: bool | None,
        export_modules_as_functions: bool,
        use_dynamo: bool,
    ) -> None:
        import warnings

        try:
            import onnx  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError("ONNX export needs onnx: pip install 'modelpt[onnx]'") from exc
        with warnings.catch_warnings():
            # The TorchScript-based exporter (NeMo's default) is deprecated upstream; it still writes NeMo's graphs.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            if use_dynamo:
                torch.onnx.export(
                    cast(Any, self),
                    inputs,
                    output,
                    input_names=input_names,
                    output_names=output_names,
                    opset_version=opset,
                    dynamo=True,
                    verbose=verbose,
                    dynamic_shapes={
                        n: dict.fromkeys(dims, torch.export.Dim.AUTO) for n, dims in dynamic_axes.items()
                    }
                    or None,
                )
            else:
                torch.onnx.export(
                    cast(Any, self),
                    inputs,
                    output,
                    input_names=input_names,
                    output_names=output_names,
                    verbose=verbose,
                    do_constant_folding=do_constant_folding,
                    dynamic_axes=dynamic_axes,
                    opset_version=opset,
                    keep_initializers_as_inputs=bool(keep_initializers_as_inputs),
                    export_modules_as_functions=export_modules_as_functions,
                    dynamo=False,
                )

    def _check_onnx(self, output: str, example: Any, input_names: list[str], tol: float) -> None:
        try:
            import onnxruntime as ort  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError as exc:
            raise MissingDependencyError(
                "check_trace on ONNX needs onnxruntime: pip install 'modelpt[onnx]'"
            ) from exc
        providers = [
            p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()
        ]
        session = ort.InferenceSession(output, providers=providers)
        args, kwargs = parse_input_example(example)
        values = list(args) + list(kwargs.values())
        feeds = {}
        graph_inputs = {i.name for i in session.get_inputs()}
        for name, value in zip(input_names, values, strict=False):
            if name in graph_inputs:
                feeds[name] = value.detach().cpu().numpy()
        got = session.run(None, feeds)
        want = _flatten(cast(Any, self).forward(*args, **kwargs))
        for g, w in zip(got, want, strict=False):
            expected = w.detach().cpu()
            actual = torch.from_numpy(g)
            if not torch.allclose(actual, expected.to(actual.dtype), rtol=tol, atol=100 * tol):
                raise ExportError(
                    f"onnxruntime output of {output} differs from the eager module by "
                    f"{(actual - expected).abs().max().item():.3g} (rtol {tol}, atol {100 * tol})"
                )
