"""From the engine's estimate of a question (calculator/question.py) to what the result panel shows:
the plans table, the launch command, the suggestions as links; the verdict, the speed per user and
the reasons in words come from calculator/present.py."""

import json
from dataclasses import dataclass, replace
from typing import NamedTuple

from django.http import QueryDict

from catalog import byo, cache, slugs
from catalog.fitting import DEFAULTS
from catalog.models import Quantization
from catalog.runtimes import BY_SLUG, COMMAND_FOR_RUNTIME, RUNTIMES
from estimator import Estimate, Plan
from estimator.commands_releases import releases_needed
from estimator.schema import CommandRelease
from estimator.strategies import STRATEGIES
from estimator.strategies import label as phrase
from estimator.units import format_rate

from . import present
from .combination import BUILD_NAMES, vendors
from .forms import QuestionForm
from .memory import STATUS_CSS, STATUS_WORDS, grouped_bars, memory_bars, status, weights_elsewhere
from .question import EngineRefused, Question
from .registry import error_pages  # the glossary's, registered from GlossaryConfig.ready()
from .step_time import step_bar

# How the page writes each plan, from the engine's one table of them
STRATEGY_NAMES = {s: info.phrase for s, info in STRATEGIES.items()}
STRATEGY_TITLES = {s: info.title for s, info in STRATEGIES.items()}
STRATEGY_TERMS = {s: info.term for s, info in STRATEGIES.items()}
CHART_CONTEXTS = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
CHART_USERS = [1, 2, 4, 8, 16, 32, 64]
DEFAULT_RUNTIME = DEFAULTS["runtime"]  # left out of a permalink: the form picks the runtime for the format


