"""The engine's per-device memory against the buffers llama.cpp printed in public logs
(bench/memory_accuracy.py, data in bench/data/llamacpp_memory.json): issue 4's target is 10% per GPU."""

import importlib.util
import json
from pathlib import Path

import pytest

from estimator import plans

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("memory_accuracy", ROOT / "bench" / "memory_accuracy.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
ROWS = json.loads(bench.DATA.read_text())["rows"]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_every_gpu_total_is_within_10_percent_of_llama_cpp(row):
    for est, meas in zip(bench.estimated(row), bench.measured(row), strict=True):
        assert sum(est.values()) == pytest.approx(sum(meas.values()), rel=0.10)
        assert est["kv"] == pytest.approx(meas["kv"], rel=0.10)  # KV cells × layers: no room for error


def test_every_row_names_its_source_and_keeps_its_log_lines():
    for row in ROWS:
        assert row["source"].startswith("https://github.com/"), row["id"]
        for device in row["devices"]:
            assert f"{device['weights_mib']:.2f}" in row["excerpt"], row["id"]


def test_n_cpu_moe_puts_that_many_layers_experts_in_ram():
    row = next(r for r in ROWS if r["experts_on_cpu"])
    model = bench.model_spec(row["model"])
    kw = {
        "model": model,
        "quant": bench.quant_spec(row["quant"]),
        "devices": bench.devices_for(row),
        "workload": bench.Workload(context_tokens=4096, ram_bytes=64 << 30),
    }
    everything = plans.expert_offload(**kw, cpu_moe_layers=model.num_hidden_layers)
    some = plans.expert_offload(**kw, cpu_moe_layers=8)
    as_needed = plans.expert_offload(**kw)
    in_ram = [next(d for d in p.devices if d.kind == "host").weights_bytes for p in (everything, some)]
    assert in_ram[0] > in_ram[1] > 0
    assert (everything.n_cpu_moe, some.n_cpu_moe) == (model.num_hidden_layers, 8)
    assert as_needed.n_cpu_moe == 0  # 41 GiB of GPU memory hold all of Qwen3-30B-A3B Q4_K_M


def test_n_cpu_moe_counts_layers_as_llama_cpp_does_dense_ones_included():
    model = bench.model_spec("deepseek-v3")  # layers 0-2 are dense: no experts to move
    kw = {
        "model": model,
        "quant": bench.quant_spec("q4_k_m"),
        "devices": [bench.DeviceSpec(slug="h200", name="H200", memory_bytes=141 << 30, bandwidth_gb_s=4800)]
        * 8,
        "workload": bench.Workload(context_tokens=4096, ram_bytes=512 << 30),
    }
    plan = plans.expert_offload(**kw, cpu_moe_layers=5)
    assert plan.n_cpu_moe == 5  # the experts of layers 3 and 4
    one, none = (plans.expert_offload(**kw, cpu_moe_layers=n) for n in (4, 3))
    assert none.n_cpu_moe == 0  # layers 0-2 have no experts to move
    ram = [next(d for d in p.devices if d.kind == "host").weights_bytes for p in (plan, one, none)]
    assert ram[0] - ram[2] == pytest.approx(2 * (ram[1] - ram[2]), rel=1e-9)  # beside the token embeddings
