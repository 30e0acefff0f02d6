"""What-hardware's one or two GPUs with system RAM: a mixture of experts run with its experts (or layers) in
the RAM, the usual low-cost way to run DeepSeek R1, Qwen3-235B or gpt-oss-120b (a 3090 and 64 GB run
gpt-oss-120b at about 33 tok/s, by the calculator).

The GPU-only sets are catalog/fitting.py's `what_hardware`; these are asked of the same engine, with the same
workload as the calculator page builds for the set's link (`ram_gb`, `ram_preset`), so each row's Details
reproduces its numbers. The RAM has no price in the catalog: a row's price is its GPUs' alone.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from catalog import cache, fitting
from catalog.fitting import DEFAULTS, DeviceSet, context_tok_s, holds, least_bytes_needed, recommended
from catalog.models import RamPreset
from catalog.price_tag import PriceTag, price_rank
from estimator import DeviceSpec, ModelSpec, QuantSpec
from estimator.speed import shared_steps
from estimator.strategies import GPU_ONLY
from estimator.units import GIB

# The system RAM a set is asked with, the least that holds the model: sizes of common DIMM kits, from a
# desktop's 32 GB to a server's 1 TB.
RAM_SIZES_GB = (32, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
MAX_GPUS = 2  # beyond two GPUs, the GPU-only sets of the rankings above are the usual buy
# The most plans (the engine's `recommended`, ~1 ms each) one answer asks before the GPU kinds left are not asked,
# which the page says (`RamAnswer.stopped`): the page's answer stays within its 200 ms budget as the catalog
# grows. Asking every kind of the catalog's 32 listed took at most 82 (glm-4-7, minimax-m3 at 10-20 tok/s: ~100
# ms for the whole answer on a loaded machine, against ~50 before the search was complete); with the runtime's
# 8-bit KV cache tried too (`_KindSearch`), at most 111 (qwen3-235b-a22b in FP8 at 5 tok/s) over a grid of 12
# mixtures of experts and dense models, 3 contexts, 4 speeds, 1 or 4 users, GGUF or FP8 (432 questions), where 96
# left 3-4 kinds unasked in 4 of them.
MAX_PLANS = 128
# The most RAM two channels take, by memory type (GB): a desktop board's four slots. DDR5: 4 × 64 GB, "up to
# 256GB on four-slot" Z790 and X670E boards (https://www.tomshardware.com/pc-components/ram/new-desktop-pc-chips-
# now-support-an-incredible-256gb-of-memory-asrock-and-msi-update-ddr5-support-on-intel-z790-and-amd-x670e-
# motherboards, 2023-12-15). DDR4: 4 × 32 GB; "until recently, the maximum memory capacity allowed on consumer PCs
# was 128 GB" (https://en.overclocking.com/64-gb-ddr5-ram-for-256-gb-capacities/). More channels are a
# workstation's or a server's, whose registered DIMMs take more than RAM_SIZES_GB's largest ("4 memory channels
# and up to 2 TB of RAM" on Threadripper: https://www.cpu-monkey.com/it/cpu_family-amd_ryzen_threadripper).
DUAL_CHANNEL_MAX_GB = {"ddr5": 256, "ddr4": 128}
# With no RAM type asked, the calculator's default (two channels of DDR5-4800, estimator.speed
# DEFAULT_RAM_BANDWIDTH_GB_S) holds up to DUAL_CHANNEL_MAX_GB["ddr5"]; where no size of it reaches the speed, the
# fewest channels of the same memory beyond a desktop's are searched on their own, from the least size (a visitor
# review: "384 GB of system RAM" read at dual-channel DDR5-4800, a machine that does not exist; and, once sizes
# above 256 GB were read at four channels, "1× RTX 3060 + 384 GB" for a 59 GiB model, where 96 GB on the same
# four channels reach the speed: the size bought the channels)
DEFAULT_TYPE, BEYOND_DESKTOP = "ddr5", "ddr5-4800-4ch"


@dataclass(frozen=True)
class RamAnswer:
    """The sets with system RAM the page shows (`with_ram`), and how many GPU kinds were not asked, the dearest:
    their one card costs more than the last set shown, or MAX_PLANS were asked before them. The page says so."""

    sets: list["RamSet"]
    dearer_kinds: int = 0
    stopped: bool = False  # some of them for MAX_PLANS, not for their price alone
    estimates: int = (
        0  # engine calls it took: `holds` and `recommended`, as `HardwareAnswer.estimates` counts
    )


@dataclass(frozen=True)
class RamSet(DeviceSet):
    """n identical GPUs and the least system RAM (GB, as the calculator's `ram_gb` reads it) that hold the
    model with an offload plan and reach the target speed."""

    ram_gb: int = 0
    ram_read_at: str = ""  # the RAM type it was read at, where not the one the section names (`read_at`)


# the plans of one kind at several sizes of RAM lay its layers out alike: their stages' steps are timed once
@shared_steps()
def with_ram(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    gpus: Iterable[tuple[DeviceSpec, PriceTag | None]],
    ctx: int,
    batch: int,
    target_tok_s: float,
    runtimes: Mapping[str, str] | None,
    ram_preset: str | None = None,
    ram_fields: Mapping | None = None,
    top: int = fitting.TOP,
) -> RamAnswer:
    """For a mixture of experts, per discrete GPU kind (the backends `runtimes` runs the format on), one or two
    GPUs with the least RAM of RAM_SIZES_GB that hold the model with an offload plan and reach `target_tok_s`;
    the first `top` by the GPUs' price (the RAM has none) as the cheapest ranking orders them, then fewest GPUs,
    least RAM, speed; where today's prices fill them, the sets at an old launch price lower than the dearest of
    those follow, up to `top`, as the cheapest ranking shows them (reverse_questions/answers.py `cut`).

    A kind whose `n` GPUs hold the model alone is left to the GPU-only rankings; RAM sizes under the engine's
    lower bound on memory (GPUs and RAM together) are not asked, and the least size that holds the model is
    found from memory alone (`holds`, `_least_ram`) before its plan is built. The search is complete for the
    sets shown: a kind is left unasked only when its one card costs more than the last set shown (`dearer_kinds`,
    which the page says)."""
    if not model.is_moe:
        return RamAnswer([])
    workloads: dict[tuple[str, int, str | None, str], object] = {}
    searched = searches(ram_preset)

    def workload(runtime: str, ram_gb: int, at: str | None, kv: str = ""):
        """The calculator's workload for this RAM, with the question's KV cache ("") or the runtime's 8-bit
        one (`fitting.kept_kv`)."""
        key = (runtime, ram_gb, at, kv)
        if key not in workloads:
            if kv:
                workloads[key] = fitting.kept_kv(workload(runtime, ram_gb, at))
            else:
                fields = ram_fields if at == ram_preset else platforms()[at]["workload"]
                asked = fitting.question_workload(ctx=ctx, batch=batch, ram_gb=ram_gb, ram=fields)
                workloads[key] = fitting.with_runtime(asked, runtime)
        return workloads[key]

    tries_of: dict[str, list[tuple[str, object, int]]] = {}  # per runtime, `_KindSearch`'s KV caches

    def tries(runtime: str) -> list[tuple[str, object, int]]:
        """(KV cache, the workload of the cards alone, the lower bound on memory with RAM): the question's, then
        the runtime's 8-bit one where it keeps one (`fitting.kept_kv`), as the GPU-only sets try them."""
        if runtime not in tries_of:
            alone = fitting.with_runtime(fitting.question_workload(ctx=ctx, batch=batch), runtime)
            kinds = [("", alone)] + ([(k.kv_cache_type, k)] if (k := fitting.kept_kv(alone)) else [])
            tries_of[runtime] = [
                (
                    kv,
                    asked,
                    least_bytes_needed(model, quant, workload(runtime, RAM_SIZES_GB[0], ram_preset, kv)),
                )
                for kv, asked in kinds
            ]
        return tries_of[runtime]

    sets: list[RamSet] = []
    dearer, calls = (
        0,
        [0, 0],
    )  # the kinds not asked; the engine calls and, of them, the plans so far (`_KindSearch`)
    # the kinds by unit price as the sets are ranked; once `top` sets are found, a kind whose one card costs
    # more than the last set that would be shown cannot be shown (two cost twice as much): not asked
    for device, price in sorted(gpus, key=lambda pair: _price_key(pair[1])):
        if device.unified_memory or (runtimes is not None and device.backend not in runtimes):
            continue
        if _beyond_shown(price, sets, top) or calls[1] >= MAX_PLANS:
            dearer += 1
            continue
        runtime = (runtimes or {}).get(device.backend, DEFAULTS["runtime"])
        search = _KindSearch(
            model,
            quant,
            device,
            searched,
            tries=tries(runtime),
            workload=lambda gb, at, kv, r=runtime: workload(r, gb, at, kv),
            fast=lambda plan: context_tok_s(plan, batch) >= target_tok_s,
            calls=calls,
        )
        if (found := search.least()) is not None:
            n, plan, ram_gb, at, kv = found
            plan = search.ranked(n, ram_gb, at, kv)
            link = fitting.permalink(
                model=model.slug,
                quant=quant.slug,
                runs=[(device.slug, n)],
                ctx=ctx,
                ram_gb=ram_gb,
                runtime=runtime,
                ram_preset=at,
                batch=batch,
                kv=kv,
            )
            total = price.amount_usd * n if price is not None else None
            sets.append(
                RamSet(
                    device,
                    n,
                    plan,
                    total,
                    link,
                    price,
                    runtime=runtime,
                    users=batch,
                    kv=kv,
                    ram_gb=ram_gb,
                    ram_read_at=platforms()[at]["name"] if at != ram_preset else "",
                )
            )
    sets.sort(
        key=lambda s: (
            *_price_key(s.unit_price, s.count),
            s.count,
            bool(s.ram_read_at),  # a desktop's RAM before a workstation's, at the same price
            s.ram_gb,
            -s.tok_s_at_context,
            s.device.name,
        )
    )
    return RamAnswer(
        _shown(sets, top), dearer, stopped=calls[1] >= MAX_PLANS and dearer > 0, estimates=calls[0]
    )


def _today(sets: list) -> list:
    """The sets at a price of today (not an old launch price, `PriceTag.old`), in the order given."""
    return [s for s in sets if s.unit_price is not None and not s.unit_price.old]


def _shown(sets: list, top: int) -> list:
    """The sets the page shows, ranked by price: the first `top`; where today's prices fill them, the sets at an
    old launch price lower than the dearest of those follow, up to `top` (as `answers.cut`, the cheapest
    ranking's: they rank after today's, and were left out unsaid)."""
    today = _today(sets)
    if len(today) < top:
        return sets[:top]
    dearest = today[top - 1].price_usd
    old = [s for s in sets if s.unit_price is not None and s.unit_price.old and s.price_usd < dearest]
    return today[:top] + old[:top]


def _beyond_shown(price: PriceTag | None, sets: list, top: int) -> bool:
    """Whether no set of a kind at this unit price can be shown beside `sets` (`_shown`): kinds come in price
    order, so every set it could displace is already found."""
    if len(sets) < top:
        return False
    today = sorted(s.price_usd for s in _today(sets))
    if (
        len(today) >= top
    ):  # today's fill the ranking: an old launch price lower than the dearest shown follows
        return price is None or price.amount_usd > today[top - 1]
    return _price_key(price) > sorted(_price_key(s.unit_price, s.count) for s in sets)[top - 1]


def _price_key(price: PriceTag | None, count: int = 1) -> tuple:
    """How the cheapest ranking orders `count` cards at `price` (`price_rank`, then the amount)."""
    return (*price_rank(price), price.amount_usd * count if price is not None else 0)


def platforms() -> dict[str, dict]:
    """The catalog's RAM presets (one query, cached until the catalog changes): slug -> {"name", "channels",
    "memory_type", "workload": the fields an offload plan reads}."""

    def load():
        return {
            r.slug: {
                "name": r.name,
                "channels": r.channels,
                "memory_type": r.memory_type,
                "workload": r.workload_fields(),
            }
            for r in RamPreset.objects.only("slug", "name", "channels", "memory_type", "bandwidth_gb_s")
        }

    return cache.get_or_compute("ram-platforms", "", load)


def most_ram_gb(preset: str | None) -> int | None:
    """The most RAM a platform with this RAM type takes (None: more than RAM_SIZES_GB's largest); no type asked,
    the calculator's default, two channels of DDR5."""
    if preset is None:
        return DUAL_CHANNEL_MAX_GB[DEFAULT_TYPE]
    row = platforms().get(preset)
    if row is None or row["channels"] > 2:
        return None
    return DUAL_CHANNEL_MAX_GB.get(row["memory_type"])


def offered_sizes(preset: str | None) -> list[int]:
    """The RAM sizes asked with a RAM type: those it holds; no type asked, every size (`read_at`)."""
    most = most_ram_gb(preset)
    if most is None or (preset is None and BEYOND_DESKTOP in platforms()):
        return list(RAM_SIZES_GB)
    return [gb for gb in RAM_SIZES_GB if gb <= most]


def searches(preset: str | None) -> list[tuple[str | None, list[int]]]:
    """The platforms a kind is searched on, in order, each with its sizes: the RAM type asked, the sizes it holds;
    none asked, the calculator's default (None) up to what two channels take, then BEYOND_DESKTOP from the least
    size (its channels, not a larger size, are what reads faster)."""
    if preset is not None or BEYOND_DESKTOP not in platforms():
        return [(preset, offered_sizes(preset))]
    most = DUAL_CHANNEL_MAX_GB[DEFAULT_TYPE]
    return [(None, [gb for gb in RAM_SIZES_GB if gb <= most]), (BEYOND_DESKTOP, list(RAM_SIZES_GB))]


class _KindSearch:
    """The least of one GPU kind with system RAM that runs the model (`least`): the fewest cards (up to MAX_GPUS)
    whose plan is offloaded and `fast` enough, on the first platform of `searched` that reaches it (a desktop's
    two channels before a workstation's four), with the least of its sizes, and the KV cache it takes: the
    question's, or the runtime's 8-bit one (`fitting.kept_kv`) where that needs less RAM, fewer cards or no
    workstation board, as the GPU-only sets take it before another card (`fitting.what_hardware`). Complete, in few
    engine calls, each asked once: on one platform more RAM never takes a plan away nor reads slower, a later
    platform reads no slower, and a second card never slows the best plan; so whether a size holds the model, and
    whether its plan reaches the speed, only turn from no to yes as the RAM grows (`_least`).

    Engine calls (`calls`: `holds`, then a plan where it holds, each (cards, size, platform, KV cache) asked once):
    per count, platform and KV cache a search by halves over the sizes, at most 2 + log2 of them of each (for
    RAM_SIZES_GB's 10: 6 `holds`, 6 plans), and the most cards with the most RAM once per KV cache; the 8-bit cache
    is searched only below the size the question's takes, first at the largest of those (one plan: where it is too
    slow there, no less RAM is faster), and where the question's is hopeless only once more cards and RAM show it
    is not. Over 432 what-hardware questions (12 models, 3 contexts, 4 speeds, 1 or 4 users, GGUF or FP8) the sets
    with RAM took 13-15% more engine calls (41,236 against 36,092 before, `holds` and plans), at most 250 for one
    answer (240 before; MAX_PLANS at 96), and at most 111 plans (MAX_PLANS bounds them: then the kinds left are not
    asked).

    It used to try the two least sizes above the lower bound, and only the least that held; and to leave to the
    GPU-only rankings a kind the lower bound said its cards might hold alone. It missed one RTX 3060 12 GB with
    32 GB for gpt-oss-20b at Q4_K_M (one 3060 does not hold it alone); the RTX 5090 for GLM-5 at Q2_K and 10
    tok/s (too slow with 256 GB read at two channels; one card reaches it with 384 GB read at four); and one
    MI300X for DeepSeek-R1 at Q4_K_M, 5 tok/s on DDR5 (192 GB holds its layers offloaded, 4.3 tok/s; 256 GB its
    experts, 7.2). tests/reverse_questions/test_what_hardware.py asks each; a run over the catalog's mixtures
    of experts, formats, speeds and RAM types found the sets the page shows equal to asking every kind, count
    and size."""

    def __init__(self, model, quant, device, searched, *, tries, workload, fast, calls: list[int]):
        self.model, self.quant, self.device, self.searched = model, quant, device, searched
        self.tries, self.workload, self.fast = tries, workload, fast  # tries: (KV cache, alone, lower bound)
        self.held: dict[tuple, bool] = {}
        self.plans: dict[tuple, object] = {}
        self.calls = calls  # the answer's engine calls and, of them, its plans, shared by its kinds

    def holds(self, n: int, gb: int, at: str | None, kv: str) -> bool:
        """Whether `n` cards with `gb` of RAM on platform `at` hold the model with KV cache `kv`, asked once."""
        if (n, gb, at, kv) not in self.held:
            self.calls[0] += 1
            self.held[n, gb, at, kv] = holds(
                model=self.model,
                quant=self.quant,
                devices=[self.device] * n,
                workload=self.workload(gb, at, kv),
            )
        return self.held[n, gb, at, kv]

    def plan(self, n: int, gb: int, at: str | None, kv: str):
        """The recommended plan of `n` cards with `gb` of RAM on platform `at` and KV cache `kv` (None: none fits),
        asked once; not where `holds` said no. Where it was not asked, the plan answers it: `recommended` finds
        a plan exactly where `holds` does, and its memory check costs as much on its own as inside the plan (an
        eighth of the sets' CPU for qwen3-235b-a22b went to checking first the plans then built)."""
        key = (n, gb, at, kv)
        if key not in self.plans:
            plan = None
            if self.held.get(key, True):
                self.calls[0] += 1
                plan = recommended(
                    model=self.model,
                    quant=self.quant,
                    devices=[self.device] * n,
                    workload=self.workload(gb, at, kv),
                    ranked=False,  # the search reads its strategy and speed; `ranked` ranks the one kept
                )
                self.held[key] = self.held.get(key, plan is not None)
                if self.held[key]:
                    self.calls[1] += 1  # MAX_PLANS counts the plans of sets that hold, as before
            self.plans[key] = plan
        return self.plans[key]

    def ranked(self, n: int, gb: int, at: str | None, kv: str):
        """The plan the search kept for `n` cards with `gb` of RAM on platform `at` and KV cache `kv`, as
        `recommended` gives it (`fitting.ranked_plan`)."""
        plan = self.plans[n, gb, at, kv]
        if plan.rank != 1:
            self.calls[0] += 1
        return fitting.ranked_plan(
            plan,
            model=self.model,
            quant=self.quant,
            devices=[self.device] * n,
            workload=self.workload(gb, at, kv),
        )

    def runs(self, n: int, gb: int, at: str | None, kv: str) -> bool:
        """Whether `n` cards with `gb` of RAM on platform `at` run the model offloaded at the speed asked."""
        plan = self.plan(n, gb, at, kv)
        return plan is not None and plan.strategy not in GPU_ONLY and self.fast(plan)

    def fast_anywhere(self, kv: str) -> bool:
        """Whether the most cards with the most RAM on the last platform, which run fastest, reach the speed with
        KV cache `kv`: if they do not, nothing does."""
        last_at, last_sizes = self.searched[-1]
        ceiling = self.plan(MAX_GPUS, last_sizes[-1], last_at, kv)  # perhaps on the GPUs alone: faster still
        return ceiling is not None and self.fast(ceiling)

    def least(self) -> tuple | None:
        """(cards, plan, RAM in GB, platform, KV cache: "" the question's), or None: no count up to MAX_GPUS with
        any platform, size and KV cache reaches the speed, or the cards alone hold the model with one of them (the
        GPU-only rankings answer that)."""
        hopeless: set[str] = set()  # the KV caches no set of this kind reaches the speed with
        for n in range(1, MAX_GPUS + 1):
            # where the lower bound says the cards alone may hold it, the engine's memory says whether they do
            for _, alone, need in self.tries:
                if n * self.device.usable_bytes >= need:
                    self.calls[0] += 1
                    if holds(model=self.model, quant=self.quant, devices=[self.device] * n, workload=alone):
                        return None
            for at, sizes in self.searched:
                best = None  # the question's KV cache first; the 8-bit one where it takes less RAM
                for kv, _, need in self.tries:
                    if kv in hopeless:
                        continue
                    fewer = [gb for gb in sizes if best is None or gb < best[2]]
                    if kv and self.tries[0][0] in hopeless and not self.fast_anywhere(kv):
                        hopeless.add(kv)  # as the question's: not even the most cards and RAM reach it
                        continue
                    # the 8-bit one is asked first at the most of that RAM: where that is too slow, less is too
                    if kv and (not fewer or not self.runs(n, fewer[-1], at, kv)):
                        continue
                    found = self._least_on(n, at, fewer, kv, need, reaches=bool(kv))
                    if found == ():
                        hopeless.add(kv)
                    elif found is not None:
                        best = found
                if best is not None:
                    return best
                if len(hopeless) == len(self.tries):
                    return None
        return None

    def _least_on(
        self, n: int, at: str | None, sizes: list[int], kv: str, need: int, *, reaches: bool = False
    ) -> tuple | None:
        """`least` for `n` cards on one platform with one KV cache: the least size that holds the model, then the
        least that runs it at the speed asked; None where none does here, () where none does anywhere. `reaches`:
        the largest of `sizes` is known to run it."""
        sizes = [gb for gb in sizes if n * self.device.usable_bytes + gb * GIB >= need]
        if (first := _least(len(sizes), lambda i: self.holds(n, sizes[i], at, kv))) is None:
            return None
        sizes = sizes[first:]
        if self.runs(n, sizes[0], at, kv):  # the usual answer: one plan
            return n, self.plan(n, sizes[0], at, kv), sizes[0], at, kv
        # too slow there: the most cards with the most RAM on the last platform run fastest; if they do not reach
        # it, nothing does
        if not reaches and not self.fast_anywhere(kv):
            return ()
        found = _least(len(sizes), lambda i: self.runs(n, sizes[i], at, kv))
        return None if found is None else (n, self.plan(n, sizes[found], at, kv), sizes[found], at, kv)


def _least(count: int, ok) -> int | None:
    """The least index below `count` where `ok`, which only turns from False to True as the index grows; None
    where it never does. The first index first (it usually is), then the last (if not there, nowhere), then by
    halves between them."""
    if not count:
        return None
    if ok(0):
        return 0
    if count == 1 or not ok(count - 1):
        return None
    short, enough = 0, count - 1
    while enough - short > 1:
        middle = (short + enough) // 2
        short, enough = (short, middle) if ok(middle) else (middle, enough)
    return enough
