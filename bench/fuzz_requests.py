"""Generated requests across every endpoint against gunicorn: reports each 5xx and each slow request.

    .venv/bin/python bench/fuzz_requests.py                      # 20,000 requests, seed 12
    .venv/bin/python bench/fuzz_requests.py -n 2000 --seed 3 --concurrency 1

The server is bench/load.py's (`serve()`: a throwaway PostgreSQL database with the catalog, gunicorn with
bench.settings, rate limits off). A superuser logs in to the admin first. Then --concurrency threads send
generated requests until -n are sent: calculator pages and their HTMX partials, /og.png, /compare/, the
reverse pages, /hardware-row/, pasted rigs (POST /rig/), /own-model/ uploads (config.json and GGUF bytes, valid and damaged),
shares (POST /r/) and the snapshots they make, every /api/v1/ endpoint with right and wrong methods,
the catalog, glossary, guide and search pages, robots, sitemap, health checks, unknown paths, the
result charts (/chart.svg), image and video models (/image-models/<slug>/, their questions on /, the
picker /models/pick/all/), /cost/, /choose/ and the buyer guides, measurements posted to
/measurements/submit/ (its honeypot too), the error pages (/errors/) and the API's docs (/api/), and the
admin: changelists with their filters, searches, orderings and pages, change and add forms posted with
generated values, history pages and the LLM import. Values are valid questions from the catalog
fixtures (bench/load.py) or deliberately bad ones: unknown slugs, absurd numbers, broken JSON, junk
text, NUL bytes, wrong methods. No Hypothesis: group and request i come from random.Random(seed, i), so a
run is reproducible up to what concurrent admin edits and shares change on the way.

Each request carries X-Request-ID f<n>; the site logs it with the status and its own time (ms), so the
report gives the server's time per request, any 5xx with the traceback gunicorn's log holds for that
path, and every request over --slow seconds (server time, or the client's when the server never logged
it), with its URL. Exit status 1 when there is any.
"""

import argparse
import concurrent.futures
import itertools
import json
import math
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fuzz_client import Client, FormFields, links
from fuzz_inputs import config_json, gguf_bytes, junk
from load import worker_rss_mb
from load_report import tracebacks
from questions import ROOT, Catalog, calculator_query, malformed, what_hardware_query, what_runs_query
from server import add_server_arguments, serve

ADMIN_USER, ADMIN_PASSWORD = "fuzz", "fuzz-only-password-7c1e"
API = ["estimate", "gpus", "models", "quantizations", "interconnects", "runtimes", "diffusion-models"]
METHODS = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]


@dataclass
class AdminModel:
    changelist: str
    filters: list[str]
    objects: list[str]
    can_add: bool

    @property
    def editable(self) -> bool:
        """Forms to post: not the users' and groups' (an edit of the fuzz user would log it out)."""
        return not self.changelist.startswith("/admin/auth/") and bool(self.objects or self.can_add)


def login(client: Client) -> None:
    page = client.send("admin login", "GET", "/admin/login/", session=client.admin)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    fields = [("csrfmiddlewaretoken", token.group(1).decode()), ("username", ADMIN_USER)]
    fields += [("password", ADMIN_PASSWORD), ("next", "/admin/")]
    reply = client.post_form("admin login", "/admin/login/", fields, session=client.admin)
    if reply.status != 302:
        sys.exit(f"admin login failed: {reply.status}\n{reply.body[:2000].decode(errors='replace')}")


def discover_admin(client: Client) -> list[AdminModel]:
    index = client.send("admin", "GET", "/admin/", session=client.admin)
    found = []
    for changelist in sorted({u for u in links(index.body) if re.fullmatch(r"/admin/\w+/\w+/", u)}):
        page = client.send("admin", "GET", changelist, session=client.admin)
        hrefs = links(page.body)
        objects = sorted({urlsplit(h).path for h in hrefs if re.fullmatch(rf"{changelist}[^/]+/change/", h)})
        filters = sorted({h for h in hrefs if h.startswith("?")})
        found.append(AdminModel(changelist, filters, objects, f"{changelist}add/" in hrefs))
    return found


