"""The answer in words: the one presenter of the verdict (`verdict`, with `runtime_fit` where the
chosen runtime cannot run the recommended plan), the speed each user sees with its likely range
(`per_user`, `Speed`, `rate_range`) and the engine's reasons, the one place a `Reason`
(estimator/reasons.py: a code and its values) becomes a sentence (each code's in calculator/sentences.py),
for the page, the API, preview images, snapshots, compare and the glossary's examples alike. The engine
writes no sentence; units are formatted by `estimator.units`; each device's fit status is memory.py's."""

from dataclasses import dataclass

from catalog.runtimes import BY_SLUG, COMMAND_FOR_RUNTIME, RUNTIMES
from estimator import Estimate, Explanation, Plan
from estimator.schema import DeviceUsage, Reason, Suggestion
from estimator.strategies import STRATEGIES
from estimator.strategies import label as phrase
from estimator.units import format_bytes, format_rate, format_seconds, plural

from .memory import status
from .question import Question
from .sentences import SENTENCES

# What each plan needs of a runtime, in words: the reason a runtime whose commands do not cover the plan
# (estimator/commands.py TOOLS) cannot run it: the site's own reason, beside the engine's
NEEDS = {
    "single": "run this model on one GPU",
    "layer_split": "split the layers over several GPUs",
    "tensor_parallel": "split each layer over several GPUs (tensor parallelism)",
    "replicas": "run one copy of the model per GPU",
    "cpu_offload": "keep some layers in system RAM",
    "expert_offload": "keep a MoE model's experts in system RAM",
    "rpc_cluster": "spread the layers over several machines with llama.cpp's RPC backend",
    "pipeline_parallel": "split each layer over a machine's GPUs and the layers over machines",
}
# Tools whose every flag the engine's command builder reads (estimator/commands_lms.py lists lms load's)
FLAG_LISTS = {"lms": "lms"}


def cannot_run(plan: Plan, tool: str) -> str:
    """Why the chosen runtime has no command for `plan`, in words."""
    need = NEEDS[plan.strategy]
    if tool in FLAG_LISTS:
        return f"{FLAG_LISTS[tool]} has no flag to {need}"
    return f"its commands here have no way to {need}"


def rate_range(value: float, low: float | None, high: float | None) -> str:
    """'18.7 tok/s (16.6–20.8)': a speed and the range published measurements give it (estimator/ranges.py
    `speed_range`), or the speed alone where it has none."""
    if low and high:
        return f"{format_rate(value)} tok/s ({format_rate(low)}–{format_rate(high)})"
    return f"{format_rate(value)} tok/s"


def reason(found: Reason | None) -> str:
    """The engine's reason in one sentence; empty for none."""
    return SENTENCES[found.code](found.values) if found is not None else ""


def reasons(found: tuple[Reason, ...]) -> list[str]:
    """A plan's notes or warnings, one sentence each."""
    return [reason(r) for r in found]


def unavailable(found: dict[str, Reason]) -> dict[str, str]:
    """Why each strategy not computed was not, in words."""
    return {strategy: reason(why) for strategy, why in found.items()}


def suggestion(found: Suggestion) -> str:
    """A "what to change" in one sentence."""
    return reason(found.reason)


@dataclass(frozen=True)
class Verdict:
    fits: bool
    tight: bool
    text: str  # the headline, short: the sticky verdict bar shows it
    headroom: str
    tok_s: str = ""  # decode per user of the plan shown, for the compact verdict bar
    tok_s_who: str = "per user"  # whose decode `tok_s` is: "each, 3 at once" where vLLM seats fewer users
    memory: str = ""  # "21.3 of 24.0 GiB": the fullest device of the plan shown
    memory_where: str = "on the fullest GPU"  # or "in system RAM", where that is the fullest (fullest_device)
    borderline: bool = False  # does not fit only because of the memory kept free for safety
    detail: str = ""  # what the headline leaves out: what to expect, what to change
    unsized: bool = False  # the runtime's own way over the hardware is not sized here: neither yes nor no
    no_weights: bool = False  # it fits, but no release of the format is known for the chosen runtime
    wide: bool = False  # the speed's likely range is wide (Speed.wide): the text gives it, the detail why

    @property
    def css(self) -> str:
        if self.borderline or self.unsized:
            return "tight"
        return ("tight" if self.tight else "yes") if self.fits else "no"


