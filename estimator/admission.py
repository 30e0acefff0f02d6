"""vLLM's admission: how many sequences of the full context its paged KV cache holds at once, from the
memory each device has left after its weights (device_memory.py), and so how many run and how many wait.
Plans (plans.py) time only the admitted ones and warn about the rest."""

from dataclasses import dataclass

from . import memory
from .device_memory import kv_share
from .schema import DeviceUsage, ModelSpec, Reason, Workload
from .slots import Layout


@dataclass(frozen=True)
class Admission:
    """How vLLM's paged KV cache admits `batch` sequences of the full context: its pool in tokens, how
    many such sequences it holds at once (its start-up log's "Maximum concurrency for N tokens per
    request"), and how many run at once and wait."""

    capacity_tokens: int
    concurrency: float
    running: int
    waiting: int

    def warning(self, workload: Workload, queue_s: float) -> Reason:
        values = {"sequences": self.concurrency, "context_tokens": workload.context_tokens}
        values |= {"running": self.running, "waiting": self.waiting, "queue_s": queue_s}
        return Reason(code="vllm_queue", values=values)


def vllm_admission(
    model: ModelSpec, workload: Workload, layout: Layout, usages: list[DeviceUsage], *, replicas: bool = False
) -> tuple[Workload, Admission | None]:
    """The workload to time, with `batch` cut to the sequences vLLM's KV cache admits at once, and the
    admission itself; outside vLLM, the workload as given and None."""
    capacity = vllm_kv_capacity_tokens(model, workload, layout, usages, replicas=replicas)
    if capacity is None:
        return workload, None
    blocks = -(-workload.context_tokens // memory.VLLM_BLOCK_TOKENS) * memory.VLLM_BLOCK_TOKENS
    if capacity < blocks:  # not one sequence: the plan does not fit, and nothing is admitted
        return workload, Admission(capacity, capacity / workload.context_tokens, 0, 0)
    running = min(workload.batch, capacity // blocks)
    admission = Admission(capacity, capacity / workload.context_tokens, running, workload.batch - running)
    timed = workload if running == workload.batch else workload.model_copy(update={"batch": running})
    return timed, admission


def vllm_kv_capacity_tokens(
    model: ModelSpec,
    workload: Workload,
    layout: Layout,
    usages: list[DeviceUsage],
    *,
    replicas: bool = False,
) -> int | None:
    """Tokens of KV cache vLLM pre-allocates (its "GPU KV cache size: N tokens"); None outside vLLM.

    Each GPU gives the cache what `gpu_memory_utilization` × its memory leaves after weights, activations
    with CUDA graphs (`compute_bytes`) and CUDA context + NCCL (`overhead_bytes`), in whole 16-token
    blocks. A token costs each GPU the KV of the layers it holds (pipeline stages) times its share of the
    KV heads (tensor parallel), so the stages and ranks hold the same tokens: the smallest count is the
    cache. Replicas each have their own: their counts add up. Every layer is counted for the full
    context (vLLM without its hybrid allocator; with it, sliding-window layers cost less).
    """
    if workload.runtime != "vllm":
        return None
    per_layer = memory.kv_values_per_token_layer(model) * workload.kv_bytes_per_element
    counts = []
    for slot, u in zip(layout.slots, usages, strict=True):
        per_token = per_layer * len(slot.p.layers) * kv_share(model, slot.tp)
        budget = int(u.capacity_bytes * workload.gpu_memory_utilization) - (
            u.weights_bytes + u.compute_bytes + u.overhead_bytes
        )
        tokens = int(budget // per_token) if per_token and budget > 0 else 0
        counts.append(tokens // memory.VLLM_BLOCK_TOKENS * memory.VLLM_BLOCK_TOKENS)
    if not counts:
        return None
    return sum(counts) if replicas else min(counts)
