"""Builds the function that ``@typecheck()`` puts in place of a method.

Every call of every typed module runs this function, so its source is generated from the template below (as
:mod:`dataclasses` generates ``__init__``). Two variants share the template:

* **keyword**, for a plain function such as ``def forward(self, x, lengths=None)``: the wrapper takes ``x``
  and ``lengths`` as keyword-only parameters and calls the method with them directly. This saves building an
  argument dict on the way in and unpacking it again on the way out, about an eighth of the per-call
  overhead. A call that does not fit (a positional argument, an undeclared keyword, a missing argument) is
  handed to the generic variant with its arguments as given.
* **generic**, for everything else (``*args``/``**kwargs``, keyword-only or positional-only parameters,
  callables that are not plain functions): ``wrapper(*args, **kwargs)``.

Compiling a source takes about a millisecond, so it happens once per variant and number of (optional)
parameters, not once per method: the keyword variant's parameters are compiled as ``_p0``, ``_p1``, ... and
each wrapper gets a copy of the code object with the method's own parameter names.

Both check exactly the same things, with the same helpers for everything off the common path (which also
build every error message); the tests run each scenario through both.
"""

from __future__ import annotations

import functools
import types
from itertools import count

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

# The wrapper body. ``{...}`` fields are filled per variant; every other name is a parameter of ``_make``, a
# name of the namespace passed to ``build`` or a builtin.
_TEMPLATE = """\
def _make(_wrapped, _where, _ignore, _fixed_in, _fixed_out, _input_override, _output_override, _generic, _names, *,
          {namespace}):
    _single_output = None  # the name of the single declared output, learnt on the first call
    _settings = (_where, _ignore, _fixed_in, _fixed_out, _input_override, _output_override)
{helpers}
    def _wrapper({signature}):
        nonlocal _single_output
{prologue}
        if not _state.enabled:
            return {call}
        _instance = {instance}
        if type(_instance) not in _checked_classes and _check_instance(_instance, _where):
{custom}
        _probe = _runtime._probe
        if _probe() if _probe is not None else _is_compiling():
            return {call}
        _input_types = _fixed_in if _input_override else _instance.input_types
        _output_types = _fixed_out if _output_override else _instance.output_types
        if _input_types is not None:
{count_check}
            _semantic = _state.semantic
{inputs}
        _outputs = {call}
        if _output_types is None:
            return _outputs
        # One declared output and one array returned: the name seen last time finds the declaration
        # without iterating the dict, and an int ``ndim`` marks a leaf without an isinstance check.
        if len(_output_types) == 1:
            _declared = _output_types.get(_single_output)
            if type(_declared) is _NeuralType:
                try:
                    _ndim = _outputs.ndim
                except AttributeError:
                    _ndim = None
                if type(_ndim) is int:
                    try:
                        _outputs.neural_type = _declared
                    except Exception:
                        pass
                    _axes = _declared.axes
                    if _axes is not None and _ndim != len(_axes):
                        _check_rank(_where, "Output", _single_output, _declared, _outputs)
                    return _outputs
            else:
                _single_output = next(iter(_output_types))
        _attach_outputs(_where, _output_types, _outputs, _ignore)
        return _outputs

    return _wrapper
"""

# The checks of one keyword input ``name`` = ``value``: plain declarations of array-likes inline, anything
# else (containers, None, undeclared names, values without an int ``ndim``) through ``validate_input``.
_CHECK_INPUT = """\
_declared = _input_types.get(_name)
if type(_declared) is not _NeuralType or _value is None:
    _validate_input(_where, _input_types, _name, _value, _ignore, _semantic)
else:
    if _semantic:
        _received = getattr(_value, "neural_type", None)
        if _received is not None:
            try:
                _accepted = _received._key in _accepted_pairs[_declared._key]
            except AttributeError:  # not a NeuralType; check_semantics sorts it out
                _accepted = False
            if not _accepted:
                _check_semantics(_where, _name, _declared, _value)
    try:
        _ndim = _value.ndim
    except AttributeError:
        _ndim = None
    if type(_ndim) is not int:
        _validate_input(_where, _input_types, _name, _value, _ignore, False)
    elif (_axes := _declared.axes) is not None and _ndim != len(_axes):
        _check_rank(_where, "Input", _name, _declared, _value)
"""

_GENERIC_COUNT_CHECK = """\
if len(_args) > 1:
    raise _positional_error(_where, _args, _input_types)
if len(_kwargs) != len(_input_types):
    _check_input_count(_where, _input_types, _kwargs, _ignore)
"""

_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08
_MAX_KEYWORD_PARAMETERS = 32

# Tests switch this off to run every scenario through the generic variant as well.
KEYWORD_VARIANT = True

_reserved: frozenset[str] | None = None
_MAKERS: dict[tuple[Any, ...], Callable[..., Any]] = {}
_RENAMED: dict[tuple[types.CodeType, tuple[str, ...]], types.CodeType] = {}
_serial = count()


