"""The question once it is valid: one immutable value built from the bound QuestionForm, read by every
page, the API, the snapshots and the preview images. It gives the engine's workload, the canonical query
and permalink (with a suggestion's changes), the hardware in words, and the engine's estimate."""

from dataclasses import dataclass, fields, replace
from functools import cached_property

from pydantic import ValidationError

from catalog import cache
from catalog import workload as tables
from catalog.fitting import PUBLISHED_ONLY, WIDEST_USEFUL_BITS, device_pairs, holds, recommended, urlencoded
from catalog.measurements import Measured, Neighbour, measured_for, nearest_measured
from catalog.models import Gpu, Interconnect, LlmModel, Measurement, Quantization
from catalog.published import format_specs, formats_of, listed_formats
from catalog.runtime_support import runtime_table
from catalog.runtimes import BY_SLUG, COMMAND_FOR_RUNTIME, RUNTIME_FOR_COMMAND, engine_runtime
from estimator import DeviceSpec, Estimate, ModelSpec, Plan, QuantSpec, Workload, commands, estimate
from estimator.reasons import Reason
from estimator.units import GIB

from .combination import BUILD_NAMES, Combination, unavailable
from .forms import DEFAULTS, QuestionForm, _group, device_summary

LLAMA_CPP_ENGINES = ("llama.cpp", "ollama")  # llama.cpp underneath: its published measurements apply
# a runtime's slug -> Measurement.runtime
MEASURED_RUNTIMES = {"vllm": "vLLM", "sglang": "SGLang", "mlx": "MLX"}


class EngineRefused(ValueError):
    """The engine found the question impossible (e.g. a prompt longer than the context)."""


# A runtime -> the format family its own tool makes from the model's checkpoint, every width of it: MLX's
# `mlx_lm.convert -q --q-bits N` (the command the page gives where no conversion is published,
# estimator/commands.py `mlx_model`). Its widths are suggested without a published conversion, and
# beyond the picker's 4 and 8 bits: a visitor review, a 70B on a 48 GB Mac under MLX was offered only an
# RPC cluster MLX cannot run, where its 3-bit fits.
OWN_CONVERSIONS = {"mlx": "mlx"}


