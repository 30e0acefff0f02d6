"""The estimation engine: pure Python, no Django. `estimate()` is its one entry point."""

from .estimate import ENGINE_VERSION, estimate
from .schema import DeviceSpec, DeviceUsage, Estimate, Explanation, MemoryBreakdown, ModelSpec, Plan, QuantSpec, Workload

__all__ = [
    "ENGINE_VERSION",
    "DeviceSpec",
    "DeviceUsage",
    "Estimate",
    "Explanation",
    "MemoryBreakdown",
    "ModelSpec",
    "Plan",
    "QuantSpec",
    "Workload",
    "estimate",
]
