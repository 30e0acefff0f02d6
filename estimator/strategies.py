"""Every way to run a model over the hardware, defined once: its name, how the page writes it, the
glossary terms that explain it, and whether it keeps the whole model in GPU memory.

The order is the order of simplicity: when two plans are within 5% of each other, the earlier one is
recommended (`ranking.rank`).
"""

from dataclasses import dataclass
from typing import Literal

Strategy = Literal[
    "single",
    "layer_split",
    "tensor_parallel",
    "replicas",
    "cpu_offload",
    "expert_offload",
    "rpc_cluster",
    "pipeline_parallel",
]


@dataclass(frozen=True)
class StrategyInfo:
    title: str  # a heading or a table cell: "Layer split"
    phrase: str  # inside a sentence: "with a layer split"
    term: str  # the glossary page that explains it
    terms: tuple[str, ...]  # every glossary page a plan of it links to
    gpu_only: bool  # the whole model in GPU memory (no layer or expert in system RAM)

    @property
    def label(self) -> str:
        """The title inside a sentence: "layer split", "one GPU", "CPU offload"."""
        return self.title if self.title[1:2].isupper() else self.title[0].lower() + self.title[1:]


STRATEGIES: dict[Strategy, StrategyInfo] = {
    "single": StrategyInfo("One GPU", "one GPU", "vram", ("vram", "memory-bandwidth", "decode"), True),
    "layer_split": StrategyInfo(
        "Layer split",
        "a layer split",
        "layer-split",
        ("layer-split", "pipeline-parallelism", "pipeline-bubble", "model-parallelism"),
        True,
    ),
    "tensor_parallel": StrategyInfo(
        "Tensor parallel",
        "tensor parallelism",
        "tensor-parallelism",
        ("tensor-parallelism", "all-reduce", "nvlink", "pcie", "model-parallelism"),
        True,
    ),
    "replicas": StrategyInfo(
        "Replicas",
        "replicas",
        "data-parallelism",
        ("data-parallelism", "request-routing", "continuous-batching"),
        True,
    ),
    "cpu_offload": StrategyInfo(
        "CPU offload", "CPU offload", "cpu-offload", ("cpu-offload", "memory-bandwidth"), False
    ),
    "expert_offload": StrategyInfo(
        "Expert offload",
        "MoE expert offload",
        "moe-expert-offload",
        ("moe-expert-offload", "mixture-of-experts", "expert-parallelism"),
        False,
    ),
    "rpc_cluster": StrategyInfo(
        "RPC cluster",
        "an RPC cluster",
        "rpc-clustering",
        ("rpc-clustering", "pipeline-parallelism", "layer-split"),
        True,
    ),
    # vLLM's and SGLang's way over several machines: tensor parallel over the GPUs of each machine, one
    # pipeline stage per machine ("set tensor_parallel_size to the number of GPUs per node and
    # pipeline_parallel_size to the number of nodes": layouts.VLLM_MULTI_NODE)
    "pipeline_parallel": StrategyInfo(
        "Tensor × pipeline parallel",
        "tensor parallelism in each machine and pipeline parallelism across them",
        "pipeline-parallelism",
        ("pipeline-parallelism", "tensor-parallelism", "all-reduce", "pipeline-bubble", "model-parallelism"),
        True,
    ),
}
GPU_ONLY: tuple[Strategy, ...] = tuple(s for s, info in STRATEGIES.items() if info.gpu_only)
# The plans over several machines: llama.cpp's, and vLLM's and SGLang's
OVER_MACHINES: tuple[Strategy, ...] = ("rpc_cluster", "pipeline_parallel")


def label(strategy: str) -> str:
    """A plan's title inside a sentence: "layer split", "one GPU", "CPU offload"."""
    return STRATEGIES[strategy].label
