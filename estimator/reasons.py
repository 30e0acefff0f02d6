"""Reasons as data: what the engine found, as a code and the numbers and names it rests on, never a
sentence. The site words each code once (calculator/present.py); the engine's tests check codes and
values."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# What a reason says, one sentence each on the site (calculator/present.py words them; the engine
# writes no sentence). `ranking.py`: why the recommended plan, why none, and each plan's place.
ReasonCode = Literal[
    "recommended",  # strategy, tok_s, aggregate; faster, faster_tok_s, why_not, runtime | next, next_tok_s (plans the runtime runs); one_device; context, *tok_s_at_context where the full context's speeds are quoted too
    "none_fits",  # strategy (the closest), device, short_bytes
    "none_fits_in_margin",  # strategy (the closest), device, headroom_bytes, free_bytes
    "also_fits",  # tok_s, aggregate, best, best_tok_s; why_not, runtime when it is faster or another runtime runs it; context, *tok_s_at_context as above
    "short",  # device, short_bytes
    "short_in_margin",  # device, headroom_bytes, free_bytes
    # `suggest.py`: what to change
    "largest_format",  # quant (its name), bits_per_weight: nothing fits at this format, this one does
    "wider_format",  # quant: this format fits, a wider one too; strategy, tok_s…, experimental: only with another plan
    "longest_context",  # context_tokens, quant; at_limit: the model's maximum; strategy, tok_s…: another plan
    "kv_cache",  # kv; makes_fit | saved_bytes; context_tokens: what it allows; flash_attention: turned on too
    "wired_limit",  # wired_limit_mb, usable_bytes, kept_bytes; context_tokens where it fits only that much context: a Mac's GPU memory limit raised makes it fit
    "flash_attention",  # makes_fit | tok_s, was_tok_s (at full context); context_tokens: flash attention on
    "more_machines",  # hosts, device, strategy, tok_s; per_machine: alike GPUs in each; machine: unlike ones
    "more_gpus",  # gpu_count, device, strategy, tok_s
    "give_ram",  # no system RAM given: offload plans need it (suggested before engine 0.6.24; snapshots keep it)
    "ram_for_offload",  # ram_gb; strategy, tok_s (and `_plan_values`' others) of the plan that fits with it
    "offloaded",  # strategy, tok_s; faster_by: a GPU with more memory, × faster
    # `ranking.py` and `layouts.py`: why a strategy was not computed (`Estimate.unavailable`)
    "needs_several_gpus",
    "unified_memory",  # the GPU's memory is the system memory: no RAM to offload to
    "no_ram_given",
    "fits_in_gpus",  # offloading ("layers" or "experts") would only slow it down
    "dense_model",  # no experts to offload
    "one_machine",
    "gpus_differ",  # tensor parallel needs identical GPUs
    "heads_do_not_divide",  # heads, gpus
    "layers_only",  # runtime: splits a model over GPUs by layers only
    "machines_by_rpc",  # runtime: over machines it runs llama.cpp's RPC cluster, not vLLM's tensor × pipeline
    "tensor_split_backend",  # llama.cpp's tensor split: CUDA and ROCm only
    "tensor_split_mla",
    "tensor_split_architecture",
    "tensor_split_flash_attention",
    "tensor_split_kv_cache",
    # `plans.py` and `admission.py`: each plan's notes and warnings
    "one_of_several",  # device, others: the devices left free
    "layers_in_turn",  # counts: layers per device
    "tensor_shards",  # tp; mla: the KV cache is not sharded (mla_not_split)
    "gpus_left_out",  # left, heads, gpus
    "copies",  # copies, sequences (each)
    "ngl",  # ngl, layers, in_ram
    "n_cpu_moe",  # n_cpu_moe, in_ram, moe_layers, experts_per_tok, experts
    "expert_layers_over_gpus",  # counts, ratios; n_cpu_moe when experts are in RAM
    "rpc_layers",  # hosts, gpus, counts
    "pipeline_stages",  # hosts, tp, counts: layers per machine, each machine's tp ranks sharing them
    "network",  # gb_s, latency_us
    "pipeline_bubble",  # stage: "machine" where a stage is a machine's GPUs (else one GPU)
    "one_gpu_stops_all",
    "one_machine_stops_all",
    "all_reduce_over_pcie",  # all_reduces, all_reduce_s, step_s; bridge: the cards take an NVLink bridge
    "kv_heads_replicated",  # tp, kv_heads
    "mla_not_split",
    "tensor_split_experimental",
    "needs_router",
    "layers_in_ram",  # share (0–1), ram_gb_s, time_share (0–1 of the decode step)
    "experts_in_ram",  # ram_gb_s
    "ram_bandwidth_assumed",  # ram_gb_s
    "weights_cross_network",
    "tight",  # devices: their names; n_cpu_moe | ngl: an offload plan's flag that leaves more room
    "vllm_queue",  # sequences, context_tokens, running, waiting, queue_s; replicas: copies, sequences (each copy's, the fewest), sequences_most (the most, where they differ)
    "ollama_one_at_a_time",  # running (1), waiting, queue_s: Ollama does not batch the architecture
    # `commands*.py`: why a tool gets no weights of the format (`commands.unavailable()`); quant and
    # model are their names
    "no_gguf_nor_checkpoint",  # quant, model: no GGUF published, no own checkpoint to convert
    "checkpoint_kept_as_is",  # quant, model, kind (of the own checkpoint), converter
    "architecture_unknown",  # quant, model: its config.json's architecture is not known here
    "architecture_unsupported",  # model, architecture, converter
    "needs_imatrix",  # quant, model
    "no_quantize_type",  # quant, model
    "no_checkpoint",  # quant, model, tool: vLLM or SGLang makes none as it loads
    "no_mlx_conversion",  # quant, model
    "no_mlx_weights",  # quant, model
    "no_lms_conversion",  # quant, model
    "gguf_in_parts",  # quant, model, repo: lms takes one file
    "said",  # text: a sentence an engine up to 0.6.13 wrote, kept by a shared snapshot
]


class Reason(BaseModel):
    """Why, as data: what the engine found (`code`) and the numbers and names it rests on (`values`:
    bytes as integers, speeds in tok/s, strategies and runtimes by identifier)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: ReasonCode
    values: dict[str, int | float | str | tuple[int | float | str, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, data: object) -> object:
        """A snapshot shared before reasons were data stored the sentence itself: shown as it was."""
        return {"code": "said", "values": {"text": data}} if isinstance(data, str) else data