@dataclass(frozen=True)
class Question:
    """A valid question: the form's cleaned choices, defaults filled in (`Question.from_form`)."""

    model: LlmModel  # unsaved (no pk) for a pasted config.json
    quant: Quantization
    devices: tuple[Gpu, ...]  # one per physical device, in the order given (the split order)
    ctx: int
    batch: int
    prompt: int
    kv: str
    runtime: str
    hosts: int
    fa: str = "on"  # flash attention, "off" for llama.cpp's -fa off (QuestionForm.flash_attention_off)
    config: str | None = None  # a pasted config.json's canonical text
    ram_gb: int | None = None
    ram_preset: str | None = None
    link: Interconnect | None = None
    explicit_prompt: bool = False  # the visitor gave the prompt length; a default one follows the context
    backend: str = ""  # the GPU backend asked for (QuestionForm.backend); "": the runtime's usual one

    @classmethod
    def from_form(cls, form: QuestionForm) -> "Question":
        if not form.is_valid():
            raise ValueError("A question is built from a valid form only.")
        data = form.cleaned_data
        return cls(
            model=data["model"],
            quant=data["quant"],
            devices=tuple(form.devices),
            ctx=data["ctx"],
            batch=data["batch"],
            prompt=data["prompt"],
            kv=data["kv"],
            runtime=data["runtime"],
            hosts=data["hosts"],
            fa=data["fa"],
            config=data.get("config"),
            ram_gb=data.get("ram_gb"),
            ram_preset=data.get("ram_preset"),
            link=data.get("link"),
            explicit_prompt=form.data.get("prompt") not in (None, ""),
            backend=data.get("backend") or "",
        )

    @cached_property
    def combination(self) -> Combination:
        """What runs here: the runtimes and formats of the catalog's table on these devices' backends."""
        return Combination(self.devices, self.backend or None)

    @cached_property
    def model_spec(self) -> ModelSpec:
        """The model as the engine sees it here, with its published artifacts (for its launch commands),
        without YaRN where this runtime does not turn it on (its suggestions stop at the released context):
        built once for the estimate, `fits` and the charts' points, which the engine's caches then tell
        apart by identity."""
        spec = self.combination.spec(self.model)
        if BY_SLUG[self.runtime].yarn:
            return spec
        return spec.model_copy(update={"yarn_factor": None, "yarn_original_context": None})

    @cached_property
    def quant_spec(self) -> QuantSpec:
        """The format as the engine sees it, as this runtime holds it for this model (a GGUF's MXFP4
        mix, or an MoE's published checkpoint under vLLM: Quantization.as_spec)."""
        return self.quant.as_spec(self.runtime, moe=self.model.is_moe)

    @cached_property
    def missing_weights(self) -> Reason | None:
        """Why the chosen runtime can have no weights of this format for this model (none published, none
        it makes: estimator.commands.unavailable); None when it can. The launch box, the verdict, the runtime
        fit and a snapshot's verdict read it."""
        tool = COMMAND_FOR_RUNTIME[self.runtime]
        return unavailable(self.combination.spec(self.model), self.quant_spec, tool)

    @cached_property
    def device_specs(self) -> list[DeviceSpec]:
        """The devices as the engine sees them, each on the backend this runtime runs there (LM Studio on
        an Intel Arc: Vulkan; Combination.backend): built once, for the estimate, the published rows, the
        page's backends and its error pages."""
        combination, family = self.combination, self.quant.family
        return [gpu.as_spec(combination.backend(gpu, self.runtime, family)) for gpu in self.devices]

    @property
    def hardware(self) -> str:
        """'2× GeForce RTX 3090 + 1× GeForce RTX 4090'; '1× Radeon RX 7900 XTX on Vulkan' where the question
        asks for a backend, or where several vendors' GPUs run on the one build they share
        (Combination.together): two answers that differ by it read apart (compare, snapshots, the verdict)."""
        build = self.backend or self.combination.together
        on = f" on {BUILD_NAMES[build]}" if build else ""
        return device_summary(self.devices) + on

    @property
    def engine(self) -> str:
        """The engine's runtime for the chosen one and format (LM Studio: llama.cpp, or MLX for MLX)."""
        return engine_runtime(self.runtime, self.quant.family)

    def workload(self, **changes) -> Workload:
        """The engine's Workload (validated once per question: the estimate, the launch box's formats and
        the evidence ask it again); `changes` rewrite its fields (ram_bytes, hosts, ...) in a new one,
        validated, the prompt no longer than the context."""
        return self._validated(changes) if changes else self._workload

    def workload_at(self, *, context_tokens: int | None = None, batch: int | None = None) -> Workload:
        """`workload()` at another context or number of users, for a chart's point: a copy of the question's
        own, not validated again at each of the charts' ~15 points, whose contexts (at most the model's) and
        users (at most 64, or the question's own) are within its ranges; the prompt no longer than the
        context, as `workload()` has it (the engine's suggestions copy theirs so: suggest._at_context)."""
        changes: dict = {} if batch is None else {"batch": batch}
        if context_tokens is not None:
            changes |= {"context_tokens": context_tokens, "prompt_tokens": min(self.prompt, context_tokens)}
        return self._workload.model_copy(update=changes)

    @cached_property
    def _workload(self) -> Workload:
        return self._validated({})

    def _validated(self, changes: dict) -> Workload:
        values = self._workload_fields | changes
        values["prompt_tokens"] = min(values["prompt_tokens"], values["context_tokens"])
        return Workload(**values)

    @cached_property
    def _workload_fields(self) -> dict:
        """The question's Workload fields, read from the catalog's tables once per question."""
        values = {
            "context_tokens": self.ctx,
            "batch": self.batch,
            "prompt_tokens": self.prompt,
            **tables.kv_workload(self.kv),  # the catalog row's bytes per element
            "runtime": self.engine,
            "mamba_ssm_cache_dtype": getattr(BY_SLUG.get(self.runtime), "mamba_ssm_cache_dtype", "auto"),
            "hosts": self.hosts,
            "flash_attention": self.fa != "off",
            **self._runtime_limits,
        }
        if self.ram_gb:
            values["ram_bytes"] = self.ram_gb * GIB  # RAM is sold in GiB, like VRAM
        if self.ram_preset:
            values |= tables.ram_presets()[self.ram_preset]["workload"]  # its bandwidth, for offload
        if self.link:
            values |= self.link.workload_fields()
        return values

    @property
    def _runtime_limits(self) -> dict:
        """What the chosen runtime runs, for the engine's suggestions: the plans its launch command
        runs and the KV cache types the catalog says it keeps (none recorded: any)."""
        row = runtime_table().get(self.runtime)
        strategies = commands.TOOLS[COMMAND_FOR_RUNTIME[self.runtime]][1]
        return {
            "runtime_strategies": tuple(sorted(strategies)),
            "runtime_kv_cache_types": tuple(row["kv"]) if row and row["kv"] else None,
        }

    def query(self, **changes) -> str:
        """Every input in a fixed order, defaults left out, devices grouped as gpu + count: the cache
        key of its answer and its permalink's query.

        `changes` rewrite inputs first, with the engine's suggestion keys: quant, ctx, kv, ram_gb,
        gpu_count (that many of the largest GPU of the question).
        """
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        explicit_prompt = self.explicit_prompt
        runs = _group(d.slug for d in self.devices)
        for key, value in changes.items():
            if key == "gpu_count":
                largest = max(self.devices, key=lambda g: g.memory_bytes * g.gpu_memory_fraction)
                runs = [(largest.slug, int(value))]
            elif key == "quant":
                data["quant_slug"] = str(value)
            elif key == "ctx":
                data["ctx"] = int(value)
                if not explicit_prompt:
                    data["prompt"] = min(DEFAULTS["prompt"], data["ctx"])
            elif key in ("batch", "prompt", "ram_gb", "hosts"):
                data[key] = int(value)
                explicit_prompt = explicit_prompt or key == "prompt"
            else:
                data[key] = value
        model = ("config", data["config"]) if data.get("config") else ("model", data["model"].slug)
        pairs = [model, ("quant", data.get("quant_slug", data["quant"].slug))]
        pairs += device_pairs(runs)
        for name in ("ctx", "batch", "prompt", "kv", "runtime"):
            if data[name] != DEFAULTS[name] and (name != "prompt" or explicit_prompt):
                pairs.append((name, str(data[name])))
        if data.get("backend"):
            pairs.append(("backend", data["backend"]))
        if data["fa"] == "off":
            pairs.append(("fa", "off"))
        if data.get("ram_gb"):
            pairs.append(("ram_gb", str(data["ram_gb"])))
        if data.get("ram_preset"):
            pairs.append(("ram_preset", data["ram_preset"]))
        if data.get("link"):
            pairs.append(("link", data["link"] if isinstance(data["link"], str) else data["link"].slug))
        if data["hosts"] != DEFAULTS["hosts"]:
            pairs.append(("hosts", str(data["hosts"])))
        return urlencoded(pairs)

    def permalink(self, **changes) -> str:
        return f"/?{self.query(**changes)}"

    def estimate(self, *, with_suggestions: bool = True) -> Estimate:
        """Run the engine on the question; the engine's refusals become EngineRefused.

        The engine gets the model's published artifacts (for its launch commands) and, as formats to
        suggest, the listed ones this runtime runs on this hardware, no wider than the model was
        released in and that this runtime can have for this model (estimator.commands.unavailable), with
        every width of the format a runtime makes itself (`OWN_CONVERSIONS`); its commands are kept for
        the runtimes the catalog says run here (`combination`)."""
        model, combination = self.model, self.combination
        spec_of_model = self.model_spec
        candidates = None
        if with_suggestions:
            widest = WIDEST_USEFUL_BITS.get(model.native_dtype or "", 32.0)
            published = formats_of(model)
            tool = COMMAND_FOR_RUNTIME[self.runtime]
            own = OWN_CONVERSIONS.get(self.runtime)
            # read only for such a runtime: every other question keeps its query count
            widths = (
                [(spec, q.bits_per_weight, q.family, q.slug) for q, spec in format_specs() if q.family == own]
                if own
                else []
            )
            candidates = [
                spec
                for spec, bits, family, slug in [
                    *(row for row in listed_formats(self.runtime, moe=model.is_moe) if row[2] != own),
                    *widths,
                ]
                if bits <= widest + 1e-6
                and combination.runs(self.runtime, family)
                and (family not in PUBLISHED_ONLY or slug in published or family == own)
                and unavailable(spec_of_model, spec, tool) is None
            ]
        try:
            result = estimate(
                model=spec_of_model,
                quant=self.quant_spec,
                devices=self.device_specs,
                workload=self.workload(),
                candidates=candidates,
                with_suggestions=with_suggestions,
            )
        except ValidationError as error:
            raise EngineRefused(
                "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
            ) from None
        tools = {
            tool
            for tool, runtime in RUNTIME_FOR_COMMAND.items()
            if combination.runs(runtime, self.quant.family)
        }
        plans = tuple(
            p.model_copy(
                update={
                    "commands": {t: c for t, c in p.commands.items() if t in tools},
                    "command_releases": {t: r for t, r in p.command_releases.items() if t in tools},
                }
            )
            for p in result.plans
        )
        return result.model_copy(update={"plans": plans})

    def recommended_plan(self) -> Plan | None:
        """The plan `estimate()` recommends, without the other plans, launch commands, explanations and
        suggestions it also builds (catalog.fitting.recommended: the engine's `best_plan`); None where no
        plan fits or the engine refuses the question."""
        try:
            workload = self.workload()
        except ValidationError:
            return None
        return recommended(
            model=self.model_spec, quant=self.quant_spec, devices=self.device_specs, workload=workload
        )

    def measured(self) -> Measured:
        """Published measurements of exactly this model, format and GPUs on this question's runtime (not
        for your own model), on the backend asked for (if one was), those on its backend and nearest its
        prompt first."""
        runtime = "llama.cpp" if self.engine in LLAMA_CPP_ENGINES else MEASURED_RUNTIMES.get(self.runtime)
        if self.model.pk is None or runtime is None:
            return Measured()
        gpus = {g.slug for g in self.devices}
        asked = (self.model.slug, self.quant.slug, next(iter(gpus), None), len(self.devices))
        if len(gpus) == 1 and asked not in _measured_questions():
            return Measured()  # what measured_for would find, without its query (~3 ms)
        return measured_for(
            gpus=[g.slug for g in self.devices],
            llm=self.model.slug,
            quant=self.quant.slug,
            runtime=runtime,
            backend=self.backend
            or None,  # a backend asked for: its rows only, not ROCm's beside a Vulkan estimate
            prefer_backend=self.device_specs[0].backend,
            prompt_tokens=self.workload().prompt_tokens,
        )

    def fits(self, quant: QuantSpec | None = None) -> bool:
        """Whether the calculator recommends a plan for the question, at its own format or at `quant`: a fix
        that leads to "No: it does not fit" says so, and a launch box names instead only formats that fit.
        From memory alone (`holds`: no plan built, a launch box asks it of a dozen formats). Kept per
        question, format and catalog version."""
        quant = quant or self.quant_spec

        def compute() -> bool:
            return holds(
                model=self.model_spec, quant=quant, devices=self.device_specs, workload=self.workload()
            )

        return cache.get_or_compute("fits", f"{self.query()}|{quant.slug}", compute)

    def nearest_measured(self, measured: Measured) -> Neighbour | None:
        """Where nothing published matches (`measured`, this question's `measured()`, has no decode row),
        the nearest published llama.cpp decode row on the question's first GPU kind and the engine's
        estimate for it (catalog/measurements.py)."""
        if measured.decode or self.engine not in LLAMA_CPP_ENGINES or not self.devices:
            return None
        first = self.devices[0]
        found = nearest_measured(
            gpu=first,
            bits_per_weight=self.quant.bits_per_weight,
            llm=self.model.slug or "",
            moe=self.model.is_moe,
            params_b=self.model.params_read_b,
            gpu_count=sum(1 for g in self.devices if g.pk == first.pk),
            # the estimate's backend, asked or usual: not a Vulkan row under a ROCm answer
            backend=self.backend or self.device_specs[0].backend,
        )
        if found is not None and any(g.pk != first.pk for g in self.devices):
            return replace(found, same_gpu=False)  # a mixed rig: "a GeForce RTX 3090", not "this card"
        return found


def _measured_questions() -> frozenset[tuple[str, str, str, int]]:
    """(model, format, GPU, GPU count) of every published measurement, read once per catalog version."""
    return cache.get_or_compute(
        "measured-questions",
        "",
        lambda: frozenset(
            Measurement.objects.values_list("llm__slug", "quantization__slug", "gpu__slug", "gpu_count")
        ),
    )
