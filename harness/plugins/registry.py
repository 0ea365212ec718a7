"""Building a plugin manager and the registries of providers and scorers it fills.

There is no module-level manager: each run (and each test) builds its own with
:func:`build_registries`, so plugins never leak between runs.

>>> registries = build_registries()
>>> "offline" in registries.models.names
True
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any

import pluggy

from harness.errors import ConfigError, did_you_mean
from harness.models.base import ModelAdapter
from harness.plugins import hooks
from harness.scoring.base import ScorerFactory


@dataclass(frozen=True)
class LazyAdapter:
    """A provider whose module is imported only when a scenario uses it.

    ``target`` is ``"module:Class"``; ``extra`` names the optional dependency group whose
    install line the user is given when the import fails.
    """

    provider: str
    target: str
    extra: str

    def load(self, source: str) -> type[ModelAdapter]:
        module_name, _, class_name = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(
                f"{source}: provider '{self.provider}' needs a package that is not installed "
                f"({exc.name}); install it with: pip install 'replay-harness[{self.extra}]'"
            ) from None
        adapter: type[ModelAdapter] = getattr(module, class_name)
        return adapter


@dataclass
class ModelRegistry:
    """Adapter classes by provider name (some registered lazily)."""

    adapters: dict[str, type[ModelAdapter] | LazyAdapter] = field(default_factory=dict)

    def register_lazy(self, provider: str, target: str, *, extra: str) -> None:
        """Register a provider by import path, so its SDK is imported only when used."""
        self.adapters[provider] = LazyAdapter(provider, target, extra)

    def register(self, adapter: type[ModelAdapter]) -> None:
        if not (inspect.isclass(adapter) and issubclass(adapter, ModelAdapter)):
            raise ConfigError(f"{adapter!r} is not a ModelAdapter subclass")
        name = getattr(adapter, "provider", None)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{adapter.__name__} has no 'provider' name")
        if name in self.adapters and self.adapters[name] is not adapter:
            raise ConfigError(f"provider '{name}' is registered twice")
        self.adapters[name] = adapter

    @property
    def names(self) -> list[str]:
        return sorted(self.adapters)

    def get(self, provider: str, *, source: str) -> type[ModelAdapter]:
        try:
            found = self.adapters[provider]
        except KeyError:
            raise ConfigError(
                f"{source}: field 'model.provider': unknown provider '{provider}'"
                f"{did_you_mean(provider, self.adapters)}; known providers: "
                f"{', '.join(self.names)}"
            ) from None
        if isinstance(found, LazyAdapter):
            found = found.load(source)
            self.adapters[provider] = found
        return found


@dataclass
class ScorerRegistry:
    """Scorer factories by scorer id."""

    factories: dict[str, ScorerFactory] = field(default_factory=dict)

    def register(self, scorer_id: str, factory: ScorerFactory) -> None:
        if not callable(factory):
            raise ConfigError(f"scorer '{scorer_id}': factory {factory!r} is not callable")
        params = list(inspect.signature(factory).parameters)
        if len(params) != 1:
            raise ConfigError(
                f"scorer '{scorer_id}': factory must take one argument (the ScorerContext), "
                f"takes ({', '.join(params)})"
            )
        self.factories[scorer_id] = factory

    @property
    def names(self) -> list[str]:
        return sorted(self.factories)

    def get(self, scorer_id: str, *, source: str) -> ScorerFactory:
        try:
            return self.factories[scorer_id]
        except KeyError:
            raise ConfigError(
                f"{source}: field 'scorers': unknown scorer '{scorer_id}'"
                f"{did_you_mean(scorer_id, self.factories)}; known scorers: "
                f"{', '.join(self.names)}"
            ) from None


@dataclass
class Registries:
    models: ModelRegistry
    scorers: ScorerRegistry


class _Builtins:
    """The providers and scorers that ship with the harness, registered like any plugin."""

    @hooks.hookimpl
    def harness_register_models(self, register: Any) -> None:
        from harness.models.offline import OfflineModel
        from harness.models.recorded import RecordedModel

        register(RecordedModel)
        register(OfflineModel)

    @hooks.hookimpl
    def harness_register_lazy_models(self, register_lazy: Any) -> None:
        register_lazy("anthropic", "harness.models.anthropic:AnthropicModel", extra="anthropic")
        register_lazy(
            "openai-compatible",
            "harness.models.openai_compatible:OpenAICompatibleModel",
            extra="openai",
        )

    @hooks.hookimpl
    def harness_register_scorers(self, register: Any) -> None:
        from harness.scoring.disclosure_rules import disclosure_rules
        from harness.scoring.disclosures import disclosures
        from harness.scoring.rag import ragas_metrics

        register("disclosure_rules", disclosure_rules)
        register("disclosures", disclosures)
        register("ragas", ragas_metrics)


def build_registries(*plugins: object, entry_points: bool = True) -> Registries:
    """A fresh plugin manager with the built-ins, ``plugins`` and installed entry points."""
    manager = pluggy.PluginManager(hooks.PROJECT)
    manager.add_hookspecs(hooks)
    manager.register(_Builtins(), name="harness-builtins")
    for plugin in plugins:
        manager.register(plugin)
    if entry_points:
        manager.load_setuptools_entrypoints(hooks.PROJECT)
    models, scorers = ModelRegistry(), ScorerRegistry()
    manager.hook.harness_register_models(register=models.register)
    manager.hook.harness_register_lazy_models(register_lazy=models.register_lazy)
    manager.hook.harness_register_scorers(register=scorers.register)
    return Registries(models=models, scorers=scorers)