class _Missing:
    """The default of the keyword variant's parameters: "not passed", distinct from any value a caller has."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<not passed>"


MISSING = _Missing()


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" if line else "\n" for line in text.splitlines())


def _reserved_names() -> frozenset[str]:
    """The names a method's parameters cannot have in the keyword variant: those the generated code uses.

    The template's own names all start with an underscore; what else it uses are builtins (``type``,
    ``len``, ...). Parameters are rarely named either way, and such methods simply get the generic variant.
    """
    global _reserved  # noqa: PLW0603 - computed on first use, not at import
    if _reserved is None:
        source = (
            _TEMPLATE + _CHECK_INPUT + _GENERIC_COUNT_CHECK + "_named _given _self _args _kwargs _MISSING"
        )
        code = "\n".join(line.partition("#")[0] for line in source.splitlines())
        words = "".join(char if char.isalnum() or char == "_" else " " for char in code).split()
        _reserved = frozenset(word for word in words if word.isidentifier())
    return _reserved


def _keyword_shape(wrapped: Any) -> tuple[tuple[str, ...], int] | None:
    """The names of the parameters of ``wrapped`` after the first, and how many of them have defaults.

    Returns:
        None when the keyword variant does not apply: ``wrapped`` is not a plain function, or it has
        ``*args``, ``**kwargs``, keyword-only or positional-only parameters (beyond the instance), more than
        32 parameters, a default for the instance, or a parameter the generated code cannot be given.
    """
    if type(wrapped) is not types.FunctionType:
        return None
    code = wrapped.__code__
    n_positional = code.co_argcount
    if (
        code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS)
        or code.co_kwonlyargcount
        or n_positional < 1
        or code.co_posonlyargcount > 1
    ):
        return None
    names = code.co_varnames[1:n_positional]
    reserved = _reserved_names()
    for name in names:
        if name in reserved or (name.startswith("_p") and name[2:].isdigit()):
            return None
    n_defaults = len(wrapped.__defaults__ or ())
    if len(names) > _MAX_KEYWORD_PARAMETERS or n_defaults > len(names):
        return None
    return names, n_defaults


def _keyword_fields(n_params: int, n_optional: int) -> dict[str, str]:
    """The template fields of the keyword variant for ``n_params`` parameters, ``n_optional`` with defaults.

    The parameters are called ``_p0``, ``_p1``, ...; ``build`` renames them to the method's own names in
    each wrapper's code object, so one compiled source serves every method of the same shape. The names
    themselves, for the type lookups and error messages, come from the closure variable ``_names``.
    """
    params = [f"_p{i}" for i in range(n_params)]
    first_optional = n_params - n_optional
    helpers = (
        f"\n    def _named({', '.join(params)}):\n        _given = {{}}\n"
        + "".join(
            f"        if {param} is not _MISSING:\n            _given[_names[{i}]] = {param}\n"
            for i, param in enumerate(params)
        )
        + "        return _given\n"
    )
    # an argument not passed gets Python's own default, read from the method on every call as Python does
    arguments = ["_self"] + [
        param
        if i < first_optional
        else f"({param} if {param} is not _MISSING else _wrapped.__defaults__[{i - n_params}])"
        for i, param in enumerate(params)
    ]
    as_passed = f"_named({', '.join(params)})"
    unfit = " or ".join(
        ["_args", "_kwargs", "_self is _MISSING", *(f"{p} is _MISSING" for p in params[:first_optional])]
    )
    prologue = (
        f"if {unfit}:\n"
        f"    _given = {as_passed}\n"
        "    _given.update(_kwargs)\n"
        "    return _generic(*_args, **_given) if _self is _MISSING else _generic(_self, *_args, **_given)\n"
    )
    n_given = " + ".join([str(first_optional), *(f"({p} is not _MISSING)" for p in params[first_optional:])])
    count_check = f"if {n_given} != len(_input_types):\n    _check_input_count(_where, _input_types, {as_passed}, _ignore)\n"
    inputs = []
    for i, param in enumerate(params):
        block = f"_name = _names[{i}]\n_value = {param}\n{_CHECK_INPUT}"
        inputs.append(block if i < first_optional else f"if {param} is not _MISSING:\n{_indent(block, 4)}")
    keywords = "".join(f"{param}=_MISSING, " for param in params)
    custom = f"return _generic(_self, **{as_passed})"
    return {
        "helpers": helpers,
        "custom": _indent(custom, 12),
        "signature": f"_self=_MISSING, /, *_args, {keywords}**_kwargs",
        "prologue": _indent(prologue, 8),
        "call": f"_wrapped({', '.join(arguments)})",
        "instance": "_self",
        "count_check": _indent(count_check, 12),
        "inputs": _indent("".join(inputs), 12),
    }


_GENERIC_FIELDS = {
    "helpers": "",
    "custom": _indent("return _call_through_hooks(_wrapped, _args, _kwargs, _settings)", 12),
    "signature": "*_args, **_kwargs",
    "prologue": "",
    "call": "_wrapped(*_args, **_kwargs)",
    "instance": "_args[0] if _args else None",
    "count_check": _indent(_GENERIC_COUNT_CHECK, 12),
    "inputs": _indent(f"for _name in _kwargs:\n    _value = _kwargs[_name]\n{_indent(_CHECK_INPUT, 4)}", 12),
}


def _maker(
    key: tuple[Any, ...], fields: Callable[[], Mapping[str, str]], namespace: Mapping[str, Any]
) -> Callable[..., Any]:
    """The compiled ``_make`` for ``fields()``: one per variant and number of (optional) parameters."""
    make = _MAKERS.get(key)
    if make is None:
        # The namespace comes in as keyword-only parameters of ``_make``, so the wrapper reads it from its
        # closure and needs no globals of its own but builtins: ``build`` gives it the method's globals, which
        # is what TorchScript resolves the method's source against (``torch`` and the like).
        source = _TEMPLATE.format(**fields(), namespace=", ".join(sorted({*namespace, "_MISSING"})))
        # A name of its own per source, registered with linecache, so tracebacks through a wrapper show it.
        # (Imported here: linecache brings tokenize and re, a few ms that `import neural_types` need not pay.)
        import linecache  # noqa: PLC0415

        filename = f"<neural_types typecheck wrapper {next(_serial)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        scope: dict[str, Any] = {"__builtins__": __builtins__}
        exec(compile(source, filename, "exec"), scope)  # our own template, filled with identifiers
        make = _MAKERS[key] = functools.partial(scope["_make"], **namespace, _MISSING=MISSING)
    return make


def _with_globals_of(wrapper: Callable[..., Any], wrapped: Callable[..., Any]) -> Callable[..., Any]:
    """``wrapper`` rebuilt over the globals of ``wrapped`` (its code reads only builtins and its closure).

    TorchScript compiles a typed ``forward`` from the method's own source (``inspect`` follows
    ``__wrapped__``) but resolves the names in it through the globals of the function it was handed, the
    wrapper; giving the wrapper the method's globals makes ``torch.jit.script`` work on typed modules.
    """
    module_globals = getattr(wrapped, "__globals__", None)
    if type(module_globals) is not dict:
        return wrapper
    rebuilt = types.FunctionType(
        wrapper.__code__, module_globals, wrapper.__name__, wrapper.__defaults__, wrapper.__closure__
    )
    rebuilt.__kwdefaults__ = wrapper.__kwdefaults__
    return rebuilt


def build(
    wrapped: Callable[..., Any],
    namespace: Mapping[str, Any],
    *,
    where: str,
    ignore: bool,
    fixed_in: Mapping[str, Any] | None,
    fixed_out: Mapping[str, Any] | None,
    input_override: bool,
    output_override: bool,
) -> Callable[..., Any]:
    """Return the wrapper of ``wrapped``: the keyword variant where it applies, else the generic one.

    Args:
        wrapped: The decorated callable.
        namespace: The state and helpers the template names (``_state``, ``_check_rank``, ...).
        where: The name errors give for the method (its qualified name).
        ignore: ``ignore_collections`` of the decorator.
        fixed_in: The decorator's ``input_types``, used instead of the instance's when ``input_override``.
        fixed_out: The decorator's ``output_types``, used instead of the instance's when ``output_override``.
        input_override: Whether the decorator was given ``input_types``.
        output_override: Whether the decorator was given ``output_types``.
    """
    settings = (where, ignore, fixed_in, fixed_out, input_override, output_override)
    generic: Callable[..., Any] = _maker(("generic",), lambda: _GENERIC_FIELDS, namespace)(
        wrapped, *settings, None, ()
    )
    generic = _with_globals_of(generic, wrapped)
    shape = _keyword_shape(wrapped) if KEYWORD_VARIANT else None
    if shape is None:
        return generic
    names, n_optional = shape
    pattern = (len(names), n_optional)
    make = _maker(("keyword", *pattern), lambda: _keyword_fields(*pattern), namespace)
    wrapper: Callable[..., Any] = make(wrapped, *settings, generic, names)
    wrapper.__code__ = _renamed(wrapper.__code__, names)
    wrapper.__kwdefaults__ = dict.fromkeys(names, MISSING)
    return _with_globals_of(wrapper, wrapped)


def _renamed(code: types.CodeType, names: tuple[str, ...]) -> types.CodeType:
    """``code`` of a keyword-variant wrapper with its parameters ``_p0``, ``_p1``, ... called ``names``.

    Parameters are locals, read and written by index, so renaming them changes only the names callers bind
    keywords to. One code object per distinct signature, shared by the methods that have it.
    """
    key = (code, names)
    renamed = _RENAMED.get(key)
    if renamed is None:
        placeholders = {f"_p{i}": name for i, name in enumerate(names)}
        varnames = tuple(placeholders.get(name, name) for name in code.co_varnames)
        renamed = _RENAMED[key] = code.replace(co_varnames=varnames)
    return renamed
