import pytest

from rvm_detector.detection import Detection
from rvm_detector.model_loader import ModelLoadError
from rvm_detector.sam2_refiner import Sam2Refiner


@pytest.fixture(scope='module')
def refiner(sam2_tiny):
    ref = Sam2Refiner(device='cpu', imgsz=256, network=sam2_tiny)
    ref.load()
    return ref


def _dets():
    boxes = [(10, 10, 60, 80), (70, 20, 150, 110), (30, 50, 90, 115)]
    return [Detection(class_id=i, class_name=f'c{i}', confidence=0.5, bbox=tuple(map(float, b)))
            for i, b in enumerate(boxes)]


def test_all_boxes_of_a_frame_use_one_embedding(refiner, frame):
    enc0, dec0 = refiner.encoder_calls, refiner.decoder_calls
    dets = _dets()
    refiner.refine(frame, dets)
    assert refiner.encoder_calls - enc0 == 1
    assert refiner.decoder_calls - dec0 == 1
    refined = [d for d in dets if d.refined]
    assert refined, 'random SAM2 weights still give non-empty masks'
    for det in refined:
        assert det.mask.shape == frame.shape[:2] and det.mask.dtype == bool
        assert det.area_px == det.mask.sum() > 0
        assert det.polygon is not None and det.polygon.shape[1] == 2
    refiner.refine(frame[::-1].copy(), _dets())       # next frame: exactly one more embedding
    assert refiner.encoder_calls - enc0 == 2


def test_no_detections_no_embedding(refiner, frame):
    before = refiner.encoder_calls
    refiner.refine(frame, [])
    assert refiner.encoder_calls == before


def test_sam2_needs_a_local_weights_file(tmp_path):
    with pytest.raises(ModelLoadError, match='no SAM2 weights path configured'):
        Sam2Refiner(weights='', device='cpu').load()
    with pytest.raises(ModelLoadError, match='not found'):
        Sam2Refiner(weights='sam2.1_t.pt', device='cpu').load()
    odd = tmp_path / 'my_sam.pt'
    odd.write_bytes(b'PK' + b'\0' * 64)
    with pytest.raises(ModelLoadError, match='file name must end in'):
        Sam2Refiner(weights=str(odd), device='cpu').load()
    corrupt = tmp_path / 'sam2.1_t.pt'
    corrupt.write_bytes(b'PK' + b'\0' * 64)
    with pytest.raises(ModelLoadError, match='cannot load SAM2 weights'):
        Sam2Refiner(weights=str(corrupt), device='cpu').load()


def test_sam2_checkpoint_file_selects_the_architecture(sam2_tiny, tmp_path, frame):
    """A real-format checkpoint ({'model': state_dict}) loads via build_sam by its file name."""
    import torch
    state = {'model': sam2_tiny.state_dict()}
    path = tmp_path / 'sam2_t.pt'       # SAM2 (not 2.1) tiny, as build_sam2_t(checkpoint=None) is
    torch.save(state, path)
    ref = Sam2Refiner(weights=str(path), device='cpu', imgsz=256)
    ref.load()
    assert ref.name == 'sam2_t.pt'
    ref.refine(frame, _dets()[:1])
    assert ref.encoder_calls == 1
    # the same weights named as SAM2.1 select the 2.1 architecture, whose extra layers are missing
    path21 = tmp_path / 'sam2.1_t.pt'
    torch.save(state, path21)
    with pytest.raises(ModelLoadError, match='no_obj_embed_spatial'):
        Sam2Refiner(weights=str(path21), device='cpu', imgsz=256).load()
