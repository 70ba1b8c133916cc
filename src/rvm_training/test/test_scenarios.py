"""rvm-scenarios: the scorer, and a fixed small scenario set through the real bundled model."""
import pytest

from rvm_detector.class_map import ClassMap
from rvm_detector.model_loader import BUNDLED_MODEL
from rvm_training import synthetic_scenarios as synthetic
from rvm_training.scenarios import Score, expected_decision, format_table, score

ExpectedVerdict = synthetic.ExpectedVerdict
CLASS_MAP = ClassMap.load('')


def verdict(category, accepted, reason, categories=None):
    return {'category': category, 'accepted': accepted, 'reason': reason,
            'objects': {'count': sum((categories or {category: 1}).values()),
                        'categories': categories or {category: 1}}}


def test_expected_decision_follows_the_rule_else_the_category_policy():
    assert expected_decision(ExpectedVerdict('pet_bottle'), CLASS_MAP) == (True, None)
    assert expected_decision(ExpectedVerdict('other'), CLASS_MAP) == (
        False, 'category_not_accepted')
    assert expected_decision(ExpectedVerdict('pet_bottle', 'withdrawn'), CLASS_MAP) == (
        False, 'withdrawn')


@pytest.mark.parametrize(
    'expected, produced, counts',
    [
        ([ExpectedVerdict('pet_bottle')], [verdict('pet_bottle', True, None)], (1, 1, 0, 0, 0, 0)),
        ([ExpectedVerdict('pet_bottle')], [], (1, 0, 1, 0, 0, 0)),
        ([], [verdict('other', False, 'category_not_accepted')], (0, 1, 0, 1, 0, 0)),
        (
            [ExpectedVerdict('pet_bottle')], [verdict('glass_bottle', True, None)],
            (1, 1, 0, 0, 1, 0)),
        (
            [ExpectedVerdict('pet_bottle', 'withdrawn')], [verdict('pet_bottle', True, None)],
            (1, 1, 0, 0, 0, 1)),
        (
            [ExpectedVerdict('pet_bottle', 'multiple_objects', ('pet_bottle', 'other'))],
            [verdict('pet_bottle', False, 'multiple_objects', {'other': 1, 'pet_bottle': 1})],
            (1, 1, 0, 0, 0, 0)),
        (
            [ExpectedVerdict('pet_bottle', 'multiple_objects', ('pet_bottle', 'other'))],
            [verdict('pet_bottle', True, None)], (1, 1, 0, 0, 1, 1)),
    ],
)
def test_score_counts_missing_extra_and_wrong_verdicts(expected, produced, counts):
    s = score(expected, produced, CLASS_MAP)
    assert (
        s.expected, s.produced, s.missing, s.extra, s.wrong_category, s.wrong_decision) == counts


def test_format_table_has_a_row_per_kind_and_a_total():
    text = format_table(
        {'single': Score(2, 2, 1, 1, 0, 0, 1), 'withdraw': Score(1, 1, 1, 0, 0, 1, 0)})
    lines = text.splitlines()
    assert lines[0].startswith('| kind | scenarios | expected | produced | missing | extra')
    assert lines[2] == '| single | 2 | 2 | 1 | 1 | 0 | 0 | 1 |'
    assert lines[-1] == '| **total** | 3 | 3 | 2 | 1 | 0 | 1 | 1 |'


@pytest.mark.slow
@pytest.mark.skipif(not BUNDLED_MODEL.exists(), reason='bundled model not present')
def test_fixed_scenarios_through_the_bundled_model_give_no_missing_and_no_extra_verdict():
    from rvm_training.scenarios import make_core, run_suite
    core = make_core(threads=2)
    details = []
    table = run_suite(core, seed=0, per_kind=1, details=details)
    assert set(table) == set(synthetic.KINDS)
    problems = [d for d in details if d['missing'] or d['extra']]
    assert problems == [], format_table(table)
    assert sum(row.expected for row in table.values()) == 6
