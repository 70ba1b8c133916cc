"""Every option of every console script has a help text (`--help` is how a user learns them)."""
import argparse
import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _console_scripts():
    for setup_py in sorted(ROOT.glob('src/rvm_*/setup.py')):
        tree = ast.parse(setup_py.read_text(encoding='utf-8'))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == 'console_scripts':
                        for entry in ast.literal_eval(value):
                            name, target = (part.strip() for part in entry.split('='))
                            if not name.endswith('_node'):     # ROS nodes: ros2 run, rclpy
                                yield name, target


SCRIPTS = sorted(_console_scripts())


def test_the_console_scripts_are_found():
    names = [name for name, _ in SCRIPTS]
    assert {'rvm-edge', 'rvm-make-dataset', 'rvm-eval-real', 'rvm-export'} <= set(names)


@pytest.mark.parametrize('name,target', SCRIPTS, ids=[name for name, _ in SCRIPTS])
def test_every_option_has_words(name, target, monkeypatch):
    wordless = []
    real_add = argparse._ActionsContainer.add_argument

    def add_argument(self, *args, **kwargs):
        action = real_add(self, *args, **kwargs)
        if action.help is None and action.dest != 'help':
            wordless.append('/'.join(args) or action.dest)
        return action

    monkeypatch.setattr(argparse._ActionsContainer, 'add_argument', add_argument)
    module, func = target.split(':')
    main = getattr(importlib.import_module(module), func)
    with pytest.raises(SystemExit) as done:
        main(['--help'])
    assert done.value.code == 0
    assert not wordless, f'{name}: options without a help text: {wordless}'
