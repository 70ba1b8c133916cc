"""scripts/test's closing lines (scripts/stage_report.py): every stage's counts and skip reasons,
the overall verdict, and last the totals in pytest's summary form that CI reads."""
import re
import subprocess
import sys
import time
from pathlib import Path

REPORT = Path(__file__).resolve().parents[2] / 'scripts' / 'stage_report.py'
PYTEST_LAST_LINE = re.compile(r'^=+ \d+ (failed|passed|skipped|errors?)'
                              r'(, \d+ (passed|skipped|errors?))* in [\d.]+s =+$')


def junit(path, passed=0, failed=0, skipped=()):
    cases = ['<testcase name="p%d"/>' % i for i in range(passed)]
    cases += ['<testcase name="f%d"><failure message="boom"/></testcase>' % i
              for i in range(failed)]
    cases += [f'<testcase name="s{i}"><skipped message="{why}"/></testcase>'
              for i, why in enumerate(skipped)]
    cases.append('<testcase name="c"><skipped message="collection skipped">'
                 "('/x/test_graph.py', 24, 'Skipped: rclpy not available')</skipped></testcase>")
    path.write_text('<testsuites><testsuite>' + ''.join(cases) + '</testsuite></testsuites>')
    return str(path)


def report(state, *args):
    out = subprocess.run([sys.executable, str(REPORT), *args], capture_output=True, text=True,
                         env={'RVM_TEST_STATE': str(state), 'PATH': '/usr/bin:/bin'}, timeout=60)
    return out.returncode, out.stdout.splitlines()


def test_every_stage_counted_skip_reasons_listed_and_a_pytest_last_line(tmp_path):
    assert report(tmp_path, 'build', 'colcon build', '0', '8 packages')[0] == 0
    code, lines = report(tmp_path, 'counts', 'colcon test', '0',
                         junit(tmp_path / 'a.xml', passed=5, skipped=['no GPU', 'no GPU']),
                         junit(tmp_path / 'b.xml', passed=2))
    assert code == 0
    assert lines[0] == ('colcon test: 7 passed, 0 failed, 0 errors, 4 skipped '
                        '(2 result files, exit 0)')
    assert lines[1:] == ['  skipped 2x: no GPU', '  skipped 2x: rclpy not available']
    report(tmp_path, 'counts', 'pytest tests/', '0', junit(tmp_path / 'c.xml', passed=3))
    code, lines = report(tmp_path, 'close', str(tmp_path), str(time.time() - 3))
    assert code == 0
    assert lines[-2] == ('scripts/test: colcon build ok (8 packages); colcon test 7 passed, '
                         '0 failed, 0 errors, 4 skipped; pytest tests/ 3 passed, 0 failed, '
                         '0 errors, 1 skipped; overall PASSED')
    assert PYTEST_LAST_LINE.match(lines[-1]) and ' 10 passed, 5 skipped in 3.' in lines[-1]


def test_a_failed_test_or_a_failed_stage_fails_the_run(tmp_path):
    report(tmp_path, 'build', 'colcon build', '0', '8 packages')
    report(tmp_path, 'counts', 'pytest tests/', '1', junit(tmp_path / 'a.xml', 4, failed=2))
    code, lines = report(tmp_path, 'close', str(tmp_path), str(time.time()))
    assert code == 1 and lines[-2].endswith('overall FAILED')
    assert PYTEST_LAST_LINE.match(lines[-1]) and '= 2 failed, 4 passed, 1 skipped in' in lines[-1]
    broken = tmp_path / 'broken'
    broken.mkdir()
    report(broken, 'build', 'colcon build', '2', '0 packages')
    code, lines = report(broken, 'close', str(broken), str(time.time()))
    assert code == 1 and 'colcon build FAILED (0 packages)' in lines[-2]
    assert PYTEST_LAST_LINE.match(lines[-1]) and '1 error' in lines[-1]
