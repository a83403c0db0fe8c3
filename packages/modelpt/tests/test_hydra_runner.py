"""``hydra_runner`` on real command lines: NeMo's argument forms and orders, and schema validation."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import json
    from dataclasses import dataclass, field

    from omegaconf import OmegaConf

    from modelpt.hydra_runner import hydra_runner


    @dataclass
    class Model:
        a: int = 1
        b: str = "dataclass"
        only_in_dataclass: float = 0.5


    @dataclass
    class Schema:
        name: str = "dataclass"
        model: Model = field(default_factory=Model)


    @hydra_runner(config_path="conf", config_name="base", schema=Schema)
    def main(cfg):
        print("CFG=" + json.dumps(OmegaConf.to_container(cfg, resolve=True)))


    if __name__ == "__main__":
        main()
    """
)
CONFIGS = {
    "base.yaml": "name: base\nmodel:\n  a: 2\n",
    "alt.yaml": "name: alt\nmodel:\n  b: yaml\n",
    "unknown_key.yaml": "name: bad\nmodel:\n  bogus: 3\n",
    "wrong_type.yaml": "model:\n  a: not-an-int\n",
}


@pytest.fixture
def script(tmp_path):
    (tmp_path / "conf").mkdir()
    for name, text in CONFIGS.items():
        (tmp_path / "conf" / name).write_text(text, encoding="utf-8")
    path = tmp_path / "train.py"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def run(script, *args):
    done = subprocess.run(
        [sys.executable, str(script), *args], cwd=script.parent, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("CFG=")]
    cfg = json.loads(lines[0][4:]) if lines else None
    return done.returncode, cfg, done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--config-path=conf", "--config-name=alt", "model.a=7", "name=cli"),  # the Models guide's form
        ("model.a=7", "--config-name", "alt", "name=cli"),  # overrides first, space-separated flag
    ],
)
def test_command_line_forms_merge_cli_over_yaml_over_dataclass(script, args):
    code, cfg, output = run(script, *args)
    assert code == 0, output
    assert "unrecognized arguments" not in output
    assert "deprecated" not in output  # Hydra's schema-matching warning is silenced
    assert cfg == {"name": "cli", "model": {"a": 7, "b": "yaml", "only_in_dataclass": 0.5}}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--config-name=unknown_key",), "bogus"),  # a YAML chosen on the command line is validated too
        (("--config-name=wrong_type",), "not-an-int"),
        (("--config-name=alt", "model.zzz=1"), "zzz"),
        (("--config-name=sub/alt",), "--config-path"),
    ],
)
def test_schema_refuses_what_it_does_not_declare(script, args, expected):
    code, cfg, output = run(script, *args)
    assert code != 0
    assert cfg is None
    assert expected in output
