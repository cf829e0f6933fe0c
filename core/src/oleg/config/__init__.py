"""The deployment file: one TOML, one section per component kind, validated by each plugin."""

from oleg.config.loader import ComponentConfig, Deployment, load_deployment, load_deployment_dict
from oleg.config.sections import (
    DeploymentSection,
    EngineSection,
    ExplorationSettings,
    MetricsSection,
)

__all__ = [
    "ComponentConfig",
    "Deployment",
    "DeploymentSection",
    "EngineSection",
    "ExplorationSettings",
    "MetricsSection",
    "load_deployment",
    "load_deployment_dict",
]
