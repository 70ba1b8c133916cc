from item_sequences import det

from rvm_detector.item_tracker import IouTracker


def test_moving_object_keeps_its_track_and_becomes_still():
    tracker = IouTracker(match_iou=0.3, stable_iou=0.8, max_misses=2)
    ids = []
    for x in (100, 130, 160, 160, 160, 160):
        (d,) = tracker.update([det(x, 100, x + 120, 300)])
        ids.append(d.track_id)
    assert len(set(ids)) == 1
    track = tracker.tracks[ids[0]]
    assert track.hits == 6
    assert track.still_frames == 4   # the first still frame plus three unmoved ones


def test_far_object_gets_a_new_track_and_lost_tracks_expire():
    tracker = IouTracker(max_misses=2)
    (a,) = tracker.update([det(0, 0, 100, 100)])
    (b,) = tracker.update([det(400, 300, 500, 400)])
    assert a.track_id != b.track_id
    for _ in range(2):
        tracker.update([det(400, 300, 500, 400)])
    assert a.track_id not in tracker.tracks
    assert [t.track_id for t in tracker.visible()] == [b.track_id]


def test_two_objects_in_one_frame_are_matched_separately():
    tracker = IouTracker()
    first = tracker.update([det(0, 0, 100, 100), det(300, 0, 400, 100)])
    second = tracker.update([det(302, 0, 402, 100), det(2, 0, 102, 100)])
    assert {d.track_id for d in first} == {d.track_id for d in second}
    assert second[0].track_id == first[1].track_id
