"""rvm-edge calibrate: records the empty chamber; the runner and the launch check the file."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from rvm_bringup import runner
from rvm_bringup.calibrate_cli import with_calibration
from rvm_bringup.launch_args import check_params_file
from rvm_common.params import ConfigError
from rvm_detector import calibration
from rvm_detector.detector_config import DetectorConfig


def chamber(rng, width=320, height=240):
    """A dark frame with a lit floor (the ROI) and sensor noise."""
    frame = np.full((height, width, 3), 20, np.uint8)
    frame[30:210, 50:300] = (110, 90, 70)
    noise = rng.normal(0, 4, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


@pytest.fixture
def video(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / 'empty.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (320, 240))
    for _ in range(12):
        writer.write(chamber(rng))
    writer.release()
    return path


def test_calibrate_writes_reference_roi_and_zones(video, tmp_path, capsys):
    out = tmp_path / 'cal' / 'chamber.calibration.yaml'
    assert runner.main(['calibrate', '--source', str(video), '--out', str(out)]) == 0
    cal = calibration.load(out)
    x1, y1 = cal.roi.min(axis=0)
    x2, y2 = cal.roi.max(axis=0)
    assert abs(x1 - 50) <= 4 and abs(y1 - 30) <= 4 and abs(x2 - 299) <= 4 and abs(y2 - 209) <= 4
    assert cal.entry_zone[:, 0].max() < cal.exit_zone[:, 0].min()     # entry left, exit right
    assert cal.size == (320, 240) and cal.frames == 8
    assert 'roi' in capsys.readouterr().out


def test_a_given_roi_is_kept_and_a_bad_one_is_a_clear_error(video, tmp_path, capsys):
    out = tmp_path / 'c.yaml'
    assert runner.main(['calibrate', '--source', str(video), '--out', str(out),
                        '--roi', '10,10,300,10,300,200,10,200']) == 0
    assert calibration.load(out).roi.tolist()[2] == [300.0, 200.0]
    assert runner.main(['calibrate', '--source', str(video), '--roi', '10,10,30']) == 2
    assert 'at least 3 x,y pairs' in capsys.readouterr().err
    assert runner.main(['calibrate', '--source', str(tmp_path / 'nope.mp4')]) == 2
    assert runner.main(['calibrate', '--source', str(video), '--frames', '50']) == 2
    assert '12 frames' in capsys.readouterr().err


def test_the_runner_and_the_launch_refuse_a_calibration_that_does_not_load(video, tmp_path):
    out = tmp_path / 'c.yaml'
    runner.main(['calibrate', '--source', str(video), '--out', str(out)])
    good = DetectorConfig(calibration_file=str(out))
    assert with_calibration(good, str(video), 'params.yaml') is good
    out.with_suffix('.png').unlink()
    with pytest.raises(ConfigError, match='reference image'):
        with_calibration(good, str(video), 'params.yaml')
    params = tmp_path / 'params.yaml'
    params.write_text(f'/**:\n  ros__parameters: {{}}\ndetector:\n  ros__parameters:\n'
                      f'    calibration_file: "{out}"\n', encoding='utf-8')
    with pytest.raises(ConfigError, match='detector.calibration_file'):
        check_params_file(str(params))


def test_the_sample_uses_its_shipped_calibration():
    from rvm_bringup.run_config import find_sample
    sample = str(find_sample())
    config = with_calibration(DetectorConfig(), sample, 'built-in defaults')
    assert config.calibration_file.endswith('rvm_sample.calibration.yaml')
    cal = calibration.load(config.calibration_file)
    assert cal.size == (640, 480) and cal.source == 'sample'
    assert with_calibration(DetectorConfig(), 'other.mp4', 'x').calibration_file == ''


def test_parse_roi_needs_numbers():
    with pytest.raises(calibration.CalibrationError, match='numbers'):
        calibration.parse_roi('a,b,c,d,e,f')
