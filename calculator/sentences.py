"""Every reason code's sentence: `SENTENCES`, one function per `estimator.reasons.ReasonCode`, from a
`Reason`'s values to its words. calculator/present.py reads it; nothing else words a reason."""

from collections.abc import Callable

from catalog.fitting import LOW_BITS
from estimator.commands_lms import IN_PARTS
from estimator.strategies import STRATEGIES
from estimator.units import format_bytes, format_rate, format_seconds, plural

RUNTIME_NAMES = {"llama.cpp": "llama.cpp", "vllm": "vLLM", "ollama": "Ollama", "mlx": "MLX"}

Values = dict[str, int | float | str | tuple[int | float | str, ...]]


def _counted(names: list[str], joined: str = ", ") -> str:
    """Device names, each once with its count: '2× GeForce RTX 3090, GeForce RTX 4090' (`joined` by " + ":
    one machine's GPUs)."""
    counts = {name: names.count(name) for name in names}
    return joined.join(f"{n}× {name}" if n > 1 else name for name, n in counts.items())


def _title(strategy) -> str:
    """A plan's name at the start of a sentence: "Layer split"."""
    return STRATEGIES[strategy].title


def _phrase(strategy) -> str:
    """A plan's name inside a sentence: "layer split", "one GPU"."""
    return STRATEGIES[strategy].label


def _metric(v: Values) -> str:
    return "aggregate tok/s" if v.get("aggregate") else "tok/s single stream"


def _why_not(v: Values, best: str) -> str:
    """Why a faster plan that fits is not the recommended one, `best` (estimator/ranking.py `_why_not`)."""
    why = v["why_not"]
    if why == "copies_serve_better":
        return (
            "within 5%, and the model fits one GPU: copies serve several users without an all-reduce on "
            "every step, and a failed GPU stops only its copy"
        )
    if why == "queues":  # estimator/ranking.py `_seating_all`
        waiting = int(v["users"]) - int(v["seats"])
        return (
            f"the other {waiting} of the {v['users']} users wait their turn, the first about "
            f"{format_seconds(float(v['queue_s']))}"
        )
    if why == "runtime_lacks":
        runtime = str(v["runtime"])
        if runtime == "llama.cpp":
            return "experimental in llama.cpp"
        return f"not something {RUNTIME_NAMES.get(runtime, runtime)} does"
    if why == "other_runtime":  # the page shows every plan; this one another runtime runs
        return f"{RUNTIME_NAMES.get(str(v['runtime']), v['runtime'])} does not run it"
    if why == "tight":
        return "leaves under 10% of a GPU free"
    return f"within 5%, and {_phrase(best)} is simpler"


def _is(strategy) -> str:
    """A plan's name and its verb at the start of a sentence: "Layer split is", "Replicas are"."""
    return f"{_title(strategy)} {'are' if strategy == 'replicas' else 'is'}"


def falling(v: Values, prefix: str = "", *, cached: bool = False, per_user: bool = False) -> str:
    """A plan's speed at the full context after its start's, where the reason quotes it: " falling to 3.8"
    (`cached`: " falling to 16.8 with 65,536 tokens cached"); `per_user`, each of several users' (ranking.py
    `_per_user`: `per_user_tok_s_at_context`, with the tokens each has cached)."""
    full = v.get(f"{prefix}per_user_tok_s_at_context" if per_user else f"{prefix}tok_s_at_context")
    if full is None:
        return ""
    tokens = v[f"{prefix}cached"] if per_user else v.get("context")
    return f" falling to {format_rate(full)}" + (f" with {tokens:,} tokens cached" if cached else "")


def _each(v: Values, prefix: str = "", *, cached: bool = False) -> str:
    """For several users, what each sees beside the aggregate (estimator/ranking.py `_per_user`): "130 per
    user", or where the runtime seats fewer, "32.8 each while answering, 2 at once" (the plans table's "per
    user" averages the waiting ones in: a review read "28.4" there against "56.8 each"); "" for one user.
    Where the full context slows each user as `falling` quotes one: "146 per user, falling to 98.2"
    (`cached`: "... with 8,192 tokens cached")."""
    each = v.get(f"{prefix}per_user_tok_s")
    if each is None:
        return ""
    seated = v.get(f"{prefix}seated")
    text = (
        f"{format_rate(each)} each while answering, {seated} at once"
        if seated is not None
        else f"{format_rate(each)} per user"
    )
    if fall := falling(v, prefix, cached=cached, per_user=True):
        text += f",{fall}"
    return text