# A likely range wider than this (its high over its low) is said in the verdict beside the estimate, with why.
WIDE_RANGE = 2.0
# Why a range is that wide, after the verdict (the page links How accurate beside it).
WIDE_WHY = (
    "The likely range is this wide because estimates of this kind have missed measured speeds by that much."
)


@dataclass(frozen=True)
class Speed:
    """Decode speed as each user sees it, with its likely range."""

    value: float | None
    low: float | None
    high: float | None

    def __str__(self) -> str:
        """'18.7 tok/s (16.6–20.8)': the estimate and its likely range."""
        return rate_range(self.value, self.low, self.high) if self.value else "–"

    @property
    def wide(self) -> bool:
        """Whether the likely range spans more than WIDE_RANGE times (vLLM's tensor parallel under load:
        about 0.5 to 1.9 times the estimate, estimator/ranges.py): "about 115 tok/s" alone then says too much."""
        return bool(self.value and self.low and self.high and self.high > WIDE_RANGE * self.low)


def per_user(plan: Plan, users: int) -> Speed:
    """Decode per user at the asked concurrency, the one definition the verdict, the totals, the plans
    table, the preview image and the compare page read: alone, the plan's single-stream decode; with
    more users, its decode of all `batch` sequences together (`decode_tok_s_aggregate`) ÷ users (under
    vLLM the users its KV cache cannot seat wait, so this is each one's share over time). The range is
    the single-stream range, scaled."""
    return _shared(plan.shared_tok_s(users), plan.decode_tok_s, plan.decode_tok_s_low, plan.decode_tok_s_high)


def per_user_at_context(plan: Plan, users: int) -> Speed:
    """`per_user` with every user's whole context cached: alone, the plan's `decode_tok_s_at_context`; with
    more users, their share of the aggregate at the full context (`Plan.shared_tok_s_at_context`: each step
    reads every user's own KV cache), or one user's where the plan has none (a snapshot from before engine
    0.6.120). The range is the single stream's at the full context, scaled."""
    return _shared(
        plan.shared_tok_s_at_context(users),
        plan.decode_tok_s_at_context,
        plan.decode_tok_s_at_context_low,
        plan.decode_tok_s_at_context_high,
    )


def _shared(value: float | None, alone: float | None, low: float | None, high: float | None) -> Speed:
    """A user's share `value` of a speed whose single stream is `alone` (low–high), its range scaled; alone's
    own where there is no share (one user)."""
    if value is None or not alone:
        return Speed(alone, low, high)
    scale = value / alone
    return Speed(value, low * scale if low else None, high * scale if high else None)


def outside_range(rows, speed: Speed, users: int, backend: str) -> str:
    """ "below" or "above" where a shown decode measurement of the question (one user) lies outside the
    estimate's likely range, "" otherwise: runs of one card and model differ by build, driver and settings
    (Llama 3 8B Q4_K_M on a 4090: 130.6 tok/s measured in 2024, 152 estimated for today's llama.cpp), and
    the page says so where they do rather than leave two numbers that disagree. Only rows the range is
    for count: generation near an empty cache (a tgN test, no depth) on the `backend` the estimate is timed
    on; a row at 32K tokens, or another build's, is not compared with the start-of-answer range."""
    if users != 1 or speed.low is None or speed.high is None:
        return ""
    rows = [m for m in rows if m.backend == backend and not m.context_tokens and m.test.startswith("tg")]
    if any(m.value < speed.low for m in rows):
        return "below"
    return "above" if any(m.value > speed.high for m in rows) else ""


def per_user_explanation(plan: Plan, users: int) -> Explanation | None:
    """How the per-user figure comes from the plan's numbers: the engine's own explanation alone, the
    aggregate's division with more users; where vLLM's KV cache seats fewer than asked, how fast the
    seated ones run while the others wait."""
    aggregate, alone, shared = plan.decode_tok_s_aggregate, plan.decode_tok_s, plan.shared_tok_s(users)
    if shared is None:
        return plan.explanations.get("decode_tok_s")
    each = f"{format_rate(aggregate)} tok/s ÷ {users} users = {format_rate(shared)} tok/s each"
    if (seats := plan.seated(users)) < users:
        each += (
            f" on average: about {seats} run at once, at {format_rate(aggregate / max(seats, 1))} tok/s each, "
            "while the others wait"
        )
    return Explanation(
        term="continuous-batching",
        formula="decode of all users together ÷ users (each step gives every running user one token)",
        substituted=f"{each}; one user alone: {format_rate(alone)} tok/s",
    )