def _edited(rng: random.Random, fields: list[list], options: dict[str, list[str]]) -> list[tuple[str, str]]:
    """A change form's fields with one to four values replaced: a plausible neighbour or junk."""
    editable = [
        i
        for i, (name, _) in enumerate(fields)
        if name != "csrfmiddlewaretoken" and not name.endswith("_FORMS")
    ]
    fields = [list(f) for f in fields]
    for i in rng.sample(editable, min(len(editable), rng.randint(1, 4))) if rng.random() < 0.85 else []:
        name, value = fields[i]
        if name in options and rng.random() < 0.5:
            fields[i][1] = rng.choice(options[name] or [""])
        elif re.fullmatch(r"-?\d+(\.\d+)?", value) and rng.random() < 0.6:
            number = float(value) * rng.choice([0, -1, 0.5, 2, 10, 1000, 1e9]) + rng.choice([0, 1])
            if not math.isfinite(number):  # a text field holding thousands of digits (an earlier edit)
                number = float(rng.choice([-1, 0, 10**20]))
            fields[i][1] = str(int(number)) if "." not in value else str(number)
        else:
            fields[i][1] = junk(rng)
    fields.append(["change_reason", rng.choice(["fuzz", "", junk(rng)])])
    return [(k, v) for k, v in fields]


def admin_request(client: Client, rng: random.Random, models: list[AdminModel]) -> None:
    model = rng.choice(models)
    choice = rng.random()
    if choice < 0.35:  # the changelist: filters, search, ordering, page
        query = dict(re.findall(r"([^?&=]+)=([^&]*)", rng.choice(model.filters or ["?"])))
        if rng.random() < 0.5:
            query["q"] = quote(rng.choice([rng.choice(["rtx", "llama", "q4", "3090", "apple"]), junk(rng)]))
        if rng.random() < 0.3:
            query["o"] = rng.choice(["1", "-2", "2.1", "99", "x", "-1.-2"])
        if rng.random() < 0.2:
            query["p"] = rng.choice(["1", "2", "99", "-1", "x"])
        path = model.changelist + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        client.send("admin list", "GET", path, session=client.admin)
    elif choice < 0.5 and model.objects:
        url = rng.choice(model.objects)
        client.send("admin history", "GET", url.replace("/change/", "/history/"), session=client.admin)
    elif choice < 0.9 and model.editable:
        url = rng.choice(model.objects) if model.objects and rng.random() < 0.8 else f"{model.changelist}add/"
        page = client.send("admin form", "GET", url, session=client.admin)
        if page.status != 200:
            return
        parser = FormFields()
        parser.feed(page.body.decode(errors="replace"))
        form = next((f for name, f in parser.forms.items() if name.endswith("_form")), None)
        if form is not None:
            fields = _edited(rng, form, parser.options) + [(rng.choice(["_save", "_continue"]), "Save")]
            client.post_form("admin post", url, fields, session=client.admin)
    else:
        admin_import(client, rng)


def admin_import(client: Client, rng: random.Random) -> None:
    """The LLM import: a pasted or uploaded config.json, or a GGUF header (the Hub is left alone)."""
    url = "/admin/catalog/llmmodel/import/"
    page = client.send("admin import", "GET", url, session=client.admin)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if not token:
        return
    fields = [("csrfmiddlewaretoken", token.group(1).decode()), ("name", rng.choice(["", "Fuzz", junk(rng)]))]
    if rng.random() < 0.4:
        fields.append(("config", config_json(rng).decode(errors="replace")))
        client.post_form("admin import", url, fields, session=client.admin)
    else:
        data, name = (gguf_bytes(rng), "m.gguf") if rng.random() < 0.5 else (config_json(rng), "config.json")
        client.post_form("admin import", url, fields, session=client.admin, files=[("file", name, data)])


# --- The public site ---------------------------------------------------------------------------------------


def _maybe_htmx(rng: random.Random) -> tuple:
    roll = rng.random()
    if roll < 0.3:
        return (("HX-Request", "true"),)
    if roll < 0.35:
        return (("HX-Request", "true"), ("HX-History-Restore-Request", "true"))
    return ()