def _rate_of(v: Values, prefix: str) -> str:
    """Another plan's speed in a reason: "2,471 aggregate, 130 per user" for several users, else "17.9"
    (and its fall at the full context, where quoted)."""
    rate = format_rate(v.get(f"{prefix}tok_s"))
    if each := _each(v, prefix):
        return f"{rate} aggregate, {each}"
    return f"{rate}{falling(v, prefix)}"


def _recommended(v: Values) -> str:
    each = f", {_each(v, cached=True)}" if _each(v) else ""
    text = f"{_is(v['strategy'])} recommended: {format_rate(v['tok_s'])} {_metric(v)}{each}"
    text += falling(v, cached=True)
    if "faster" in v:
        text += f". {_is(v['faster'])} faster ({_rate_of(v, 'faster_')}) "
        text += f"but {_why_not(v, str(v['strategy']))}"
    elif "next" in v:
        over = " over the whole context" if "context" in v else ""
        text += f", the fastest plan that fits{over} (next: {_phrase(v['next'])}, {_rate_of(v, 'next_')})"
    if v.get("one_device") and ("faster" in v or "next" in v):  # beside plans over several GPUs
        text += "; one device needs no hand-offs between GPUs"
    return text + "."


def _none_fits(v: Values) -> str:
    return (
        f"No plan fits. The closest, {_phrase(v['strategy'])}, needs {format_bytes(v['short_bytes'])} more "
        f"on {v['device']}."
    )


def _none_fits_in_margin(v: Values) -> str:
    return (
        f"No plan fits with {format_bytes(v['headroom_bytes'])} kept free on each device: the closest, "
        f"{_phrase(v['strategy'])}, would leave {format_bytes(v['free_bytes'])} free on {v['device']}."
    )


def _also_fits(v: Values) -> str:
    rate, theirs = format_rate(v["tok_s"]), format_rate(v["best_tok_s"])
    if "context" in v:  # the full context's speeds beside the start's
        text = (
            f"Fits, at {rate} {_metric(v)}{falling(v, cached=True)}, against {theirs}{falling(v, 'best_')} "
            f"for {_phrase(v['best'])}"
        )
    elif rate == theirs:
        text = f"Fits, at the same {rate} {_metric(v)} as {_phrase(v['best'])}"
    elif _each(v) and _each(v, "best_"):  # several users: what each sees beside the aggregate
        text = (
            f"Fits, at {rate} {_metric(v)} ({_each(v)}) against {theirs} ({_each(v, 'best_')}) "
            f"for {_phrase(v['best'])}"
        )
    else:
        text = f"Fits, at {rate} {_metric(v)} against {theirs} for {_phrase(v['best'])}"
    if "why_not" in v:
        text += f", but {_why_not(v, str(v['best']))}"
    return text + "."


def _short(v: Values) -> str:
    return f"Does not fit: {v['device']} is {format_bytes(v['short_bytes'])} short."


def _short_in_margin(v: Values) -> str:
    return (
        f"Does not fit with the {format_bytes(v['headroom_bytes'])} kept free: {v['device']} would have "
        f"{format_bytes(v['free_bytes'])} left."
    )


def _vllm_queue(v: Values) -> str:
    """How many sequences vLLM's KV cache holds and runs at once; for replicas, each copy's own cache, as
    each copy admits only what it holds (estimator/admission.py `Admission.per_copy`)."""
    held = f"{v['sequences']:.1f}"
    if "copies" not in v:
        where, running = "vLLM's KV cache holds", f"{v['running']} run at once"
    else:
        copies, running_n = int(v["copies"]), int(v["running"])
        if "sequences_most" in v:
            held += f" to {v['sequences_most']:.1f}"
        where = "Each copy's KV cache holds"
        running = f"{running_n} run at once"
        if running_n % copies == 0:
            running += f" ({running_n // copies} on each of the {copies} copies)"
        else:
            running += f" (over the {copies} copies)"
    return (
        f"{where} {held} sequences of {v['context_tokens']:,} tokens: {running} and {v['waiting']} wait for "
        f"one to finish, about {format_seconds(v['queue_s'])} at the full context (shorter requests share the "
        "pool and wait less)."
    )