def at_context_explanation(plan: Plan, users: int) -> Explanation | None:
    """How the per-user figure at the full context comes from the plan's numbers (`per_user_at_context`):
    the engine's own explanation alone, the aggregate's division with more users."""
    shared = plan.shared_tok_s_at_context(users)
    if shared is None:
        return plan.explanations.get("decode_tok_s_at_context")
    aggregate = plan.decode_tok_s_aggregate_at_context
    each = f"{format_rate(aggregate)} tok/s ÷ {users} users = {format_rate(shared)} tok/s each"
    if (seats := plan.seated(users)) < users:
        each += f" on average: about {seats} run at once, while the others wait"
    return Explanation(
        term="kv-cache",
        formula=(
            "decode of all users together, each with the whole context cached, ÷ users (a step reads the "
            "weights once and every running user's own KV cache)"
        ),
        substituted=f"{each}; one user alone: {format_rate(plan.decode_tok_s_at_context)} tok/s",
    )


def fullest_device(plan: Plan) -> dict[str, str]:
    """The Verdict's `memory` ("21.3 of 24.0 GiB") and `memory_where`: the fullest device of the plan, which
    may be system RAM (an expert offload's experts: review 11 called 63.3 of 64 GiB of RAM "the fullest GPU")."""
    device = max(plan.devices, key=lambda d: (d.used_bytes + d.headroom_bytes) / d.capacity_bytes)
    used = f"{format_bytes(device.used_bytes).removesuffix(' GiB')} of {format_bytes(device.capacity_bytes)}"
    return {"memory": used, "memory_where": where_held(device, "on the fullest GPU")}


def where_held(device: DeviceUsage, gpu: str) -> str:
    """Where a device's memory is, in words: `gpu`, or "in system RAM" for the host's."""
    return "in system RAM" if device.kind == "host" else gpu


def machines(result: Estimate) -> int:
    """How many machines the question has: an RPC cluster's plan spreads its GPUs over them."""
    return 1 + max((d.host for p in result.plans for d in p.devices), default=0)


@dataclass(frozen=True)
class RuntimeFit:
    """Where the chosen runtime has no command for the recommended plan: the best fitting plan it can
    run (None: none), the faster plan it cannot and the runtimes that can run that one, in words."""

    name: str  # the chosen runtime's label
    plan: Plan | None
    faster: Plan
    others: str  # "llama.cpp or Ollama", empty when no runtime offered here runs it
    others_url: str = ""  # the question under the first of them
    other: str = ""  # the first of them, its slug
    why: str = ""  # what it lacks to run the faster plan: "lms has no flag to ..."
    unsized: bool = False  # it serves these machines in a way no plan here sizes (`unsized_over_machines`)

    @property
    def cannot(self) -> str:
        """The faster plan's row in the plans table: that the chosen runtime cannot run it, and who can."""
        can = f" {self.others} can." if self.others else ""
        return f"{self.name} cannot run it: {self.why}.{can}"

    @property
    def shown_title(self) -> str:
        """What the bars and totals show when the chosen runtime runs no plan that fits: the faster plan,
        as the runtimes that can run it would."""
        who = f"With {self.others}" if self.others else f"Not with {self.name}"
        return f"{who}: {phrase(self.faster.strategy)}"


def unsized_over_machines(result: Estimate) -> bool:
    """vLLM or SGLang over machines of unlike GPUs: they would pipeline the layers over all of them, which
    the engine does not size (its tensor × pipeline plan needs one kind of GPU: `pipeline_parallel_unsupported`)."""
    why = result.unavailable.get("pipeline_parallel")
    return why is not None and why.code == "gpus_differ"


def runtime_fit(result: Estimate, question: Question) -> RuntimeFit | None:
    """None when the chosen runtime runs the recommended plan (or none fits, or it has no weights of
    this format here: the launch box says so); else what it can run instead. The verdict, the stats,
    the plans table, the launch box and the preview image all read it."""
    plan = result.recommended_plan
    key = COMMAND_FOR_RUNTIME[question.runtime]
    if plan is None or key in plan.commands:
        return None
    if question.missing_weights:
        return None
    combination = question.combination
    family = question.quant.family
    others = [
        r.slug
        for r in RUNTIMES
        if r.command in plan.commands and r.slug != question.runtime and combination.runs(r.slug, family)
    ]
    runnable = [p for p in result.plans if p.fits and key in p.commands]
    return RuntimeFit(
        BY_SLUG[question.runtime].label,
        runnable[0] if runnable else None,  # the plans come ranked
        plan,
        combination.names(others) if others else "",
        question.permalink(runtime=others[0]) if others else "",
        others[0] if others else "",
        cannot_run(plan, key),
        unsized=unsized_over_machines(result),
    )


