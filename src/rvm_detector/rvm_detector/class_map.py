"""Model class name -> RVM category mapping and per-category accept policy (YAML)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from rvm_common.yaml_file import read_yaml

BUNDLED_CLASS_MAP = Path(__file__).resolve().parent / 'config' / 'class_map.yaml'


class ClassMapError(ValueError):
    """A class map file that is missing or malformed."""


@dataclass(frozen=True)
class CategoryPolicy:
    """Whether a category is accepted, and an optional size range overriding the node's."""

    accepted: bool
    min_area_fraction: float | None = None
    max_area_fraction: float | None = None


@dataclass(frozen=True)
class ClassMap:
    """Maps model class names to RVM categories; unknown names map to ``default_category``."""

    classes: Mapping[str, str]
    categories: Mapping[str, CategoryPolicy]
    default_category: str = 'other'
    source: str = field(default='', compare=False)

    def category_of(self, class_name: str) -> str:
        return self.classes.get(class_name, self.default_category)

    def policy(self, category: str) -> CategoryPolicy:
        return self.categories.get(category, CategoryPolicy(accepted=False))

    @classmethod
    def load(cls, path: str | Path = '') -> 'ClassMap':
        """Load ``path`` ('' = the bundled map); raises :class:`ClassMapError` with the reason."""
        path = Path(path) if path else BUNDLED_CLASS_MAP
        data = read_yaml(path, 'class map', ClassMapError)
        return cls.from_mapping(data, source=str(path))

    @classmethod
    def from_mapping(cls, data: Any, source: str = '<mapping>') -> 'ClassMap':
        if not isinstance(data, dict):
            raise ClassMapError(f'class map {source}: expected a mapping at the top level')
        classes = data.get('classes') or {}
        categories = data.get('categories') or {}
        if not isinstance(classes, dict) or not isinstance(categories, dict):
            raise ClassMapError(f'class map {source}: "classes" and "categories" must be mappings')
        default = str(data.get('default_category', 'other'))
        policies = {}
        for name, spec in categories.items():
            spec = spec or {}
            if not isinstance(spec, dict) or not isinstance(spec.get('accepted', False), bool):
                raise ClassMapError(f'class map {source}: category {name!r} needs accepted: true|false')
            policies[str(name)] = CategoryPolicy(
                accepted=bool(spec.get('accepted', False)),
                min_area_fraction=_opt_float(spec, 'min_area_fraction', source),
                max_area_fraction=_opt_float(spec, 'max_area_fraction', source))
        unknown = sorted({str(c) for c in classes.values()} - set(policies))
        if unknown:
            raise ClassMapError(f'class map {source}: categories without a policy: {", ".join(unknown)}')
        return cls(classes={str(k): str(v) for k, v in classes.items()}, categories=policies,
                   default_category=default, source=source)


def _opt_float(spec: dict, key: str, source: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClassMapError(f'class map {source}: {key} must be a number, got {value!r}')
    return float(value)