def _kv_cache(v: Values) -> str:
    bits = [f"{'An' if str(v['kv']).startswith('f') else 'A'} {v['kv']} KV cache"]
    if v.get("makes_fit"):
        bits.append("makes it fit")
    elif "saved_bytes" in v:
        bits.append(f"saves {format_bytes(v['saved_bytes'])}")
    if "context_tokens" in v:
        bits.append(f"{'and ' if len(bits) > 1 else ''}allows {v['context_tokens']:,} tokens of context")
    if v.get("flash_attention"):
        bits.append("(with flash attention on)")
    return " ".join(bits) + "."


def _flash_attention(v: Values) -> str:
    text, joined = "Flash attention on", " allows"
    if v.get("makes_fit"):
        text, joined = text + " makes it fit", " and allows"
    elif "tok_s" in v:
        text += f": {format_rate(v['tok_s'])} tok/s at full context, not {format_rate(v['was_tok_s'])}"
        joined = ", and allows"
    if "context_tokens" in v:
        text += f"{joined} {v['context_tokens']:,} tokens of context"
    return text + "."


def _tight(v: Values) -> str:
    text = f"Less than 10% stays free on {_counted(list(v['devices']))}"
    if "n_cpu_moe" in v:  # the engine packed the GPU: one more layer's experts in RAM leaves room
        return (
            text
            + f"; --n-cpu-moe {v['n_cpu_moe']} keeps one more layer's experts in RAM, for room at a little speed."
        )
    if "ngl" in v:
        return text + f"; -ngl {v['ngl']} keeps one more layer in RAM, for room at a little speed."
    return text + ": another program (a desktop, a browser) can run it out of memory."


def _wired_limit(v: Values) -> str:
    fits = (
        f"it fits with up to {v['context_tokens']:,} tokens of context"
        if "context_tokens" in v
        else "it fits"
    )
    return (
        f"Raise macOS's GPU memory limit to {format_bytes(v['usable_bytes'])}, keeping "
        f"{format_bytes(v['kept_bytes'])} for macOS: {fits} (sudo sysctl iogpu.wired_limit_mb="
        f"{v['wired_limit_mb']}; it resets at reboot)."
    )


def _largest_format(v: Values) -> str:
    """ "Q2_K fits, the largest format that does", and under `LOW_BITS` that its quality drops."""
    low = float(v.get("bits_per_weight", LOW_BITS)) < LOW_BITS
    return f"{v['quant']} fits, the largest format that does" + ("; its quality drops" if low else "") + "."


def _ram_for_offload(v: Values) -> str:
    """ "With 32 GB of system RAM, CPU offload would fit: 4.26 tok/s."."""
    if "strategy" not in v:
        return f"With {v['ram_gb']} GB of system RAM, offloading would fit."
    return (
        f"With {v['ram_gb']} GB of system RAM, {_phrase(v['strategy'])} would fit: {_rate(v)}{_elsewhere(v)}."
    )


def _longest_context(v: Values) -> str:
    limit = ["the model's maximum"] if v.get("at_limit") else []
    if v.get("yarn"):
        limit.append("with YaRN on")
    if "strategy" in v:  # only with another plan than the one recommended now: which, how fast
        limit.append(_only_with(v))
    said = f" ({'; '.join(limit)})" if limit else ""
    where = " on the GPUs" if v.get("on_gpus") else ""
    if "own_context_tokens" in v:  # the recommended plan's own longest, then the other plan's
        own = STRATEGIES[str(v["own_strategy"])].phrase
        return (
            f"Context up to {v['own_context_tokens']:,} tokens fits{where} at {v['quant']} with {own}; "
            f"{v['context_tokens']:,}{said}{_elsewhere(v)}."
        )
    return f"Context up to {v['context_tokens']:,} tokens fits{where} at {v['quant']}{said}{_elsewhere(v)}."


def _one_at_a_time(v: Values) -> str:
    """Ollama's one slot for an architecture it does not batch: who waits, and how long when every answer
    runs to the full context (the next one waits for one answer, the last for all the others')."""
    waiting, queue_s = int(v["waiting"]), float(v["queue_s"])
    last = f", the last about {format_seconds(waiting * queue_s)}" if waiting > 1 else ""
    who = "the other user waits" if waiting == 1 else f"the other {waiting} wait"
    return (
        "Ollama runs this model one request at a time, whatever OLLAMA_NUM_PARALLEL says: "
        f"{who} their turn, the next about {format_seconds(queue_s)} when each answer runs to the full "
        f"context{last}."
    )


