"""Developer and CI sessions for the nemo-core workspace.

Members are discovered from ``packages/*/pyproject.toml``: a new package joins every session without editing
this file. ``uv run nox -s ci`` runs everything CI runs.

Sessions:
    lint         ruff lint and format check.
    typecheck    mypy (strict for the torch-free packages) and the import-linter contracts.
    tests        each member's own tests, in an environment holding only that member, its dependencies and
                 its ``test`` dependency group.
    integration  the root ``tests/`` against the whole workspace.
    isolated     each member built as a wheel, installed alone with its declared dependencies, its tests run
                 from outside the repository, and its import rules asserted.
    build        every wheel into one clean environment; every package imports.
    conformance  NVIDIA NeMo's own core unit tests (kept beside the repository in ../shared/conformance) run
                 against the ``nemo`` meta-package; fails when any test that passes on nemo_toolkit 3.0.0 fails.
    ci           all of the above.
    bench        nemo-core vs nemo_toolkit 3.0.0 vs the hardware limit (not in ci: installs nemo_toolkit).
    interop      .nemo files saved by each implementation restored by the other (not in ci, must pass).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nox

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["ci"]

ROOT = Path(__file__).parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Member:
    """One workspace package."""

    name: str
    version: str
    import_name: str
    path: Path
    private: bool

    @property
    def wheel_stem(self) -> str:
        """The distribution name as it appears in wheel file names."""
        return self.name.replace("-", "_")


def _read_version(path: Path, pyproject: dict) -> str:
    """The member's version: static, or hatch's ``__version__`` from the file named in [tool.hatch.version]."""
    if "version" in pyproject["project"]:
        return str(pyproject["project"]["version"])
    version_file = path / pyproject["tool"]["hatch"]["version"]["path"]
    for line in version_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError(f"{version_file} defines no __version__")


def discover_members() -> list[Member]:
    """Every ``packages/*`` member, sorted by directory name."""
    members = []
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        path = pyproject.parent
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        meta = data["project"]
        packages = [p.name for p in (path / "src").iterdir() if (p / "__init__.py").exists()]
        if len(packages) != 1:
            raise RuntimeError(f"{path}/src must hold exactly one import package, found {packages}")
        members.append(
            Member(
                name=meta["name"],
                version=_read_version(path, data),
                import_name=packages[0],
                path=path,
                private="Private :: Do Not Upload" in meta.get("classifiers", []),
            )
        )
    return members


MEMBERS = discover_members()
MEMBER_IDS = [m.name for m in MEMBERS]


def _member(name: str) -> Member:
    return next(m for m in MEMBERS if m.name == name)


def _sync(session: nox.Session, *args: str) -> None:
    """Install workspace packages into the session's venv with uv (sources resolved from the workspace)."""
    session.run_install(
        "uv",
        "sync",
        "--active",
        "--inexact",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def _forbidden_imports(import_name: str) -> list[str]:
    """Top-level modules that ``import <import_name>`` must leave out of ``sys.modules``.

    Taken from the import-linter contracts in pyproject.toml, so the static rule and the runtime rule are one.
    """
    forbidden: set[str] = set()
    for contract in PYPROJECT["tool"]["importlinter"]["contracts"]:
        if contract.get("type") == "forbidden" and import_name in contract["source_modules"]:
            forbidden.update(m for m in contract["forbidden_modules"] if "." not in m)
    forbidden.discard(import_name)
    return sorted(forbidden)


def _pytest_ini(directory: Path) -> Path:
    """Write the workspace's pytest configuration as a standalone pytest.ini (for runs outside the repo)."""
    options = PYPROJECT["tool"]["pytest"]["ini_options"]
    lines = ["[pytest]"]
    for key, value in options.items():
        if isinstance(value, list):
            lines.append(f"{key} =")
            lines.extend(f"    {item}" for item in value)
        else:
            lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else value}")
    ini = directory / "pytest.ini"
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ini


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check over the whole repository."""
    _sync(session, "--only-group", "dev")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy over every package (strictness per package in pyproject.toml) and the import-linter contracts."""
    _sync(session, "--all-packages", "--group", "dev")
    for member in MEMBERS:
        session.run("mypy", str(member.path / "src"))
    session.run("mypy", "src")
    session.run("lint-imports")


@nox.session
@nox.parametrize("package", MEMBER_IDS)
def tests(session: nox.Session, package: str) -> None:
    """One member's tests in an environment with just that member, its dependencies and its test group."""
    member = _member(package)
    _sync(session, "--package", member.name, "--group", "test", "--no-default-groups")
    session.run("pytest", str(member.path / "tests"), *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """The root tests/ against the whole workspace (the meta-package's import paths and end-to-end runs)."""
    _sync(session, "--all-packages", "--group", "dev", "--group", "examples")
    session.run("pytest", "tests", *session.posargs)


def _build_wheels(session: nox.Session, out: Path) -> dict[str, Path]:
    session.run(
        "uv",
        "build",
        "--all-packages",
        "--wheel",
        "--no-sources",
        "--out-dir",
        str(out),
        external=True,
        silent=True,
    )
    wheels = {}
    for member in MEMBERS:
        found = list(out.glob(f"{member.wheel_stem}-{member.version}-*.whl"))
        if len(found) != 1:
            session.error(f"expected one wheel for {member.name} {member.version} in {out}, found {found}")
        wheels[member.name] = found[0]
    return wheels


def _install_wheels(
    session: nox.Session, wheels: dict[str, Path], wanted: list[str], extra: list[str]
) -> None:
    """Install the wanted members' wheels; siblings they depend on come from the same build, never an index."""
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        constraints.write_text(
            "".join(f"{name} @ {path.resolve().as_uri()}\n" for name, path in wheels.items()),
            encoding="utf-8",
        )
        session.install("-c", str(constraints), *(str(wheels[name]) for name in wanted), *extra)


@nox.session
@nox.parametrize("package", MEMBER_IDS)
def isolated(session: nox.Session, package: str) -> None:
    """Build the member's wheel, install it alone, run its tests from outside the repo, assert import rules."""
    member = _member(package)
    project = tomllib.loads((member.path / "pyproject.toml").read_text(encoding="utf-8"))
    test_requirements = project.get("dependency-groups", {}).get("test", [])
    tmp = Path(session.create_tmp()).resolve()
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    wheels = _build_wheels(session, tmp / "wheels")
    _install_wheels(session, wheels, [member.name], list(test_requirements))

    run_dir = tmp / "run"
    run_dir.mkdir()
    shutil.copytree(member.path / "tests", run_dir / "tests")
    _pytest_ini(run_dir)

    forbidden = _forbidden_imports(member.import_name)
    check = (
        "import sys, pathlib\n"
        f"import {member.import_name} as m\n"
        f"site = pathlib.Path(sys.prefix).resolve()\n"
        "where = pathlib.Path(m.__file__).resolve()\n"
        "assert site in where.parents, f'{m.__name__} imported from {where}, not from the installed wheel'\n"
        f"bad = sorted(set({forbidden!r}) & {{n.split('.')[0] for n in sys.modules}})\n"
        f"assert not bad, f'import {member.import_name} imported {{bad}}'\n"
        f"print('import rules hold for {member.import_name}: none of', {json.dumps(forbidden)!r}, 'imported')\n"
    )
    with session.chdir(run_dir):
        session.run("python", "-c", check)
        session.run("python", "-m", "pytest", "-c", "pytest.ini", "--rootdir", ".", "tests", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Every wheel (members and the meta-package) into one clean venv; every import package imports."""
    tmp = Path(session.create_tmp()).resolve()
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    wheels = _build_wheels(session, tmp / "wheels")
    session.run(
        "uv", "build", "--wheel", "--no-sources", "--out-dir", str(tmp / "root"), external=True, silent=True
    )
    root_wheel = next((tmp / "root").glob("nemo_core-*.whl"))
    public = [m.name for m in MEMBERS if not m.private]
    _install_wheels(session, wheels, public, [str(root_wheel)])
    imports = [m.import_name for m in MEMBERS if not m.private] + ["nemo", "nemo.core"]
    with session.chdir(tmp):
        session.run(
            "python", "-c", "; ".join(f"import {name}" for name in imports) + "; print('all packages import')"
        )


CONFORMANCE = ROOT.parent / "shared" / "conformance" / "run.py"


@nox.session
def conformance(session: nox.Session) -> None:
    """NeMo's own core unit tests against ``nemo``; every test that passes on nemo_toolkit 3.0.0 must pass.

    The suite is NVIDIA's code and lives outside this repository (``../shared/conformance``). Where it is
    absent the session is skipped, except in CI (``CI`` set), where a missing suite is an error.
    """
    if not CONFORMANCE.is_file():
        message = f"NeMo's conformance suite not found at {CONFORMANCE}; place shared/ beside the repository"
        if os.environ.get("CI"):
            session.error(message)
        session.skip(message)
    _sync(session, "--all-packages", "--all-groups")
    session.run("python", str(CONFORMANCE), *session.posargs)


@nox.session(venv_backend="none")
def ci(session: nox.Session) -> None:
    """Everything CI runs: lint, typecheck, every member's tests, integration, isolated installs, build."""
    # A parametrized session must be notified by its full name: notifying "tests" queues one of them only.
    for name in (
        "lint",
        "typecheck",
        *(f"tests(package='{member}')" for member in MEMBER_IDS),
        "integration",
        *(f"isolated(package='{member}')" for member in MEMBER_IDS),
        "build",
        "conformance",
    ):
        session.notify(name)


# ---------------------------------------------------------------- nemo_toolkit comparisons (not part of ci)
NEMO_TOOLKIT = "nemo_toolkit==3.0.0"
# nemo_toolkit's base package leaves out what `import nemo.core` and exp_manager import; these bounds are the
# ones its own extras declare, so the resolver picks what nemo_toolkit 3.0.0 was released against.
NEMO_TOOLKIT_EXTRAS = [
    # nemo.core
    "hydra-core>1.3,<=1.3.2",
    "omegaconf<=2.3",
    "lightning>2.2.1,<=2.4.0",
    "nv_one_logger_core>=2.3.1",
    "nv_one_logger_training_telemetry>=2.3.1",
    "nv_one_logger_pytorch_lightning_integration>=2.3.1",
    # nemo.utils.exp_manager
    "einops",
    "transformers",
    "sentencepiece<1.0.0",
    "pandas",
]


def _exclude_newer() -> list[str]:
    """The workspace's resolution date, so the comparison venvs resolve like the workspace does."""
    date = PYPROJECT.get("tool", {}).get("uv", {}).get("exclude-newer")
    return ["--exclude-newer", date] if date else []


def _comparison_venvs(session: nox.Session, *extra: str) -> tuple[str, str]:
    """nemo_toolkit (+ ``extra``) in the session's own venv, and nemo-core in a second venv next to it.

    The two can never share a venv: both are imported as ``nemo``. The nemo-core venv gets the same torch and
    Lightning versions as nemo_toolkit's (our ranges allow them), so both run under the same Trainer. Neither
    venv is the workspace's. Returns (nemo-core python, nemo_toolkit python).
    """
    session.install(*_exclude_newer(), NEMO_TOOLKIT, *NEMO_TOOLKIT_EXTRAS, *extra)
    toolkit_python = str(Path(session.virtualenv.location) / "bin" / "python")
    pins = session.run(
        "python",
        "-c",
        "import importlib.metadata as m; print(f'torch=={m.version(\"torch\")}'); "
        "print(f'lightning=={m.version(\"lightning\")}')",
        silent=True,
    )
    tmp = Path(session.create_tmp()).resolve()
    ours = tmp / "nemo-core-venv"
    constraints = tmp / "same-as-nemo-toolkit.txt"
    constraints.write_text(str(pins), encoding="utf-8")
    session.run("uv", "venv", "--quiet", "--clear", "--python", toolkit_python, str(ours), external=True)
    ours_python = str(ours / "bin" / "python")
    public = [str(m.path) for m in MEMBERS if not m.private]
    session.run(
        "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        ours_python,
        *_exclude_newer(),
        "-c",
        str(constraints),
        *public,
        str(ROOT),
        external=True,
    )
    return ours_python, toolkit_python


@nox.session
def bench(session: nox.Session) -> None:
    """nemo-core vs nemo_toolkit 3.0.0 vs torch.save/torch.load/raw reads; writes benchmarks/results/.

    Options after ``--`` go to benchmarks/compare/run.py, e.g. ``-- --sizes 10MB,200MB --runs 3``.
    """
    ours_python, toolkit_python = _comparison_venvs(session, "matplotlib>=3.8,<4")
    session.run(
        "python",
        str(ROOT / "benchmarks" / "compare" / "run.py"),
        "--ours-python",
        ours_python,
        "--toolkit-python",
        toolkit_python,
        *session.posargs,
    )


@nox.session
def interop(session: nox.Session) -> None:
    """Models saved by nemo_toolkit 3.0.0 restore in nemo-core and back, with identical outputs."""
    ours_python, toolkit_python = _comparison_venvs(session)
    session.run(
        "python",
        str(ROOT / "interop" / "run.py"),
        "--ours-python",
        ours_python,
        "--toolkit-python",
        toolkit_python,
        *session.posargs,
    )
