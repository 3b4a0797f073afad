"""The URL conf as a flat list: every pattern Django resolves, with its full route, its
namespaced name and the converters of its parameters. Shared by the walks that must see
every URL (the access-log coverage, the access matrix)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RoutePattern


@dataclass(frozen=True)
class Url:
    route: str
    name: str | None  # "namespace:name"
    namespace: str
    callback: Callable[..., Any]
    converters: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        target = getattr(self.callback, "view_class", None) or self.callback
        where = f"{target.__module__}.{getattr(target, '__qualname__', target)}"
        return f"/{self.route}  name={self.name}  view={where}"


def walk(patterns: list, prefix: str = "", namespace: str = "", converters=None) -> Iterator[Url]:
    converters = converters or {}
    for p in patterns:
        found = dict(converters)
        if isinstance(p.pattern, RoutePattern):
            found.update(p.pattern.converters)
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace]))
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns, found)
        elif isinstance(p, URLPattern):
            name = ":".join(filter(None, [namespace, p.name])) if p.name else None
            yield Url(prefix + str(p.pattern), name, namespace, p.callback, found)