def _question(rng: random.Random, catalog: Catalog) -> str:
    """A calculator query: valid three times in four, else with one value made bad."""
    query = calculator_query(rng, catalog)
    if rng.random() < 0.25:
        key = rng.choice(
            ["model", "quant", "gpu", "count", "ctx", "batch", "prompt", "kv", "runtime", "link"]
        )
        query += f"&{key}={quote(junk(rng))}"
    return query


def public_request(client: Client, rng: random.Random, catalog: Catalog, group: str) -> None:
    send = client.send
    gpu, _ = rng.choice(catalog.gpus)
    model, _ = rng.choice(catalog.models)
    if group == "page":
        send(group, "GET", f"/?{_question(rng, catalog)}", headers=_maybe_htmx(rng))
    elif group == "malformed":
        bad = malformed(rng, catalog)
        send(group, bad.method, bad.path, headers=bad.headers)
    elif group == "og":
        send(group, rng.choice(["GET", "GET", "HEAD"]), f"/og.png?{_question(rng, catalog)}")
    elif group == "compare":
        qs = [_question(rng, catalog) for _ in range(rng.randint(0, 5))]
        qs += [junk(rng)] if rng.random() < 0.2 else []
        send(group, "GET", "/compare/?" + urlencode([("q", q) for q in qs]))
    elif group == "reverse":
        if rng.random() < 0.5:
            query = what_runs_query(rng, catalog)
            extra = ["gpu", "count", "ctx", "ram_gb", "sort"]
            path = "/what-runs/"
        else:
            query = what_hardware_query(rng, catalog)
            extra = ["model", "quant", "ctx", "tok_s"]
            path = "/what-hardware/"
        if rng.random() < 0.3:
            query += f"&{rng.choice(extra)}={quote(junk(rng))}"
        send(group, "GET", f"{path}?{query}" if rng.random() < 0.95 else path, headers=_maybe_htmx(rng))
    elif group == "hardware-row":
        rows = rng.choice(["1", "3", "64", "999999", junk(rng)])
        send(group, "GET", f"/hardware-row/?gpu={gpu}&gpu={gpu}&rows={quote(rows)}")
    elif group == "own-model":
        data, name = (
            (gguf_bytes(rng), "model.gguf") if rng.random() < 0.5 else (config_json(rng), "config.json")
        )
        fields = [("quant", rng.choice(catalog.listed_quants)), ("gpu", gpu)]
        fields += [("ctx", rng.choice(["4096", "32768", junk(rng)]))] if rng.random() < 0.5 else []
        files = [(rng.choice(["file", "file", "other"]), name, data)] if rng.random() < 0.95 else []
        client.post_form(group, "/own-model/", fields, files=files, headers=_maybe_htmx(rng))
    elif group == "share":
        share(client, rng, catalog)
    elif group == "snapshot":
        known = client.snapshots
        snapshot = rng.choice(known) if known and rng.random() < 0.8 else quote(junk(rng)[:40], safe="")
        send(group, "GET", rng.choice([f"/r/{snapshot}", f"/r/{snapshot}/og.png"]))
    elif group == "api":
        name = rng.choice(API)
        if name == "estimate":
            path = f"/api/v1/estimate?{_question(rng, catalog)}"
        else:
            params = [
                ("q", rng.choice(["rtx", "llama", "", junk(rng)])),
                ("listed", rng.choice(["1", "no", "x"])),
            ]
            params += [(rng.choice(["vendor", "min_memory_gb", "unified", "family"]), junk(rng))]
            path = f"/api/v1/{name}?" + urlencode(rng.sample(params, rng.randint(0, len(params))))
        method = "GET" if rng.random() < 0.7 else rng.choice(METHODS)
        send(group, method, path, body=b"{}" if method in {"POST", "PUT", "PATCH"} else b"")
    elif group == "catalog":
        send(group, "GET", rng.choice(catalog_paths(rng, catalog, gpu, model)))
    elif group == "content":
        term = rng.choice(catalog.terms) if rng.random() < 0.8 else junk(rng)[:60]
        path = rng.choice(
            [
                "/glossary/",
                f"/glossary/{quote(term)}/",
                "/guides/",
                f"/guides/{quote(rng.choice([*GUIDES, 'nope']))}/",
                "/search/?" + urlencode({"q": rng.choice([term, "3090", "kv cache", "", junk(rng)])}),
                "/sitemap.xml",
                "/robots.txt",
                "/healthz",
                "/readyz",
                "/api/v1/openapi.json",
            ]
        )
        send(group, "GET", path, headers=_maybe_htmx(rng) if path.startswith("/search/") else ())
    else:  # unknown paths and wrong methods on pages
        path = rng.choice(
            ["/", "/gpus/", "/what-runs/", "/r/", "/own-model/", "/og.png", f"/{junk(rng)[:80]}"]
        )
        send(group, rng.choice(["GET", *METHODS]), quote(path, safe="/?=&"), body=b"x=1")