@dataclass(frozen=True)
class PlanRow:
    """A row of the plans table: the plan, its speed per user and its status in words."""

    plan: Plan
    per_user: present.Speed
    status: str
    reason: str  # the engine's, or that the chosen runtime cannot run it

    @property
    def words(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def css(self) -> str:
        return STATUS_CSS[self.status]


def shown_plan(result: Estimate, fit: present.RuntimeFit | None = None) -> Plan:
    """The plan the page shows: the one the chosen runtime runs (`fit`), the recommended one, else the
    closest."""
    return (fit.plan if fit else None) or result.recommended_plan or present.closest_plan(result)


def shown(
    result: Estimate,
    hardware: str,
    *,
    users: int,
    backends: list[str],
    unified: bool = False,
    fit: present.RuntimeFit | None = None,
    no_weights: str = "",
) -> dict:
    """What the #result partial shows of an estimate, for the page, compare and snapshots alike (`unified`:
    every device is a unified-memory machine's GPU; `no_weights`: the format's name where the chosen runtime
    can have no weights of it for the model)."""
    plan = shown_plan(result, fit)
    return {
        "result": result,
        "verdict": present.verdict(result, hardware, users=users, fit=fit, no_weights=no_weights),
        "hardware": hardware,
        "rig": present.rig_words(result, hardware),
        "shown_plan": plan,
        "recommended": plan.strategy if fit and fit.plan else result.recommended,
        # the engine's reason says no plan fits where the verdict says borderline: the headroom says it
        "reason": "" if fit or status(plan) == "margin" else present.reason(result.reason),
        "fit": fit,
        "shown_status": status(plan),
        "per_user": present.per_user(plan, users),
        "per_user_explained": present.per_user_explanation(plan, users),
        "at_context": present.per_user_at_context(plan, users),
        "at_context_explained": present.at_context_explanation(plan, users),
        # each user's own share at the full context, or (a snapshot from before the engine gave it) one user's
        "at_context_shared": plan.shared_tok_s_at_context(users) is not None,
        "overhead_explained": result.explanations.get("overhead_bytes"),
        "bars": grouped_bars(memory_bars(plan, unified=unified)),
        "step": step_bar(plan),
        "weights_elsewhere": weights_elsewhere(result, plan, backends, unified=unified),
        "plans": result.plans,
        "plan_rows": [
            PlanRow(
                p,
                present.per_user(p, users),
                status(p),
                fit.cannot if fit and p is fit.faster else present.reason(p.reason),
            )
            for p in result.plans
        ],
        "users": users,
        "queued": plan.seated(users) < users,
        "strategy_titles": STRATEGY_TITLES,
    }


def suggestion_links(result: Estimate, question: Question) -> list[dict]:
    """Each of the engine's "what to change" as a permalink to the changed question, and on a Mac the
    faster MLX conversion (`mlx_instead`)."""
    links = []
    for suggestion in result.suggestions:
        url = question.permalink(**suggestion.changes) if suggestion.changes else None
        links.append(
            {
                "text": present.suggestion(suggestion),
                "url": url,
                "kind": suggestion.kind,
                "fits": suggestion.fits,
            }
        )
    if (mlx := mlx_instead(result, question)) is not None:
        links.append(mlx)
    return links


FASTER_BY = 1.10  # said where MLX is at least this much faster: closer, the two read as the same


def mlx_instead(result: Estimate, question: Question) -> dict | None:
    """On a Mac, under a runtime other than MLX, the published MLX conversion nearest the question's bits
    (MLX 4-bit for Q4_K_M, 8-bit for Q8_0: like against like) run by MLX, where it fits and decodes at least
    10% faster than the plan shown (a visitor review: Llama 3.1 70B on an M4 Max said 9.16 tok/s with
    llama.cpp and never that MLX runs it at 11.7); None elsewhere, and where the form would refuse the
    question it links (a KV cache type MLX lacks, several machines)."""
    plan = result.recommended_plan
    if (
        plan is None
        or question.runtime == "mlx"
        or question.quant.family == "mlx"
        or any(d.backend != "metal" for d in question.device_specs)
    ):
        return None
    bits = question.quant.bits_per_weight
    quant = min(mlx_formats(), key=lambda q: abs(q.bits_per_weight - bits), default=None)
    if quant is None:
        return None
    url = question.permalink(quant=quant.slug, runtime="mlx")
    form = QuestionForm(QueryDict(url.removeprefix("/?")))
    if not form.is_valid():
        return None
    theirs_question = Question.from_form(form)
    if theirs_question.missing_weights is not None:
        return None  # no published conversion of this model (a visitor would convert it: not offered)
    theirs = theirs_question.recommended_plan()  # None where the engine refuses it: not offered
    ours, mlx = present.per_user(plan, question.batch).value, None
    if theirs is not None:
        mlx = present.per_user(theirs, question.batch).value
    if not (ours and mlx and mlx >= FASTER_BY * ours):
        return None
    text = (
        f"Run the {quant.name} conversion with MLX: about {format_rate(mlx)} tok/s per user, "
        f"{round(100 * (mlx / ours - 1))}% faster than {question.quant.name} with {BY_SLUG[question.runtime].label}."
    )
    return {"text": text, "url": url, "kind": "runtime", "fits": True}


def mlx_formats() -> list[Quantization]:
    """The catalog's MLX conversions, narrowest first, read once per catalog version (a query on every
    Mac's answer: ~3% of the calculator's CPU). Read-only, as every cached table."""
    return cache.get_or_compute(
        "mlx-formats", "", lambda: list(Quantization.objects.filter(family="mlx").order_by("bits_per_weight"))
    )


# The CMake option that builds llama.cpp for a backend (docs/build.md of ggml-org/llama.cpp), said above
# llama-server's command where the question asks for one: a ROCm build does not run on Vulkan.
LLAMA_CPP_BUILDS = {
    "cuda": "-DGGML_CUDA=ON",
    "rocm": "-DGGML_HIP=ON",
    "vulkan": "-DGGML_VULKAN=ON",
    "sycl": "-DGGML_SYCL=ON",
}


# Why one build runs devices of several vendors (combination.one_build), said under the build line where
# their usual builds are CUDA and ROCm: ggml-org/llama.cpp issue 11506 ("builds successfully with both
# -DGGML_CUDA=On and -DGGML_HIP=On, but the resultant binary only list cuda devices").
CUDA_AND_ROCM = "# one build with CUDA and ROCm both sees one vendor's GPUs alone (llama.cpp issue 11506)\n"


def together_why(combination) -> str:
    """CUDA_AND_ROCM where the devices' usual builds are those two; "" otherwise."""
    return CUDA_AND_ROCM if combination.together and combination.backends == ["cuda", "rocm"] else ""


class Launch(NamedTuple):
    tool: str  # the key of Plan.commands
    text: str  # the command, or comment lines that say why there is none (empty when `why` says it)
    title: str = ""  # the plan it launches, when not the one shown above
    why: str = ""  # why it is not the plan shown, or where it fits only: a paragraph above the box

    @property
    def needs(self) -> tuple[CommandRelease, ...]:
        """The oldest release of each program the command needs (estimator.commands_releases)."""
        return releases_needed(self.text)


def launch_command(plan: Plan, question: Question, result: Estimate | None = None) -> Launch:
    """The command for the runtime the visitor chose. Where that runtime can have no weights of this
    format for this model (estimator.commands.unavailable: none published, none it can make), the
    command section says why in one sentence and what runs here instead; where it cannot run this plan,
    one line says what it lacks and the command is the best fitting plan it can run (titled with that
    plan), or else which runtime runs this one; where the plan (the closest, when nothing fits) would
    run out of memory, or fits only inside the safety margin, a comment says so first."""
    runtime = question.runtime
    key = COMMAND_FOR_RUNTIME[runtime]
    command = plan.commands.get(key)
    combination = question.combination
    if command and key == "llama-server" and (flag := LLAMA_CPP_BUILDS.get(combination.build)):
        # the backend asked for, or the one several vendors' GPUs share, is a build of llama.cpp: which one
        rpc = " -DGGML_RPC=ON" if plan.strategy == "rpc_cluster" else ""  # --rpc needs it (the command says)
        built = f"a llama.cpp built for {BUILD_NAMES[combination.build]}"
        if combination.together:
            built += f" runs the {vendors(question.devices)} GPUs together"
        command = f"# {built}: cmake -B build {flag}{rpc}\n{together_why(combination)}{command}"
    if command and status(plan) == "margin":
        first = "Fits only inside the safety margin: it may load; What to change below makes room."
        return Launch(key, command, why=first)
    if command and not plan.fits:  # the closest plan: it runs out of memory as asked
        return Launch(key, f"# Does not fit as asked: see What to change below first.\n{command}")
    if command:
        return Launch(key, command)
    if reason := question.missing_weights:
        return Launch(
            key,
            "\n".join(
                [
                    f"# {present.reason(reason)}",
                    *combination.runs_instead(question.model, runtime, question.quant, fits=question.fits),
                ]
            ),
        )
    name = BY_SLUG[runtime].label
    why = f"{name} cannot run the {phrase(plan.strategy)} plan: {present.cannot_run(plan, key)}."
    runnable = [p for p in (result.plans if result else ()) if p.fits and key in p.commands]
    if runnable:
        best = runnable[0]  # the plans come ranked
        speed = present.per_user(best, question.batch)
        rate = f", {format_rate(speed.value)} tok/s per user" if speed.value else ""
        title = f"{STRATEGY_TITLES[best.strategy]}{rate}"
        return Launch(key, best.commands[key], title, f"{why} Its best plan that fits here: {title}.")
    family = question.quant.family
    others = [r.slug for r in RUNTIMES if r.command in plan.commands and combination.runs(r.slug, family)]
    instead = f" {combination.names(others)} runs it: choose it in the form." if others else ""
    return Launch(key, "", why=f"{why}{instead}")


def as_shown(result: Estimate, question: Question) -> tuple[Estimate, present.RuntimeFit | None]:
    """The estimate the answer shows and the chosen runtime's fit (`present.runtime_fit`). Where that
    runtime runs no plan that fits and another does, the answer shows that plan "With llama.cpp": from that
    runtime's own estimate, the one its Switch link opens (the chosen runtime's pricing of it had vLLM's
    compute buffers and checkpoint on a llama.cpp plan). The page, the glossary's worked examples and
    their checks all ask this."""
    fit = present.runtime_fit(result, question)
    if fit and fit.plan is None and fit.other:
        try:
            theirs = replace(question, runtime=fit.other).estimate(with_suggestions=False)
        except EngineRefused:  # that runtime's question refused: its plan as the chosen runtime priced it
            return result, fit
        if theirs.recommended_plan is not None:
            return theirs, replace(fit, faster=theirs.recommended_plan)
    return result, fit


def shown_for(result: Estimate, question: Question, *, as_they_run_it: bool = True) -> dict:
    """`shown` of the question's own estimate: its hardware, users, devices' backends and runtime fit, as
    `as_shown` has them. A shared answer compares itself with today's without `as_they_run_it`: it stored
    the chosen runtime's estimate alone."""
    specs = question.device_specs
    if as_they_run_it:
        result, fit = as_shown(result, question)
    else:
        fit = present.runtime_fit(result, question)
    return shown(
        result,
        question.hardware,
        users=question.batch,
        backends=[d.backend for d in specs],
        unified=all(d.unified_memory for d in specs),
        fit=fit,
        no_weights=question.quant.name if question.missing_weights else "",
    )


class Yarn(NamedTuple):
    factor: float  # the command's
    native: int  # the context as released
    original: int  # the context the factor scales
    card: str  # the model card that gives it
    longest: int  # the card's: its factor × the original context
    context: int  # the context asked for

    @property
    def factor_text(self) -> str:
        return f"{self.factor:g}"

    @property
    def rounded(self) -> bool:
        """Whether the factor is the context over the original one rounded up (to a quarter), not exactly it."""
        return self.factor * self.original != self.context


def yarn(question: Question) -> Yarn | None:
    """Where the context asked for needs YaRN (estimator ModelSpec.yarn_factor_for): its factor, the
    contexts it goes past and scales, the model card's address; None where it does not."""
    spec = question.combination.spec(question.model)
    factor = spec.yarn_factor_for(question.ctx)
    if not factor or spec.max_position_embeddings is None or spec.yarn_original_context is None:
        return None
    card = f"https://huggingface.co/{spec.hf_id}" if spec.hf_id else ""
    return Yarn(
        factor,
        spec.max_position_embeddings,
        spec.yarn_original_context,
        card,
        spec.yarn_context or 0,
        question.ctx,
    )


@dataclass(frozen=True)
class CheckpointNote:
    """What your own model's config.json says its weights are, beside the format the answer is at; `url`,
    the same question at the checkpoint's format, where the visitor chose another one that runs here."""

    text: str
    url: str = ""
    quant_name: str = ""


def checkpoint_note(question: Question) -> CheckpointNote | None:
    """Your own model's declared checkpoint format (`byo.declared_format` of its config.json), said under
    "Your model"; None for the catalog's models and a config.json that declares none."""
    declared = byo.declared_format(json.loads(question.config)) if question.config else None
    if declared is None:
        return None
    said, shown = f"Its config.json says the weights are {declared.words}", question.quant.name
    if declared.slug == question.quant.slug:
        return CheckpointNote(f"{said}: the answer is sized in that format, {shown}.")
    try:
        quant = slugs.get(Quantization, declared.slug) if declared.slug else None
    except Quantization.DoesNotExist:
        quant = None
    if quant is None:
        return CheckpointNote(
            f"{said}, a format this site has none of: sized at {shown}. Pick the nearest in Format."
        )
    combination = question.combination
    if combination.format_runtime(quant.family) is None:
        return CheckpointNote(
            f"{said} ({quant.name}), which no runtime runs on {combination.hardware()}: sized at {shown}."
        )
    # the runtime chosen for the other format gives way, as when the format is picked in the form
    url = question.permalink(quant=quant.slug, runtime=DEFAULT_RUNTIME)
    return CheckpointNote(f"{said} ({quant.name}); the answer is sized at {shown}.", url, quant.name)


def evidence(result: Estimate, question: Question, plan: Plan) -> dict:
    """What the page shows beside an answer, from the catalog as it is today: the published runs of the
    question and the nearest one, and the error pages of what the plan runs (a shared answer shows them too)."""
    measured = question.measured()
    return {
        "measured": measured,
        "nearest": question.nearest_measured(measured),
        "error_pages": error_pages(result, question.runtime, question.device_specs[0].backend, plan),
    }


def result_context(result: Estimate, question: Question) -> dict:
    """Everything the #result partial shows, for the page, compare and the glossary's examples."""
    context = shown_for(result, question)
    plan = context["shown_plan"]
    found = evidence(result, question, plan)
    suggestions = suggestion_links(result, question)
    return (
        context
        | found
        | {
            "question": question,
            "suggestions": suggestions,
            # under a "no", the first change that makes it fit, where the verdict is read (the rest further down)
            # (a Mac's raised GPU limit has no link: a command to run, said as it is)
            "first_fix": next(
                (s for s in suggestions if s["fits"] and (s["url"] or s["kind"] == "wired_limit")), None
            ),
            "command": launch_command(context["fit"].faster if context["fit"] else plan, question, result),
            "permalink": question.permalink(),
            "measured_outside": present.outside_range(
                found["measured"].decode[:2],
                context["per_user"],
                question.batch,
                question.device_specs[0].backend,
            ),
            "yarn": yarn(question),
            "checkpoint": checkpoint_note(question),
            "runtime": question.runtime,
        }
    )