def _rate(v: Values) -> str:
    """A suggestion's speed: "12.3 tok/s", or with several users "about 0.40 tok/s per user", or where
    the runtime seats fewer of them than asked "1 of the 512 users at once, about 16.7 tok/s each"."""
    if v.get("seated"):
        return (
            f"{v['seated']} of the {v['users']} users at once, about {format_rate(v.get('tok_s'))} tok/s each"
        )
    if v.get("per_user"):
        return f"about {format_rate(v.get('tok_s'))} tok/s per user"
    full = (
        f" falling to {format_rate(v['tok_s_at_context'])} at full context" if "tok_s_at_context" in v else ""
    )
    return f"{format_rate(v.get('tok_s'))} tok/s{full}"


def _quoted(v: Values) -> str:
    """The plan a suggestion quotes: "layer split, 12.3 tok/s"."""
    return f"{_phrase(v['strategy'])}, {_rate(v)}"


def _only_with(v: Values) -> str:
    """A change that fits with another plan than the recommended one: "only with tensor parallelism,
    experimental in llama.cpp, 29.5 tok/s", or "with a layer split, ..." where other plans fit too."""
    said = f"{'only ' if v.get('only') else ''}with {STRATEGIES[str(v['strategy'])].phrase}"
    return said + (", experimental in llama.cpp" if v.get("experimental") else "") + f", {_rate(v)}"


def _elsewhere(v: Values) -> str:
    """Where only another runtime runs the plan a suggestion quotes (estimator/suggest.py)."""
    return (
        ", but only with another runtime: the chosen one cannot run that plan"
        if v.get("other_runtime")
        else ""
    )


def _offloaded(v: Values) -> str:
    faster = (
        f"; a GPU with more memory would be about {v['faster_by']:.1f}× faster" if "faster_by" in v else ""
    )
    return f"Runs with {_phrase(v['strategy'])} at {_rate(v)}{faster}."


def _counts(v: Values) -> str:
    """Layers per device, and where the output head is, as llama.cpp's -ts counts it (41,40 for these):
    "41 + 39 layers (the output head beside the last 39)"."""
    counts = list(map(str, v["counts"]))
    return f"{' + '.join(counts)} layers (the output head beside the last {counts[-1]})"


def _expert_layers_over_gpus(v: Values) -> str:
    ts = ",".join(f"{r:g}" for r in v["ratios"])
    where = ""
    if "n_cpu_moe" in v:
        where = f"; the experts in RAM are those of layers 0–{v['n_cpu_moe'] - 1}, on the first GPUs"
    return (
        f"Layers {_counts(v)} over the GPUs in order (-ts {ts}: the output head is one more on the last "
        f"GPU){where}."
    )


def _no_gguf(v: Values) -> str:
    return f"No published {v['quant']} GGUF of {v['model']} is known to this site"