def catalog_paths(rng: random.Random, catalog: Catalog, gpu: str, model: str) -> list[str]:
    gpus = [rng.choice(catalog.gpus)[0] for _ in range(rng.randint(0, 6))]
    listing = {
        "q": rng.choice(["", "rtx", "apple m", junk(rng)]),
        "vendor": rng.choice(["", "nvidia", "amd", "apple", junk(rng)]),
        "min_memory_gib": rng.choice(["", "24", "0.5", junk(rng)]),
        "unified": rng.choice(["", "yes", "no", junk(rng)]),
        "sort": rng.choice(["", "-memory", "price", "name", junk(rng)]),
        "page": rng.choice(["1", "2", "99", "-1", junk(rng)]),
    }
    listing = dict(rng.sample(list(listing.items()), rng.randint(0, len(listing))))
    return [
        "/gpus/?" + urlencode(listing),
        f"/gpus/{gpu}/",
        f"/gpus/{quote(junk(rng)[:60])}/",
        "/gpus/compare/?"
        + urlencode([("gpu", g) for g in gpus] + [("gpu", junk(rng))] * (rng.random() < 0.2)),
        "/gpus/pick/?" + urlencode({"q": rng.choice(["40", "rtx 3090", "m4 max", "", junk(rng)])}),
        "/models/",
        f"/models/{model}/",
        f"/models/{quote(junk(rng)[:60])}/",
        "/models/pick/?" + urlencode({"q": rng.choice(["llama", "qwen 7", "", junk(rng)])}),
    ]


