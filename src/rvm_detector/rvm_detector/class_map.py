"""Model class name -> RVM category mapping and per-category accept policy (YAML)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from rvm_common.params import ConfigError, check_keys, config_from_mapping, param
from rvm_common.yaml_file import read_yaml

BUNDLED_CLASS_MAP = Path(__file__).resolve().parent / 'config' / 'class_map.yaml'
SECTIONS = ('version', 'default_category', 'classes', 'categories')


class ClassMapError(ConfigError):
    """A class map file that is missing or malformed."""


@dataclass(frozen=True)
class CategoryPolicy:
    """Whether a category is accepted, and an optional size range overriding the node's."""

    accepted: bool
    min_area_fraction: float | None = param(None, 'smallest mask area (fraction of the frame)',
                                            minimum=0.0, maximum=1.0)
    max_area_fraction: float | None = param(None, 'largest mask area (fraction of the frame)',
                                            minimum=0.0, maximum=1.0)


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
        """Validate parsed YAML (errors name ``source``, the section and the key)."""
        where = f'class map {source}'
        try:
            if not isinstance(data, dict):
                raise ConfigError(f'{where}: expected a mapping at the top level')
            check_keys(data, SECTIONS, source=where, what='section')
            classes = data.get('classes') or {}
            categories = data.get('categories') or {}
            if not isinstance(classes, dict) or not isinstance(categories, dict):
                raise ConfigError(f'{where}: "classes" and "categories" must be mappings')
            default = str(data.get('default_category', 'other'))
            policies = {}
            for name, spec in categories.items():
                spec = spec or {}
                if not isinstance(spec, dict) or not isinstance(spec.get('accepted'), bool):
                    raise ConfigError(f'{where}: categories.{name}: needs accepted: true|false')
                policies[str(name)] = config_from_mapping(CategoryPolicy, spec, source=where,
                                                          section=f'categories.{name}')
        except ClassMapError:
            raise
        except ConfigError as exc:
            raise ClassMapError(str(exc)) from None
        unknown = sorted({str(c) for c in classes.values()} - set(policies))
        if unknown:
            raise ClassMapError(f'{where}: categories without a policy: {", ".join(unknown)}')
        return cls(classes={str(k): str(v) for k, v in classes.items()}, categories=policies,
                   default_category=default, source=source)
