"""bench/load.py's figures: what a run sent (the drawn `Mix`), what came back (wrk's `Result` per endpoint,
the site's request log tallied as `Served`, the server's tracebacks, py-spy's profile), and the Markdown
tables it prints. bench/fuzz_requests.py reads the server's tracebacks here too."""

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from questions import QUESTION_KINDS, Request

FAST_MS = 3  # a response-cache hit takes ~0.5 ms of server time; computing a question, 20 ms and more

MIX = "mix"  # the mix's name among the endpoints measured (--only mix)


@dataclass
class Mix:
    requests: list[Request]
    order_length: int
    distinct: int  # the distinct questions in the list (besides: the repeated URLs, the malformed)
    path: Path
    order_path: Path


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    errors: int
    expected_4xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_request: float
    load: float
    size: int
    rss_before_mb: dict[int, float]
    rss_after_mb: dict[int, float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def rss_growth_mb(self) -> float:
        """The largest growth of one worker alive before and after (a replaced worker is not compared)."""
        both = self.rss_before_mb.keys() & self.rss_after_mb.keys()
        return max((self.rss_after_mb[pid] - self.rss_before_mb[pid] for pid in both), default=0.0)


@dataclass
class Served:
    """What the site's request log says about the requests of one measured run."""

    requests: int = 0
    unexpected: Counter = field(default_factory=Counter)  # (kind, status) -> count
    expected_4xx: int = 0
    kinds: dict = field(default_factory=dict)  # kind -> list of server ms
    statuses: dict = field(default_factory=dict)  # kind -> Counter of statuses
    distinct: set = field(default_factory=set)  # request numbers answered
    examples: list = field(default_factory=list)  # (status, method, path) of the first unexpected

    @property
    def server_errors(self) -> int:
        return sum(n for (_, status), n in self.unexpected.items() if status >= 500)


def read_served(log: Path, offset: int, mix: Mix | None) -> Served:
    """Tally the site's JSON request lines written after `offset` (health checks aside). A mix request
    is matched to its Request by the X-Request-ID the site logs; any other request should get a 200."""
    found = Served()
    with open(log, "rb") as lines:
        lines.seek(offset)
        for line in lines:
            if not line.startswith(b'{"request_id"') or b'"/healthz"' in line:
                continue
            record = json.loads(line)
            found.requests += 1
            request_id, status = record["request_id"], record["status"]
            if mix and re.fullmatch(r"m\d+", request_id):
                number = int(request_id[1:])
                request = mix.requests[number - 1]
                found.distinct.add(number)
            else:
                request = Request("other", record["path"], method=record["method"])
            found.kinds.setdefault(request.kind, []).append(record["ms"])
            found.statuses.setdefault(request.kind, Counter())[status] += 1
            if status in request.expected:
                found.expected_4xx += 400 <= status < 500
            else:
                found.unexpected[request.kind, status] += 1
                if len(found.examples) < 20:
                    found.examples.append((status, request.method, request.path[:300]))
    return found


def tracebacks(log: Path, offset: int = 0) -> list[str]:
    """The server's error reports written after `offset`: Django's "Internal Server Error: <path>"
    with its traceback, and gunicorn's own worker errors."""
    found, current = [], None
    with open(log, errors="replace") as lines:
        lines.seek(offset)
        for line in lines:
            if line.startswith(("Internal Server Error:", "Traceback")) and current is None:
                current = [line]
            elif current is not None and line.startswith(("{", "[")):
                found.append("".join(current))
                current = None
            elif current is not None:
                current.append(line)
    if current:
        found.append("".join(current))
    return found


def profile_summary(path: Path, top: int = 30) -> str:
    """Where the workers' time in requests went, from py-spy's collapsed stacks ("frame;frame;... count"
    lines): the share of samples each function is on the stack (frames every request passes through,
    90% and above, left out), then the share each is at the top of the stack (its own time)."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "handle_request" not in stack:
            continue  # the master, and workers waiting for a connection
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    lines = [f"py-spy: {total:,} samples in requests ({path}); on the stack:"]
    shown = [(f, n) for f, n in inclusive.most_common() if n < 0.9 * total and not f.startswith("process ")]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in shown[:top]]
    lines.append("own time:")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top // 2)]
    return "\n".join(lines)


def mix_report(served: Served, mix: Mix, result: Result) -> str:
    """Per kind of request: how many, statuses, the server's own time; then the workers' memory."""
    kinds = Counter(mix.requests[n - 1].kind for n in served.distinct)
    questions = sum(kinds[kind] for kind in QUESTION_KINDS)
    lines = [
        f"mix: {result.requests:,} requests of {mix.order_length:,} drawn"
        + (" (the order was walked more than once)" if result.requests > mix.order_length else "")
        + f"; {questions:,} distinct questions answered of {mix.distinct:,} in the list, "
        f"{len(served.distinct) - questions - kinds['repeated']:,} distinct malformed requests",
        f"answered in under {FAST_MS} ms of server time (the response cache, or a refusal before any work): "
        f"{sum(ms < FAST_MS for times in served.kinds.values() for ms in times) / max(1, served.requests):.0%}",
        "",
        "| kind | requests | statuses | server ms p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in sorted(served.kinds, key=lambda k: -len(served.kinds[k])):
        ms = sorted(served.kinds[kind])
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(served.statuses[kind].items()))
        lines.append(
            f"| {kind} | {len(ms):,} | {statuses} | {_pct(ms, 50):.1f} | {_pct(ms, 95):.1f} "
            f"| {_pct(ms, 99):.1f} | {ms[-1]:.0f} |"
        )
    lines.append("")
    lines.append(
        "worker RSS MB, before -> after: "
        + ", ".join(
            f"{result.rss_before_mb.get(pid, 0):.0f} -> {result.rss_after_mb.get(pid, 0):.0f}"
            for pid in sorted(result.rss_before_mb.keys() | result.rss_after_mb.keys())
        )
    )
    return "\n".join(lines)


def _pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0.0


def table(results: list[Result], *, endpoints: dict, bare: Result | None, mix: Mix | None) -> str:
    """One row per endpoint measured; `endpoints`: name -> (path, extra request headers)."""
    lines = [
        "| endpoint | path | bytes | req/s | vs bare | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| expected 4xx | server CPU ms/req | CPU ceiling req/s | worker RSS growth MB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.name == MIX:
            shown = f"{mix.distinct:,} questions + repeated, Zipf"
        else:
            path, headers = endpoints[r.name]
            shown = path if len(path) <= 40 else path[:37] + "..."
            if headers:
                shown += " + " + ", ".join(f"{k}: {v}" for k, v in headers.items())
        ratio = f"{r.rps / bare.rps:.0%}" if bare else ""
        # what every core of this machine would serve at that CPU cost, with nothing else running
        ceiling = (os.cpu_count() or 1) * 1000 / r.cpu_ms_per_request if r.cpu_ms_per_request else 0
        lines.append(
            f"| {r.name} | `{shown}` | {r.size:,} | {r.rps:,.0f} | {ratio} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.max_ms:.0f} | {r.errors} | {r.expected_4xx} | {r.cpu_ms_per_request:.2f} "
            f"| {ceiling:,.0f} | {r.rss_growth_mb:+.1f} | {r.load:.2f} |"
        )
    return "\n".join(lines)