def share(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """POST /r/ as the site's pages do (or from elsewhere), then open the snapshot and its image."""
    kind = rng.choice(["estimate", "estimate", "what-runs", "what-hardware", junk(rng)[:30]])
    query = {
        "what-runs": what_runs_query,
        "what-hardware": what_hardware_query,
    }.get(kind, calculator_query)(rng, catalog)
    if rng.random() < 0.15:
        query = rng.choice([junk(rng), query + "&ctx=" + junk(rng), query * rng.randint(2, 200)])
    origin = rng.choice([client.origin] * 6 + ["https://evil.example", "null", ""])
    headers = (("Origin", origin),) if origin else ()
    reply = client.post_form("share", "/r/", [("q", query), ("kind", kind)], headers=headers)
    location = reply.headers.get("Location", "") if reply.headers else ""
    if match := re.fullmatch(r"/r/([\w-]+)", location):
        client.snapshots.append(match.group(1))
        client.send("snapshot", "GET", location)
        client.send("snapshot", "GET", f"{location}/og.png")


ROCM_FIELDS = ["Card series", "Card model", "Card vendor", "VRAM Total Memory (B)", "GFX Version"]


def rig_paste(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """POST /rig/ with a tool's output, as a visitor pastes it or damaged: nvidia-smi's table and CSV, rocm-smi's
    text, CSV and JSON (values as text, numbers, null, cut short), macOS's system_profiler, junk."""
    value = lambda: rng.choice([junk(rng)[:40], "25753026560", "0x744c", "Navi 31 [Radeon RX 7900 XTX]", ""])  # noqa: E731
    kind = rng.choice(["nvidia", "nvidia-csv", "rocm", "rocm-csv", "rocm-json", "mac", "junk"])
    if kind == "nvidia":
        paste = f"|   0  NVIDIA GeForce RTX {rng.choice(['3090', '4090', junk(rng)[:20]])}   Off |\n|  0%   41C  P2  115W /  {value()}W |   22598MiB /  {value()}MiB |"
    elif kind == "nvidia-csv":
        paste = "name, memory.total [MiB]\n" + "\n".join(
            f"NVIDIA GeForce RTX 4090, {value()} MiB" for _ in range(rng.randint(0, 4))
        )
    elif kind == "rocm":
        paste = "\n".join(
            f"GPU[{rng.randint(0, 3)}]          : {rng.choice(ROCM_FIELDS)}:  {value()}"
            for _ in range(rng.randint(1, 8))
        )
    elif kind == "rocm-csv":
        cells = lambda: ",".join(value().replace(",", " ") for _ in range(rng.randint(0, 6)))  # noqa: E731
        paste = (
            "device,"
            + ",".join(ROCM_FIELDS)
            + "\n"
            + "\n".join(f"card{i},{cells()}" for i in range(rng.randint(0, 3)))
        )
    elif kind == "rocm-json":
        pick = lambda: rng.choice([value(), rng.randint(-(10**20), 10**20), None, 1.5, [], {}])  # noqa: E731
        paste = json.dumps(
            {f"card{i}": {k: pick() for k in rng.sample(ROCM_FIELDS, 3)} for i in range(rng.randint(0, 3))}
        )
        paste = paste[: rng.randint(1, len(paste))] if rng.random() < 0.2 else paste
    elif kind == "mac":
        paste = f"Chipset Model: Apple M{rng.randint(1, 5)} {rng.choice(['Max', 'Pro', 'Ultra', junk(rng)[:10]])}\nTotal Number of Cores: {value()}\nMemory: {value()} GB"
    else:
        paste = junk(rng)
    fields = [("rig", paste), *parse_qsl(calculator_query(rng, catalog))]
    client.post_form("rig", "/rig/", fields, headers=_maybe_htmx(rng))


# --- Pages added after the first fuzz: images, diffusion models, costs, submissions, error pages ---------


def _or_junk(rng: random.Random, value: str) -> str:
    """The valid value three times in four, else junk."""
    return value if rng.random() < 0.75 else junk(rng)


def _spoiled(rng: random.Random, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The fields as given three times in four, else with one value made junk."""
    if pairs and rng.random() < 0.25:
        i = rng.randrange(len(pairs))
        pairs = [*pairs[:i], (pairs[i][0], junk(rng)), *pairs[i + 1 :]]
    return pairs


def _method(rng: random.Random, allowed: str = "GET") -> str:
    """The page's own method, or (one time in ten) a wrong one."""
    return allowed if rng.random() < 0.9 else rng.choice([m for m in ["GET", *METHODS] if m != allowed])


DIFFUSION = [m["slug"] for m in json.loads((ROOT / "fixtures/catalog/diffusion_models.json").read_text())]
BUYERS_GUIDES = re.findall(r'Guide\(\s*"([a-z0-9-]+)"', (ROOT / "costs" / "guides.py").read_text())
ERRORS = sorted(p.stem for p in (ROOT / "content" / "errors").glob("*.md"))


def chart(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """/chart.svg: a result's context or users chart, for a calculator question."""
    pairs = [("chart", rng.choice(["context", "users"]))] if rng.random() < 0.95 else []
    pairs = _spoiled(rng, pairs + parse_qsl(calculator_query(rng, catalog)))
    client.send("chart", _method(rng), "/chart.svg?" + urlencode(pairs))


def diffusion(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """An image or video model: its address (/image-models/<slug>/, a redirect), the calculator asked about
    it (DiffusionForm's fields, HTMX partials too), the model picker's options and the API's listing."""
    gpu, _ = rng.choice(catalog.gpus)
    pairs = [("gpu", gpu)] if rng.random() < 0.8 else []
    values = {
        "quant": lambda: rng.choice(["", "bf16", "fp8", "q8_0", "q4_k_m", "nf4"]),
        "count": lambda: str(rng.choice([1, 1, 2, 4, 8])),
        "ram_gb": lambda: str(rng.choice([16, 32, 64, 128])),
        "width": lambda: str(rng.choice([512, 768, 1024, 1536, 2048])),
        "height": lambda: str(rng.choice([512, 768, 1024, 1536, 2048])),
        "steps": lambda: str(rng.choice([1, 4, 20, 28, 50])),
        "frames": lambda: str(rng.choice([1, 25, 49, 121])),
    }
    for name in rng.sample(list(values), rng.randint(0, len(values))):
        pairs.append((name, values[name]()))
    model, pairs = rng.choice(DIFFUSION), _spoiled(rng, pairs)
    model = model if rng.random() < 0.9 else junk(rng)
    roll = rng.random()
    if roll < 0.35:
        path = f"/image-models/{quote(model, safe='')}/?" + urlencode(pairs)
        client.send("diffusion", _method(rng), path)
    elif roll < 0.75:
        query = urlencode([("model", model), *pairs])
        client.send("diffusion", _method(rng), f"/?{query}", headers=_maybe_htmx(rng))
    elif roll < 0.9:
        q = rng.choice(["", "flux", "video", "stable diffusion", "llama", junk(rng)])
        client.send("diffusion", _method(rng), "/models/pick/all/?" + urlencode({"q": q}))
    else:
        params = [("q", _or_junk(rng, rng.choice(["flux", "video", ""]))), ("listed", rng.choice(["1", "x"]))]
        client.send("diffusion", _method(rng), "/api/v1/diffusion-models?" + urlencode(params))


def costs(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """/cost/ (a calculator question and the cost form's fields), /choose/ and the buyer guides."""
    roll = rng.random()
    if roll < 0.4:
        values = {
            "lifetime": lambda: rng.choice(["0.25", "3", "5", "15"]),
            "utilisation": lambda: rng.choice(["0.01", "0.2", "1"]),
            "kwh": lambda: rng.choice(["0", "0.15", "0.4"]),
            "tokens_per_day": lambda: rng.choice(["1000", "1000000", "100000000"]),
            "condition": lambda: rng.choice(["", "new", "used"]),
            "rent": lambda: "",
        }
        pairs = _spoiled(rng, [(n, values[n]()) for n in rng.sample(list(values), rng.randint(0, 4))])
        query = (calculator_query(rng, catalog) if rng.random() < 0.9 else _question(rng, catalog)) + "&"
        client.send("costs", _method(rng), f"/cost/?{query}{urlencode(pairs)}", headers=_maybe_htmx(rng))
    elif roll < 0.8:
        models = [rng.choice(catalog.models)[0] for _ in range(rng.randint(0, 5))]
        values = {
            "budget": lambda: rng.choice(["500", "2500", "10000", "10000000"]),
            "size": lambda: rng.choice(["", "8b", "14b", "32b", "70b"]),
            "quant": lambda: rng.choice(catalog.listed_quants),
            "ctx": lambda: str(rng.choice([2048, 8192, 32768, 131072])),
            "tok_s": lambda: rng.choice(["0", "10", "30", "100"]),
            "condition": lambda: rng.choice(["", "new", "used"]),
            "sort": lambda: rng.choice(["price", "value", "headroom"]),
        }
        pairs = [("model", m) for m in models]
        pairs += [(n, values[n]()) for n in rng.sample(list(values), rng.randint(0, len(values)))]
        pairs = _spoiled(rng, pairs)
        client.send("costs", _method(rng), "/choose/?" + urlencode(pairs), headers=_maybe_htmx(rng))
    else:
        slug = quote(_or_junk(rng, rng.choice(BUYERS_GUIDES)), safe="")
        client.send("costs", _method(rng), rng.choice(["/buyers-guides/", f"/buyers-guides/{slug}/"]))


def submit(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """/measurements/submit/: the form filled in from a question (GET), or a visitor's paste posted from
    the page (valid, damaged or junk; the honeypot filled now and then; from elsewhere sometimes)."""
    model, _ = rng.choice(catalog.models)
    gpu, _ = rng.choice(catalog.gpus)
    fields = _spoiled(
        rng,
        [
            ("model", rng.choice([model, *["llama-2-7b"] * 3])),  # the paste's model, mostly
            ("quant", rng.choice(["", "q4_0", "q4_0", rng.choice(catalog.quants)])),
            ("gpu", rng.choice(["", "geforce-rtx-3090-ti", gpu])),
            ("count", rng.choice(["", "", "1", "2"])),
            ("runtime", rng.choice(["", "llama.cpp", "ollama"])),
        ],
    )
    if rng.random() < 0.3:
        query = urlencode(rng.sample(fields, rng.randint(0, len(fields))) + [("sent", _or_junk(rng, "2"))])
        client.send("submit", _method(rng), f"/measurements/submit/?{query}")
        return
    paste = BENCH_PASTE
    if rng.random() < 0.25:
        cut = rng.randint(0, len(paste))
        paste = rng.choice([junk(rng), paste[:cut], paste[:cut] + junk(rng) + paste[cut:], paste * 40])
    fields.append(("paste", paste))
    if rng.random() < 0.05:
        fields.append(("website", "https://spam.example"))
    origin = rng.choice([client.origin] * 8 + ["https://evil.example", ""])
    headers = (("Origin", origin),) if origin else ()
    if rng.random() < 0.1:
        client.send("submit", rng.choice(METHODS), "/measurements/submit/", body=b"x=1", headers=headers)
        return
    client.post_form("submit", "/measurements/submit/", rng.sample(fields, len(fields)), headers=headers)


# A llama-bench table as visitors paste it (tests/community/test_parse.py BENCH_NKVO, llama.cpp PR 4812)
BENCH_PASTE = """\
  Device 0: NVIDIA GeForce RTX 3090 Ti, compute capability 8.6, VMM: yes
| model                          |       size |     params | backend    | ngl | test       |              t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ---------- | ---------------: |
| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 | pp 512     | 4035.47 ± 157.68 |
| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 | tg 128     |    127.43 ± 0.18 |

build: 32d9f7d9 (1786)
"""


def errors(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """The error pages (/errors/ and /errors/<slug>/) and the API's docs page (/api/)."""
    slug = quote(_or_junk(rng, rng.choice(ERRORS))[:80], safe="")
    path = rng.choice(["/errors/", f"/errors/{slug}/", f"/errors/{slug}/", "/api/"])
    client.send("errors", _method(rng), path, body=b"x=1")


GUIDES = sorted(p.stem for p in (ROOT / "content" / "guides").glob("*.md"))
# group -> share of the requests
GROUPS = {
    "page": 0.12,
    "malformed": 0.06,
    "og": 0.05,
    "compare": 0.03,
    "reverse": 0.08,
    "hardware-row": 0.01,
    "own-model": 0.07,
    "share": 0.04,
    "snapshot": 0.03,
    "api": 0.13,
    "catalog": 0.10,
    "content": 0.06,
    "other": 0.03,
    "rig": 0.02,
    "admin": 0.17,
    "chart": 0.01,
    "diffusion": 0.02,
    "costs": 0.02,
    "submit": 0.01,
    "errors": 0.01,
}
EXTRA = {"chart": chart, "diffusion": diffusion, "costs": costs, "submit": submit, "errors": errors}


def run(client: Client, catalog: Catalog, models: list[AdminModel], *, seed: int, concurrency: int) -> None:
    """Generate and send until the client has sent its total; job i draws from Random(f"{seed}:{i}")."""
    jobs = itertools.count()
    groups, weights = list(GROUPS), list(GROUPS.values())

    def worker():
        while not client.done:
            rng = random.Random(f"{seed}:{next(jobs)}")
            group = rng.choices(groups, weights)[0]
            if group == "admin":
                admin_request(client, rng, models)
            elif group == "rig":
                rig_paste(client, rng, catalog)
            elif group in EXTRA:
                EXTRA[group](client, rng, catalog)
            else:
                public_request(client, rng, catalog, group)

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()


# --- Report --------------------------------------------------------------------------------------------


def server_times(log: Path, offset: int) -> dict[str, tuple[int, float]]:
    """request id -> (status, server ms), from the site's JSON request lines."""
    found = {}
    with open(log, "rb") as lines:
        lines.seek(offset)
        for line in lines:
            if line.startswith(b'{"request_id": "f'):
                record = json.loads(line)
                found[record["request_id"]] = (record["status"], record["ms"])
    return found


def report(client: Client, logged: dict, traces: list[str], *, slow_s: float, seconds: float) -> int:
    rows, failures, slow, unanswered = {}, [], [], []
    for request_id, sent in client.sent.items():
        status, ms = logged.get(request_id, (sent.status, None))
        rows.setdefault(sent.group, []).append((status, ms if ms is not None else sent.seconds * 1000))
        if status >= 500 or sent.status >= 500:
            failures.append((sent, status))
        if (ms or 0) > slow_s * 1000 or (ms is None and sent.seconds > slow_s):
            slow.append((sent, ms))
        if sent.status == 0:
            unanswered.append(sent)
    print(f"\n{len(client.sent):,} requests in {seconds:.0f} s ({len(client.sent) / seconds:.0f}/s)\n")
    print("| group | requests | statuses | server ms p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    for group, values in sorted(rows.items(), key=lambda item: -len(item[1])):
        ms = sorted(v for _, v in values)
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(Counter(s for s, _ in values).items()))
        pct = [ms[min(len(ms) - 1, int(len(ms) * p))] for p in (0.5, 0.95, 0.99)]
        print(
            f"| {group} | {len(values):,} | {statuses} | {pct[0]:.1f} | {pct[1]:.1f} | {pct[2]:.1f} | {ms[-1]:.0f} |"
        )
    print(f"\n5xx: {len(failures)}")
    for sent, status in failures:
        print(f"  {status} {sent.method} {sent.url[:400]}")
    print(f"over {slow_s:g} s: {len(slow)}")
    for sent, ms in sorted(slow, key=lambda s: -(s[1] or s[0].seconds * 1000)):
        shown = (
            f"{ms:.0f} ms server" if ms is not None else f"{sent.seconds * 1000:.0f} ms client, not logged"
        )
        print(f"  {shown}: {sent.method} {sent.url[:400]}")
    logged_out = [s for s in client.sent.values() if s.location.startswith("/admin/login/")]
    if logged_out:
        print(f"admin requests sent to the login page (the session was lost): {len(logged_out)}")
    print(f"no answer (connection failed): {len(unanswered)}")
    for sent in unanswered[:20]:
        print(f"  {sent.method} {sent.url[:300]}: {sent.error}")
    distinct = {}
    for trace in traces:
        last = trace.strip().splitlines()[-1]
        distinct.setdefault((trace.splitlines()[0][:200], last), trace)
    print(f"\nserver tracebacks: {len(traces)}, {len(distinct)} distinct (path, exception)")
    for trace in distinct.values():
        print(trace)
    return 1 if failures or slow or unanswered else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=20_000, help="requests to send (20,000)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight (default 2)")
    parser.add_argument("--slow", type=float, default=1.0, help="seconds that count as slow (default 1)")
    add_server_arguments(parser, port=18081, database="wir_fuzz")
    args = parser.parse_args()
    catalog = Catalog.from_fixtures()
    password = {"DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD}
    with serve(args) as server:
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--no-input", "--username", ADMIN_USER]
            + ["--email", "fuzz@example.com"],
            cwd=ROOT,
            env={**server.env, **password},
            check=False,  # already there on a kept database
            capture_output=True,
        )
        client = Client(server.base, args.requests)
        offset = server.error_log.stat().st_size
        login(client)
        models = discover_admin(client)
        print(
            f"gunicorn: {server.workers} workers; {args.concurrency} clients; admin: {len(models)} changelists, "
            f"{sum(len(m.objects) for m in models)} rows; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        rss_before, started = worker_rss_mb(server.pid), time.monotonic()
        run(client, catalog, models, seed=args.seed, concurrency=args.concurrency)
        seconds, rss_after = time.monotonic() - started, worker_rss_mb(server.pid)
        time.sleep(1)  # the last log lines
        logged = server_times(server.error_log, offset)
        traces = tracebacks(server.error_log, offset)
    status = report(client, logged, traces, slow_s=args.slow, seconds=seconds)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    print(
        "worker RSS MB, before -> after: "
        + ", ".join(
            f"{rss_before.get(p, 0):.0f} -> {rss_after.get(p, 0):.0f}" for p in sorted(rss_before | rss_after)
        )
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
