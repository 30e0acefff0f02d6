"""Physical ranges of every input the engine accepts, and caches bounded in entries and in size.

The ranges are several times the largest real model or machine, so no real question is refused, yet
every request does bounded work: the engine's tables grow with layers, experts and devices. The largest
values in ../shared/reference/models.json: 126 layers, hidden 16,384, FFN 53,248, 128 heads (Llama 3.1
405B), head_dim 256 and vocabulary 262,208 (Gemma 3), 256 routed experts and 671B parameters (DeepSeek
V3), context 10,485,760 (Llama 4 Scout). Kimi K2 (384 experts, 1T parameters) is the largest MoE published.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from pydantic import BaseModel

MAX_LAYERS = 1024
MAX_HIDDEN_SIZE = 131_072
MAX_INTERMEDIATE_SIZE = 1_048_576
MAX_HEADS = 4096
MAX_HEAD_DIM = 4096
# a linear-attention layer's short convolution (Qwen3-Next, Qwen3.5: 4)
MAX_CONV_KERNEL = 64
MAX_VOCAB_SIZE = 4_194_304
MAX_EXPERTS = 4096
MAX_PARAMS_B = 100_000.0  # 100 trillion parameters
MAX_CONTEXT_TOKENS = 10_485_760  # the longest context any catalog model advertises (Llama 4 Scout)
MAX_POSITION_EMBEDDINGS = 2**31 - 1  # configs state this freely; it only caps the context asked for
MAX_DEVICES = 64  # GPUs in one machine
MAX_HOSTS = 16  # machines in an RPC cluster
# GPUs over every machine: sixteen machines of eight. A question of 16 machines of 64 GPUs (1,024) took 1.7 s
# to answer, 128 in any arrangement 0.15-0.28 s (a visitor review, 6 December 2026).
MAX_DEVICES_IN_ALL = 128
MAX_MEMORY_BYTES = 2**50  # 1 PiB per device
MAX_BANDWIDTH_GB_S = 100_000.0  # 100 TB/s (an H200 has 4.8, a B200 8)
MAX_TFLOPS = 100_000.0


class HashedArgs(tuple):
    """The arguments of a call, as a cache key whose hash is computed once. The engine's keys hold frozen
    pydantic specs, whose hash walks every field (and a model's artifacts) each time: a hit would
    compute it twice (the lookup and the LRU's reordering), a miss three times. Equality is the tuple's."""

    def __new__(cls, args: tuple) -> "HashedArgs":
        key = super().__new__(cls, args)
        key.hash = hash(args)
        return key

    def __hash__(self) -> int:
        return self.hash


def bounded_cache(
    *, entries: int, size: int, size_of: Callable[[tuple, object], int], by_value: bool = False
):
    """An LRU cache holding at most `entries` results whose `size_of(args, result)` sum to at most `size`.

    `functools.lru_cache` bounds entries only: one entry per (model, format) holds a tuple per layer, so
    a few huge models would keep gigabytes. A result larger than `size` is computed and not kept.

    Arguments that are pydantic specs are told apart by identity, not value (unless `by_value`): their
    hash walks every field (and a model's artifacts) and two equal specs compare field by field, on
    every call, which cost a sixth of the engine's time. The engine's entry points hand it one object
    per spec value (`ranking.interned`, in front of the one cache `by_value`), so identity finds what
    equality would. An entry keeps its arguments alive, so an id stays theirs while it is a key; an
    equal spec that is another object misses and computes the same result again.
    """

    def decorate(function):
        kept: OrderedDict[tuple, tuple[object, int, tuple]] = OrderedDict()
        total = 0
        lock = threading.Lock()

        @wraps(function)
        def cached(*args):
            nonlocal total
            if by_value:
                key = HashedArgs(args)
            elif len(args) == 1:  # one spec (a model's tables, `interned`): its id alone, an int
                key = id(args[0]) if _IS_SPEC[type(args[0])] else args
            else:  # ints and ranges hash fast, and compare fast when the hashes match
                key = tuple([id(a) if _IS_SPEC[type(a)] else a for a in args])
            if by_value:
                # Comparing specs runs pydantic's `__eq__` in Python, during which another thread may
                # insert or evict: this lookup takes the lock (a cold path, reached when `interned` misses).
                with lock:
                    hit = kept.get(key)
                    if hit is not None:
                        kept.move_to_end(key)
                        return hit[0]
            else:
                # Keys of ints, ranges and ids hash and compare in C, so `get` and `move_to_end` are each one
                # step under the GIL: a hit takes no lock (the C lru_cache's way); an entry another thread
                # dropped in between is simply not moved.
                hit = kept.get(key)
                if hit is not None:
                    try:  # noqa: SIM105 (contextlib.suppress is a context manager, as slow as the lock)
                        kept.move_to_end(key)
                    except KeyError:
                        pass
                    return hit[0]
            result = function(*args)
            cost = max(1, size_of(args, result))
            if cost > size:
                return result
            with lock:
                if key not in kept:
                    kept[key] = (result, cost, args)
                    total += cost
                    while len(kept) > entries or total > size:
                        _, (_, dropped, _) = kept.popitem(last=False)
                        total -= dropped
            return result

        def cache_clear():
            nonlocal total
            with lock:
                kept.clear()
                total = 0

        def cache_info() -> dict[str, int]:
            return {"entries": len(kept), "size": total, "max_entries": entries, "max_size": size}

        cached.cache_clear = cache_clear
        cached.cache_info = cache_info
        return cached

    return decorate


class _SpecTypes(dict):
    """Whether a type is a pydantic spec, looked up by type: `isinstance(a, BaseModel)` goes through
    ABCMeta's check (~150 ns), a dict hit ~30 ns, and a cache key asks it of every argument of every call."""

    def __missing__(self, cls: type) -> bool:
        self[cls] = found = issubclass(cls, BaseModel)
        return found


_IS_SPEC = _SpecTypes()


def length_of_result(args: tuple, result: object) -> int:
    """Elements held: the result's length (a per-layer table) plus the lengths of tuple arguments."""
    held = len(result) if isinstance(result, tuple | list) else 1
    return held + sum(len(a) for a in args if isinstance(a, tuple | frozenset))
