"""rvm-fleet-sim argument errors are clear and exit 2 before anything starts."""
import pytest

from rvm_fleet.fleet_cli import main


@pytest.mark.parametrize('argv, message', [
    (['--server', 'ws://10.0.0.1:8080', '--restart-at', '5'], 'needs the local cluster'),
    (['--minutes', '1', '--restart-at', '90'], 'outside the run'),
    (['--machines', '0'], 'machines must be >= 1'),
])
def test_bad_arguments_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_restart_mode_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exc:
        main(['--restart-mode', 'reboot'])
    assert exc.value.code == 2 and "invalid choice: 'reboot'" in capsys.readouterr().err
