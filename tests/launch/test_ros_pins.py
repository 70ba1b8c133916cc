"""Dependencies pinned to what ROS 2 Humble supports: Humble's launch_testing pytest plugin fails
to load under pytest 9 (``PluginValidationError ... pytest_pycollect_makemodule``), so every
requirements file a ROS machine or `colcon test` may use keeps pytest below 9."""
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _pytest_requirement(path: Path) -> Requirement | None:
    for line in path.read_text(encoding='utf-8').splitlines():
        text = line.split('#', 1)[0].strip()
        if text and not text.startswith('-') and Requirement(text).name == 'pytest':
            return Requirement(text)
    return None


@pytest.mark.parametrize('name', ['dev.txt', 'jetson.txt'])
def test_pytest_stays_below_9_where_ros_plugins_load(name):
    requirement = _pytest_requirement(ROOT / 'requirements' / name)
    assert requirement is not None, f'requirements/{name}: no pytest pin'
    assert not requirement.specifier.contains('9.0.0'), f'requirements/{name}: {requirement}'
    assert requirement.specifier.contains('8.4.2'), f'requirements/{name}: {requirement}'
    if name == 'jetson.txt':    # Ubuntu 22.04's python3-pytest (what rosdep installs) fits
        assert requirement.specifier.contains('6.2.5')


def test_the_running_pytest_is_one_humble_supports():
    major = int(pytest.__version__.split('.')[0])
    assert major < 9, (
        f'pytest {pytest.__version__}: reinstall with `pip install -r requirements/dev.txt`')


@pytest.mark.parametrize('setup_py', sorted(ROOT.glob('src/rvm_*/setup.py')),
                         ids=lambda p: p.parent.name)
def test_every_package_test_extra_keeps_pytest_below_9(setup_py):
    """`pip install -e 'src/rvm_x[test]'` must not bring pytest 9 onto a ROS machine either."""
    import ast
    tree = ast.parse(setup_py.read_text(encoding='utf-8'))
    extras = [kw.value for node in ast.walk(tree) if isinstance(node, ast.Call)
              for kw in node.keywords if kw.arg == 'extras_require']
    assert extras, f'{setup_py}: no extras_require'
    tests = ast.literal_eval(extras[0])['test']
    pins = [Requirement(text) for text in tests if Requirement(text).name == 'pytest']
    assert pins, f'{setup_py}: the test extra names no pytest: {tests}'
    assert all(not pin.specifier.contains('9.0.0') for pin in pins), f'{setup_py}: {tests}'
