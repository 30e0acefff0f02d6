"""How a runtime admits the sequences asked for: vLLM by how many sequences of the full context its paged KV
cache holds at once, from the memory each device has left after its weights (device_memory.py); Ollama one
at a time for the architectures it does not batch (`kv_cache.served_sequences`), whatever the memory. So
how many run and how many wait: plans (plans.py) time only the admitted ones and warn about the rest."""

from dataclasses import dataclass

from . import kv_cache
from .device_memory import kv_share
from .schema import DeviceUsage, ModelSpec, Reason, Workload
from .slots import Layout


@dataclass(frozen=True)
class Admission:
    """How the runtime admits `batch` sequences of the full context: vLLM's paged KV cache by its pool in
    tokens and how many such sequences it holds at once (its start-up log's "Maximum concurrency for N
    tokens per request"); Ollama's one slot for a model it runs one at a time (no pool: `capacity_tokens`
    None, one sequence at once); and how many run at once and wait."""

    capacity_tokens: int | None
    concurrency: float
    running: int
    waiting: int
    # replicas: the sequences of the full context each copy's own KV cache holds (vLLM's log of each copy);
    # `concurrency` is then the whole ones they hold together, as a copy runs no fraction of one
    per_copy: tuple[float, ...] = ()

    def warning(self, workload: Workload, queue_s: float) -> Reason:
        if self.capacity_tokens is None:  # Ollama: the architecture, not the memory, decides
            values = {"running": self.running, "waiting": self.waiting, "queue_s": queue_s}
            return Reason(code="ollama_one_at_a_time", values=values)
        values = {"sequences": self.concurrency, "context_tokens": workload.context_tokens}
        if self.per_copy:  # "each copy's KV cache holds 1.3 sequences …: 4 run at once, 1 on each copy"
            low, high = min(self.per_copy), max(self.per_copy)
            values = {
                "sequences": low,
                "context_tokens": workload.context_tokens,
                "copies": len(self.per_copy),
            }
            if high != low:
                values["sequences_most"] = high
        values |= {"running": self.running, "waiting": self.waiting, "queue_s": queue_s}
        return Reason(code="vllm_queue", values=values)


def admit(
    model: ModelSpec, workload: Workload, layout: Layout, usages: list[DeviceUsage], *, replicas: bool = False
) -> tuple[Workload, Admission | None]:
    """The workload to time, with `batch` cut to the sequences the runtime runs at once, and how it admits
    them: under vLLM by its KV cache (`vllm_admission`), under Ollama one at a time for the models it does
    not batch (`ollama_admission`); otherwise the workload as given and None."""
    if workload.runtime == "vllm":
        return vllm_admission(model, workload, layout, usages, replicas=replicas)
    return ollama_admission(model, workload)


def ollama_admission(model: ModelSpec, workload: Workload) -> tuple[Workload, Admission | None]:
    """Ollama's one slot for a model it runs one request at a time (`kv_cache.served_sequences`): one
    sequence timed, the other `batch` − 1 waiting their turn; otherwise the workload as given and None.
    Its memory counts the one slot already (`kv_cache.reserved_sequences`)."""
    running = kv_cache.served_sequences(model, workload)
    if running >= workload.batch:
        return workload, None
    timed = workload.model_copy(update={"batch": running})
    return timed, Admission(None, float(running), running, workload.batch - running)


def vllm_admission(
    model: ModelSpec, workload: Workload, layout: Layout, usages: list[DeviceUsage], *, replicas: bool = False
) -> tuple[Workload, Admission | None]:
    """The workload to time, with `batch` cut to the sequences vLLM's KV cache admits at once, and the
    admission itself; outside vLLM, the workload as given and None (`admit` asks the runtime's own)."""
    if workload.runtime != "vllm":
        return workload, None
    slot_blocks = _slot_blocks(model, workload, layout, usages)
    pool = vllm_kv_pool(model, slot_blocks, replicas=replicas)
    if pool is None:
        return workload, None
    blocks, tokens = pool
    need = kv_cache.vllm_request_blocks(model, workload)
    concurrency, held, per_copy = blocks / need, blocks // need, ()
    if replicas:
        # each copy admits only what its own cache holds: 4 copies of 1.3 sequences each run 4 at once,
        # not the 5 of their 5.3 added up (a visitor review: "5 run at once … 2 sequences each")
        per_copy = tuple(b / need for b in slot_blocks)
        held = sum(int(c) for c in per_copy)
        concurrency = float(held)
    if held < 1:  # not one sequence: the plan does not fit, and nothing is admitted
        return workload, Admission(tokens, concurrency, 0, 0, per_copy)
    running = min(workload.batch, held)
    admission = Admission(tokens, concurrency, running, workload.batch - running, per_copy)
    timed = workload if running == workload.batch else workload.model_copy(update={"batch": running})
    return timed, admission


def vllm_kv_pool(
    model: ModelSpec, slot_blocks: list[int], *, replicas: bool = False
) -> tuple[int, int] | None:
    """vLLM's pool of KV blocks and its size in tokens as its start-up log prints it ("GPU KV cache size:
    N tokens"), from each GPU slot's blocks (`_slot_blocks`); None where no slot has any.

    Each GPU gives the cache what `gpu_memory_utilization` × its memory leaves after weights, activations
    with CUDA graphs (`compute_bytes`) and CUDA context + NCCL (`overhead_bytes`). A block is 16 tokens of
    one group of layers (`kv_cache.vllm_group_layers`: every layer the GPU holds, or with sliding-window
    layers one hybrid group's share of them) times the GPU's share of the KV heads (tensor parallel). The
    stages and ranks hold the same blocks: the smallest count is the pool. Replicas each have their own:
    their counts add up to the pool here, but each copy admits only the sequences its own holds
    (`vllm_admission`). The log divides the blocks among the groups (one, without sliding-window
    layers); a request takes `kv_cache.vllm_request_blocks` of them.
    """
    if not slot_blocks:
        return None
    groups = kv_cache.vllm_groups(model)
    count = 1 if groups is None else groups.full + groups.window
    if replicas:
        return sum(slot_blocks), sum(b // count for b in slot_blocks) * kv_cache.VLLM_BLOCK_TOKENS
    return min(slot_blocks), min(slot_blocks) // count * kv_cache.VLLM_BLOCK_TOKENS


def _slot_blocks(
    model: ModelSpec, workload: Workload, layout: Layout, usages: list[DeviceUsage]
) -> list[int]:
    """The KV blocks each GPU slot's memory leaves for vLLM's cache (`vllm_kv_pool` says how), leaving out
    a stage of linear-attention layers only, which has none of its own to count."""
    per_layer = kv_cache.kv_values_per_token_layer(model) * workload.kv_bytes_per_element
    blocks = []
    for slot, u in zip(layout.slots, usages, strict=True):
        per_token = per_layer * kv_cache.vllm_group_layers(model, slot.p.layers) * kv_share(model, slot.tp)
        budget = int(u.capacity_bytes * workload.gpu_memory_utilization) - (
            u.weights_bytes + u.compute_bytes + u.overhead_bytes
        )
        if not per_token:  # a stage of linear-attention layers only: no KV blocks of its own to count
            continue
        tokens = int(budget // per_token) if budget > 0 else 0
        blocks.append(tokens // kv_cache.VLLM_BLOCK_TOKENS)
    return blocks