def rig_words(result: Estimate, hardware: str) -> str:
    """The visitor's hardware in the one phrase every verdict and a shared answer's heading use: one
    machine's devices ("2× GeForce RTX 4090"), or all the GPUs and the machines they sit in."""
    hosts = machines(result)
    if hosts == 1:
        return hardware
    return f"{gpus_per_machine(result) * hosts} GPUs over {hosts} machines ({hardware} each)"


def gpus_per_machine(result: Estimate) -> int:
    """The GPUs of one machine: the most any plan lays on the first."""
    return max(len([d for d in p.gpu_devices if d.host == 0]) for p in result.plans)


def verdict(
    result: Estimate, hardware: str, *, users: int = 1, fit: RuntimeFit | None = None, no_weights: str = ""
) -> Verdict:
    """The answer in one short headline: yes (with how and how fast per user), yes but tight,
    borderline (short only of the memory kept free for safety), or no; `detail` says what to expect
    and what to change. `hardware` is one machine's devices ("4× GeForce RTX 3090"); the machines
    come from the plans. With `fit`, the plan is the one the chosen runtime runs, and one clause says
    what the faster one needs. With `no_weights` (a format's name: the chosen runtime can have no weights
    of it for the model, none published, none it makes), a plan that fits is said to fit, not to run."""
    plan = fit.plan if fit else result.recommended_plan
    hosts, on_one = machines(result), gpus_per_machine(result)
    rig = rig_words(result, hardware)
    if fit and fit.plan is None and fit.faster.strategy == "rpc_cluster" and fit.unsized:
        # vLLM and SGLang do serve unlike GPUs over several machines, as no plan here sizes: unknown, not no
        speed = per_user(fit.faster, users).value
        rate = f", about {format_rate(speed)} tok/s per user" if speed else ""
        runs = f" {fit.others} runs it with an RPC cluster{rate}." if fit.others else ""
        return Verdict(
            False,
            False,
            f"Not sized here: {fit.name} over {hosts} machines of unlike GPUs.{runs}",
            f"{format_bytes(min(d.free_bytes for d in fit.faster.devices))} free on the fullest device",
            **fullest_device(fit.faster),
            unsized=True,
        )
    if fit and fit.plan is None:
        runs = f": {fit.others} can" if fit.others else ""
        return Verdict(
            False,
            False,
            f"No: {fit.name} cannot run any plan that fits on {rig}{runs}.",
            f"{format_bytes(min(d.free_bytes for d in fit.faster.devices))} free on the fullest device",
            **fullest_device(fit.faster),
        )
    if plan is None:
        closest = closest_plan(result)
        if status(closest) == "margin":
            device, short = closest.tightest, closest.short_by_bytes
            place = where_held(device, f"on {device.name}")  # "on GeForce RTX 4090", "in system RAM"
            change = next((suggestion(s) for s in result.suggestions if s.fits), "")
            change = change or "A shorter context or a smaller format makes room."
            return Verdict(
                False,
                True,
                f"Borderline: it fits on {rig} only inside the safety margin.",
                f"fits only with {format_bytes(short)} of the {format_bytes(device.headroom_bytes)} safety "
                f"margin used: {format_bytes(device.capacity_bytes - device.used_bytes)} left free {place}",
                **fullest_device(closest),
                borderline=True,
                detail=(
                    f"It needs {format_bytes(short)} of the {format_bytes(device.headroom_bytes)} kept free "
                    f"{place}: it may fail to start, or later, when another program takes memory "
                    f"{where_held(device, 'on that GPU')} (llama.cpp, Ollama, vLLM and SGLang set the whole context's cache aside as they "
                    f"start; MLX grows it as the conversation goes on). {change}"
                ),
            )
        return Verdict(
            False,
            False,
            f"No: it does not fit on {rig}.",
            f"{format_bytes(closest.short_by_bytes)} short in the closest plan",
            **fullest_device(closest),
        )
    free = min(d.free_bytes for d in plan.devices)
    speed = per_user(plan, users)
    rate = f", about {format_rate(speed.value)} tok/s per user" if speed.value else ""
    if speed.wide:  # "about 115 tok/s per user" alone hides a 3.8× range (review 11, F10)
        rate += f" (likely {format_rate(speed.low)}–{format_rate(speed.high)})"
    tok_s, who, detail = format_rate(speed.value) if speed.value else "", "per user", ""
    if (seated := plan.seated_tok_s(users)) is not None:
        # the runtime seats fewer users than asked: the seated ones' speed is what a user sees
        # answering; the average over everyone (the waiting ones at 0) is said after, as what it is.
        seats, each = plan.seated(users), format_rate(seated)
        rate = f": {seats} of the {users} users at once, about {each} tok/s each"
        tok_s, who = each, f"each, {seats} at once"
        # vLLM's pool seats them by memory (replicas: each copy's own); Ollama's one slot (no pool) by the
        # model's architecture
        caches = "Its copies' KV caches hold" if plan.strategy == "replicas" else "Its KV cache holds"
        held, shorter = (
            ("Ollama runs this model one request at a time", "")
            if plan.kv_capacity_tokens is None
            else (
                f"{caches} {plural(seats, 'full-length conversation')} at once",
                " (shorter ones share the pool and wait less)",
            )
        )
        detail = (
            f"{held}: the other {users - seats} wait their turn, the first about "
            f"{format_seconds(plan.queue_s)} when every answer runs to the full context{shorter}. Averaged "
            f"over all {users} users, waiting included: {format_rate(speed.value)} tok/s each."
        )
    word = "Yes, but tight" if plan.tight else "Yes"
    if no_weights:  # it would fit, but there is nothing to load: not a plain yes
        # a conditional yes, not a "No" beside fits: true (a consistency review: the first word of a real no)
        word = f"Yes, if you make it in {no_weights} (no release of it is known)"
    others = ""
    if hosts > 1:
        others = (
            ", no need for the other machine"
            if hosts == 2
            else f", no need for the other {hosts - 1} machines"
        )
    if plan.strategy == "rpc_cluster":
        text = f"{word}: fits on {rig} with an RPC cluster"
    elif plan.strategy == "pipeline_parallel":
        # one GPU of each machine used (one there, or heads that divide over none of more): no tensor parallel
        how = STRATEGIES[plan.strategy].phrase if plan.tensor_parallel_size > 1 else "pipeline parallelism"
        text = f"{word}: fits on {rig} with {how}"
    elif plan.strategy == "single" and (on_one > 1 or hosts > 1):
        of = f" of your {rig}" if on_one > 1 else ""
        text = f"{word}: one {plan.gpu_devices[0].name}{of} holds it alone{others}"
    elif plan.strategy == "single":
        text = f"{word}: fits on {hardware}"
    else:
        used = len([d for d in plan.gpu_devices if d.host == 0])
        # tensor parallel over the GPUs that divide the heads: "2 of your 3× GeForce RTX 4090"
        on = f"{used} of your {hardware}" if hosts == 1 and 1 < used < on_one else hardware
        # a visitor review: at 19,200 tokens on two 3090s the verdict said "with tensor parallelism", nothing
        # of llama.cpp's tensor split being experimental, which the plan's own warning says
        how = STRATEGIES[plan.strategy].phrase
        if any(w.code == "tensor_split_experimental" for w in plan.warnings):
            how = "llama.cpp's experimental tensor parallelism"
        text = f"{word}: fits on {on} with {how}{others}"
    if fit:
        faster = per_user(fit.faster, users).value
        needs = f", needs {fit.others}" if fit.others else f", which {fit.name} cannot run"
        text += f"{rate}; {phrase(fit.faster.strategy)}"
        rate = f", {format_rate(faster)} tok/s{needs}" if faster else needs
    return Verdict(
        True,
        plan.tight or bool(no_weights),
        f"{text}{rate}.",
        # vLLM (and SGLang) take what is left at start for their KV cache pool: not free once running
        f"{format_bytes(free)} to spare on the fullest device, which the KV cache pool takes at start"
        if plan.kv_capacity_tokens is not None
        else f"{format_bytes(free)} free on the fullest device",
        tok_s=tok_s,
        tok_s_who=who,
        **fullest_device(plan),
        detail=" ".join(filter(None, [detail, WIDE_WHY if speed.wide else ""])),
        no_weights=bool(no_weights),
        wide=speed.wide,
    )


def closest_plan(result: Estimate) -> Plan:
    """When nothing fits, the plan the engine ranks first (estimator/ranking.py `_order`): the one missing by
    the least, but outside vLLM llama.cpp's experimental tensor parallel after the others, as its reason
    ("The closest, layer split, needs 2.3 GiB more") names it: the verdict, the memory panel, the totals and
    the nearest measurement all read this one plan."""
    return result.plans[0]
