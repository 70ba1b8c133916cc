"""The lint tests (every test_lint_<pkg>.py, through rvm_common.lint) catch what they claim to."""

import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[1] / 'setup.cfg'
SOURCE_ROOT = Path(__file__).resolve().parents[2]
#: Every package's setup.cfg (a colcon build tree holds only this package: then just this one).
FLAKE8_CONFIGS = sorted(SOURCE_ROOT.glob('rvm_*/setup.cfg')) or [CONFIG]


def lint(tool: str, folder: Path, config: Path = CONFIG) -> str:
    pytest.importorskip(tool)
    run = subprocess.run([sys.executable, '-m', tool, '--config', str(config), '.'], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    return run.stdout + run.stderr


@pytest.mark.parametrize('config', FLAKE8_CONFIGS, ids=lambda p: p.parent.name)
def test_flake8_config_allows_ros_99_columns_and_reports_the_rest(tmp_path, config):
    (tmp_path / 'ok.py').write_text(f"x = '{'a' * 93}'\n")                 # 99 columns
    # unused import, 100 columns
    (tmp_path / 'bad.py').write_text(f"import os\n\nx = '{'a' * 94}'\n")
    found = lint('flake8', tmp_path, config)
    assert 'bad.py:1:1: F401' in found and 'bad.py:3:100: E501' in found
    assert 'ok.py' not in found


#: A stand-in for the flake8 plugins a ROS install brings (flake8-quotes, -docstrings, ...).
FAKE_PLUGIN = """
class Checker:
    name = 'fake-ament-plugin'
    version = '1'

    def __init__(self, tree):
        pass

    def run(self):
        yield 1, 0, 'Q000 a plugin finding', type(self)
"""


@pytest.mark.parametrize('config', FLAKE8_CONFIGS, ids=lambda p: p.parent.name)
def test_flake8_config_verdict_ignores_installed_plugins(tmp_path, config):
    (tmp_path / 'fake_plugin.py').write_text(FAKE_PLUGIN)
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg' / 'clean.py').write_text('x = 1\n')
    plugin = '\n[flake8:local-plugins]\nextension =\n    Q0 = fake_plugin:Checker\npaths = .\n'
    ours, control = tmp_path / 'ours.cfg', tmp_path / 'control.cfg'
    ours.write_text(config.read_text() + plugin)
    # the same file without its select line: the plugin's finding shows (the check is not vacuous)
    control.write_text(config.read_text().replace('select = E,W,F,C90\n', '') + plugin)
    assert 'Q000' in lint('flake8', tmp_path / 'pkg', control)
    assert 'Q000' not in lint('flake8', tmp_path / 'pkg', ours)


def test_pydocstyle_config_wants_module_and_class_docstrings_only(tmp_path):
    (tmp_path / 'bare.py').write_text('class Thing:\n    def run(self):\n        pass\n')
    found = lint('pydocstyle', tmp_path)
    assert 'D100' in found and 'D101' in found
    # public methods: not required (pep257 only where it fits)
    assert 'D102' not in found
