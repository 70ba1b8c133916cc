import pytest

from rvm_detector.class_map import BUNDLED_CLASS_MAP, ClassMap, ClassMapError


def test_bundled_map_covers_the_model_classes():
    cmap = ClassMap.load('')
    assert cmap.source == str(BUNDLED_CLASS_MAP)
    for name in ('pet_bottle', 'aluminium_can', 'glass_bottle'):
        assert cmap.category_of(name) == name
        assert cmap.policy(name).accepted
    assert cmap.category_of('other') == 'other'
    assert not cmap.policy('other').accepted
    assert cmap.category_of('bottle') == 'pet_bottle'


def test_unknown_class_maps_to_default_category():
    cmap = ClassMap.load('')
    assert cmap.category_of('zebra') == cmap.default_category == 'other'


def test_per_category_size_range(tmp_path):
    path = tmp_path / 'map.yaml'
    path.write_text('classes: {can: aluminium_can}\n'
                    'categories: {aluminium_can: {accepted: true, max_area_fraction: 0.1}}\n')
    cmap = ClassMap.load(path)
    assert cmap.policy('aluminium_can').max_area_fraction == 0.1
    assert cmap.policy('aluminium_can').min_area_fraction is None


@pytest.mark.parametrize('text, message', [
    ('- a\n- b\n', 'mapping at the top level'),
    ('classes: {a: b}\ncategories: {}\n', 'without a policy: b'),
    ('classes: {}\ncategories: {b: {accepted: maybe}}\n', 'accepted: true|false'),
    ('classes: [\n', 'not valid YAML'),
    ('clases: {}\n', "bad.yaml: unknown section 'clases' (did you mean 'classes'?)"),
    ('categories: {a: {accepted: true, max_area: 0.5}}\n',
     "bad.yaml: categories.a: unknown key 'max_area' (did you mean 'max_area_fraction'?)"),
    ('categories: {a: {accepted: true, max_area_fraction: 1.5}}\n',
     'bad.yaml: categories.a.max_area_fraction: 1.5 is out of range (allowed: 0.0..1.0)'),
    ('categories: {a: {accepted: true, min_area_fraction: big}}\n',
     "bad.yaml: categories.a.min_area_fraction: expected a number, got 'big'"),
])
def test_malformed_map_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / 'bad.yaml'
    path.write_text(text)
    with pytest.raises(ClassMapError) as info:
        ClassMap.load(path)
    assert message in str(info.value)


def test_missing_map_file(tmp_path):
    with pytest.raises(ClassMapError, match='cannot read class map'):
        ClassMap.load(tmp_path / 'nope.yaml')
