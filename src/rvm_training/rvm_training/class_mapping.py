"""Map a photo set's own class names onto the model's classes (``--class-map``).

A mapping is written either as a YAML/JSON file (``{source_name: target}``) or inline as
``"source=target,source=target"``. A target is one of
:data:`rvm_training.synthetic_scene.CLASS_NAMES` or ``drop`` (the item is left out and its image
region is not used as background either: the whole image is skipped). Source names are matched
without regard to case, spaces, dashes or underscores (``"Clean Glass"`` == ``clean_glass``).
A source class that the mapping does not name is an error that names it, so a new class in a
photo set is never silently lost or mislabelled.
"""

import json
import re
from pathlib import Path

import yaml

from rvm_training.synthetic_scene import CLASS_NAMES

DROP = 'drop'


class ClassMappingError(ValueError):
    """A class mapping is malformed, or a source class has no mapping."""


def _key(name):
    return re.sub(r'[\s_\-]+', '_', str(name).strip().lower())


class ClassMapping:
    """Source class name -> model class index, or ``None`` for a dropped class."""

    def __init__(self, mapping, source=''):
        self.source = source
        self._targets = {}
        for src, target in dict(mapping).items():
            target_key = _key(target)
            if target_key != DROP and target_key not in CLASS_NAMES:
                raise ClassMappingError(
                    f'class map{self._where()}: target {target!r} of {src!r} is not one of '
                    f'{", ".join(CLASS_NAMES)} or {DROP!r}')
            self._targets[_key(src)] = None if target_key == DROP else CLASS_NAMES.index(
                target_key)
        if not self._targets:
            raise ClassMappingError(f'class map{self._where()} is empty')

    def _where(self):
        return f' {self.source}' if self.source else ''

    def index(self, source_name):
        """Model class index of ``source_name``; ``None`` if it is dropped; error if unknown."""
        key = _key(source_name)
        if key not in self._targets:
            raise ClassMappingError(
                f'source class {source_name!r} has no entry in the class map{self._where()} '
                f'(known: {", ".join(sorted(self._targets))}); add "{source_name}: <class>" or '
                f'"{source_name}: {DROP}"')
        return self._targets[key]

    def check(self, source_names):
        """Raise for the first of ``source_names`` that the mapping does not name."""
        for name in source_names:
            self.index(name)

    def as_dict(self):
        """The mapping as ``{source key: target name or 'drop'}`` (for dataset.json)."""
        return {k: (CLASS_NAMES[v] if v is not None else DROP) for k, v in self._targets.items()}


def parse_inline(text):
    """``"a=pet_bottle, b=drop"`` -> dict."""
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(','))):
        if '=' not in part:
            raise ClassMappingError(f'class map entry {part!r} is not "source=target"')
        src, target = (s.strip() for s in part.split('=', 1))
        if not src or not target:
            raise ClassMappingError(f'class map entry {part!r} has an empty side')
        mapping[src] = target
    return mapping


def load_class_mapping(spec):
    """A :class:`ClassMapping` from a YAML/JSON file path or an inline ``a=b,c=d`` string."""
    if isinstance(spec, ClassMapping):
        return spec
    if isinstance(spec, dict):
        return ClassMapping(spec)
    path = Path(spec)
    if path.suffix.lower() in ('.yaml', '.yml', '.json'):
        if not path.is_file():
            raise ClassMappingError(f'class map file not found: {path}')
        text = path.read_text()
        try:
            data = json.loads(text) if path.suffix.lower() == '.json' else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise ClassMappingError(f'class map file {path} cannot be read: {exc}') from exc
        if not isinstance(data, dict):
            raise ClassMappingError(f'class map file {path} must hold "source: target" pairs')
        return ClassMapping(data, str(path))
    return ClassMapping(parse_inline(str(spec)), 'given inline')
