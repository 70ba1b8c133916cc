import numpy as np
from item_sequences import det

from rvm_detector.annotate import annotate, label_mask


def test_annotated_image_draws_masks_boxes_and_state():
    image = np.full((240, 320, 3), 30, np.uint8)
    d = det(100, 60, 200, 200, 'aluminium_can', 0.8)
    d.category, d.track_id = 'aluminium_can', 4
    out = annotate(image, [d], item_state='settling', item_label='abc')
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(image, np.full((240, 320, 3), 30, np.uint8))   # input untouched
    assert not np.array_equal(out[130, 150], image[130, 150])             # mask tint inside
    assert np.array_equal(out[230, 310], image[230, 310])                 # background untouched
    assert not np.array_equal(out[8, 20], image[8, 20])                   # state banner


def test_label_mask_values_and_overlap_order():
    low = det(0, 0, 100, 100, 'pet_bottle', 0.3)       # class 0 -> value 1
    high = det(50, 50, 150, 150, 'glass_bottle', 0.9)  # class 2 -> value 3
    mask = label_mask(200, 200, [high, low])
    assert mask.dtype == np.uint8 and mask.shape == (200, 200)
    assert mask[30, 50] == 1 and mask[120, 100] == 3
    assert mask[75, 75] == 3            # overlap goes to the more confident detection
    assert mask[190, 190] == 0
    raster = det(0, 0, 10, 10)
    raster.mask = np.zeros((200, 200), bool)
    raster.mask[180:, 180:] = True      # a SAM2 raster mask wins over the polygon
    assert label_mask(200, 200, [raster])[190, 190] == 1