SENTENCES: dict[str, Callable[[Values], str]] = {
    "recommended": _recommended,
    "none_fits": _none_fits,
    "none_fits_in_margin": _none_fits_in_margin,
    "also_fits": _also_fits,
    "short": _short,
    "short_in_margin": _short_in_margin,
    "largest_format": _largest_format,
    "wider_format": lambda v: (
        f"{v['quant']} also fits"
        + (f" ({_only_with(v)}{_elsewhere(v)})" if "strategy" in v else "")
        + ", and keeps more of the model's quality."
    ),
    "longest_context": _longest_context,
    "wired_limit": _wired_limit,
    "kv_cache": _kv_cache,
    "flash_attention": _flash_attention,
    "more_machines": lambda v: (
        f"{v['hosts']} machines "
        + (
            f"of {v['per_machine']}× {v['device']}"
            if "per_machine" in v
            else f"of {_counted(list(v['machine']), ' + ')}"
            if "machine" in v
            else f"with the {v['device']}"
        )
        + f", joined over the network, would fit it ({_quoted(v)}){_elsewhere(v)}."
    ),
    "more_gpus": lambda v: f"{v['gpu_count']} × {v['device']} would fit it ({_quoted(v)}){_elsewhere(v)}.",
    "give_ram": lambda v: "Give your system RAM to see whether offloading to it works.",
    "ram_for_offload": _ram_for_offload,
    "offloaded": _offloaded,
    "needs_several_gpus": lambda v: "Needs two or more GPUs.",
    "unified_memory": lambda v: (
        "The GPU's memory is the system memory here: there is no separate RAM to offload to."
    ),
    "no_ram_given": lambda v: "Give the system RAM to see offload plans.",
    "fits_in_gpus": lambda v: (
        f"The model fits in GPU memory; offloading {v['offloading']} would only slow it down."
    ),
    "dense_model": lambda v: "Only mixture-of-experts models have experts to offload.",
    "one_machine": lambda v: "One machine: with several, layers spread over the network.",
    "gpus_differ": lambda v: "Tensor parallel needs identical GPUs; these differ.",
    "heads_do_not_divide": lambda v: f"{v['heads']} attention heads do not divide over {v['gpus']} GPUs.",
    "layers_only": lambda v: (
        f"{RUNTIME_NAMES[str(v['runtime'])]} splits a model over GPUs by layers only; vLLM or llama.cpp run "
        "tensor parallel."
    ),
    "machines_by_rpc": lambda v: (
        (
            "Over several machines llama.cpp runs an RPC cluster"
            if v["runtime"] == "llama.cpp"
            else f"{RUNTIME_NAMES[str(v['runtime'])]} serves from one machine"
        )
        + "; vLLM and SGLang run tensor parallel in each machine and pipeline parallel across them."
    ),
    "tensor_split_backend": lambda v: "llama.cpp's tensor split runs on CUDA and ROCm only.",
    "tensor_split_mla": lambda v: (
        "llama.cpp's tensor split does not support this architecture (MLA, as DeepSeek2)."
    ),
    "tensor_split_architecture": lambda v: (
        f"llama.cpp's tensor split does not load {v['model']}'s architecture: its layer split does."
    ),
    "tensor_split_flash_attention": lambda v: "llama.cpp's tensor split needs flash attention.",
    "tensor_split_kv_cache": lambda v: (
        "llama.cpp's tensor split needs an unquantized KV cache (f16, bf16 or f32)."
    ),
    # notes
    "one_of_several": lambda v: (
        f"Uses one {v['device']}; "
        + (
            "the other device stays free."
            if v["others"] == 1
            else f"the other {v['others']} devices stay free."
        )
    ),
    "layers_in_turn": lambda v: (
        f"{_counts(v)} run one device after another: a second GPU adds memory, not single-stream speed."
    ),
    "tensor_shards": lambda v: (
        f"{v['tp']} GPUs each hold 1/{v['tp']} of every matrix"
        + ("" if v.get("mla") else " and of the KV cache")
        + ", and read them in parallel."
    ),
    "gpus_left_out": lambda v: (
        f"{plural(int(v['left']), 'GPU')} left out: {v['heads']} heads do not divide by {v['gpus']}."
    ),
    "copies": lambda v: (
        f"{v['copies']} independent copies, {plural(int(v['sequences']), 'sequence')} each: {v['copies']}× the aggregate "
        "throughput, the same single-stream speed."
    ),
    "ngl": lambda v: (
        f"-ngl {v['ngl']}: the output head and {v['on_gpus']} of {v['layers']} layers on the GPU(s), "
        f"{v['in_ram']} in RAM."
        if v.get("on_gpus")
        else f"-ngl {v['ngl']}: all {v['layers']} layers and the output head in RAM."
        if v.get("on_gpus") == 0
        # engines before 0.6.85 kept the head in RAM with -ngl layers on the GPUs (shared answers)
        else f"-ngl {v['ngl']}: {v['ngl']} of {v['layers']} layers on the GPU(s), {v['in_ram']} and the output "
        "head in RAM."
    ),
    "n_cpu_moe": lambda v: (
        f"--n-cpu-moe {v['n_cpu_moe']}: the routed experts of layers 0–{v['n_cpu_moe'] - 1} in RAM"
        + (
            f" ({v['in_ram']} of the {v['moe_layers']} MoE layers: the flag counts the dense ones too)"
            if v["in_ram"] != v["n_cpu_moe"]
            else f" ({v['in_ram']} of {v['moe_layers']} MoE layers)"
        )
        + f"; each token reads only {v['experts_per_tok']} of {v['experts']} experts there."
    ),
    "expert_layers_over_gpus": _expert_layers_over_gpus,
    "rpc_layers": lambda v: f"{v['hosts']} machines, {v['gpus']} GPUs: {_counts(v)}.",
    "pipeline_stages": lambda v: (
        f"{v['hosts']} machines, one pipeline stage each: {_counts(v)}"
        + (
            f", each machine's {v['tp']} GPUs holding 1/{v['tp']} of every matrix of its layers."
            if int(v["tp"]) > 1
            else "."
        )
    ),
    "network": lambda v: f"Network: {v['gb_s']:g} GB/s, {v['latency_us']:g} µs per hop.",
    # warnings
    "pipeline_bubble": lambda v: (
        "Pipeline bubble at batch 1: only "
        + ("one machine's GPUs work" if v.get("stage") == "machine" else "one GPU works")
        + " at any moment."
    ),
    "one_gpu_stops_all": lambda v: "If any one GPU fails, the whole model stops.",
    "one_machine_stops_all": lambda v: "If any machine or GPU fails, the whole model stops.",
    "all_reduce_over_pcie": lambda v: (
        f"Tensor parallel over PCIe: {v['all_reduces']} all-reduces per token take "
        f"{v['all_reduce_s'] * 1e3:.1f} ms of each {v['step_s'] * 1e3:.1f} ms step"
        + ("; an NVLink bridge cuts that." if v.get("bridge") else ".")
    ),
    "kv_heads_replicated": lambda v: (
        f"{v['tp']} ranks but {v['kv_heads']} KV heads: KV heads are replicated."
    ),
    "mla_not_split": lambda v: "MLA's latent KV cache cannot be split: every rank holds all of it.",
    "tensor_split_experimental": lambda v: (
        "llama.cpp's --split-mode tensor is experimental: check the output's quality before relying on it."
    ),
    "needs_router": lambda v: "Needs a router in front (one server per GPU, or vLLM's data parallel).",
    "layers_in_ram": lambda v: (
        f"{v['share']:.0%} of the layers run from system RAM at {v['ram_gb_s']:g} GB/s: "
        f"{v['time_share']:.0%} of each token's time."
    ),
    "experts_in_ram": lambda v: f"Expert layers in RAM run at {v['ram_gb_s']:g} GB/s.",
    "ram_bandwidth_assumed": lambda v: (
        f"RAM bandwidth not given: assumed {v['ram_gb_s']} GB/s (dual-channel DDR5-4800)."
    ),
    "weights_cross_network": lambda v: (
        "The weights cross the network once at load time; each token crosses it between machines."
    ),
    "tight": _tight,
    "vllm_queue": _vllm_queue,
    "ollama_one_at_a_time": _one_at_a_time,
    # why a tool gets no weights (estimator.commands.unavailable)
    "no_gguf_nor_checkpoint": lambda v: f"{_no_gguf(v)}, nor its own Hugging Face checkpoint to convert.",
    "checkpoint_kept_as_is": lambda v: (
        f"{_no_gguf(v)}, and llama.cpp makes none from its {str(v['kind']).upper()} checkpoint, which "
        f"{v['converter']} keeps as it is."
    ),
    "architecture_unknown": lambda v: (
        f"{_no_gguf(v)}, nor which architecture its config.json names, to convert it with llama.cpp."
    ),
    "architecture_unsupported": lambda v: (
        f"llama.cpp cannot load {v['architecture']} yet ({v['converter']}), so no GGUF of {v['model']} can be "
        "made."
    ),
    "needs_imatrix": lambda v: (
        f"{_no_gguf(v)}, and {v['quant']} needs an importance matrix (llama-imatrix), which this site does not "
        "make: choose a K-quant such as Q4_K_M."
    ),
    "no_quantize_type": lambda v: (
        f"{_no_gguf(v)}, and llama-quantize has no {v['quant']} type to make one from its checkpoint."
    ),
    "no_checkpoint": lambda v: (
        f"No published {v['quant']} checkpoint of {v['model']} is known to this site, and {v['tool']} makes no "
        f"{v['quant']} weights from another format as it loads."
    ),
    "no_mlx_conversion": lambda v: (
        f"No published {v['quant']} conversion of {v['model']} is known to this site, nor its original 16-bit "
        "weights for mlx_lm.convert to make one."
    ),
    "no_mlx_weights": lambda v: (
        f"No published {v['quant']} weights of {v['model']} that mlx-lm loads are known to this site."
    ),
    "no_lms_conversion": lambda v: (
        f"No published {v['quant']} conversion of {v['model']} is known to this site for lms get to fetch."
    ),
    "gguf_in_parts": lambda v: (
        f"{v['repo']} holds the {v['quant']} GGUF of {v['model']} in parts, {IN_PARTS}, and lms import takes "
        "one file."
    ),
    "said": lambda v: str(v["text"]),
}
