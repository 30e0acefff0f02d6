import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.fitting import ENGINE_RUNTIME
from catalog.models import DiffusionModel, Gpu, Interconnect, KvCacheType, RamPreset, Runtime
from estimator import KV_BYTES_PER_ELEMENT, DiffusionWorkload, Workload, estimate_diffusion
from tests.conftest import GIB, make_gpu, make_llm

pytestmark = pytest.mark.django_db


def test_every_table_is_loaded_with_the_slugs_the_calculator_uses(catalog):
    assert set(KvCacheType.objects.values_list("slug", flat=True)) == {"f16", "bf16", "q8_0", "q4_0", "fp8"}
    assert {"pcie-3-x16", "pcie-4-x16", "pcie-5-x8", "nvlink-3090", "nvlink-a100", "nvlink-h100",
            "ethernet-1g", "ethernet-10g", "ethernet-25g", "ethernet-100g", "thunderbolt-4", "thunderbolt-5",
            "infiniband-ndr"} <= set(Interconnect.objects.values_list("slug", flat=True))  # fmt: skip
    assert set(Runtime.objects.values_list("slug", flat=True)) == {
        "llama-cpp", "ollama", "vllm", "sglang", "mlx", "lm-studio", "exllamav2", "tensorrt-llm"
    }  # fmt: skip
    assert RamPreset.objects.count() == 8
    assert {"stable-diffusion-1-5", "stable-diffusion-xl", "stable-diffusion-3-5-large", "flux-1-dev",
            "wan-2-1-t2v-14b", "hunyuanvideo"} <= set(DiffusionModel.objects.values_list("slug", flat=True))  # fmt: skip


def test_kv_cache_types_match_the_engine_and_make_a_workload(catalog):
    for kv in KvCacheType.objects.all():
        assert kv.bytes_per_element == KV_BYTES_PER_ELEMENT[kv.slug]
        assert Workload(**kv.workload_fields()).kv_bytes_per_element == kv.bytes_per_element


def test_a_gpu_link_and_a_network_become_workload_fields(catalog):
    nvlink = Workload(**Interconnect.objects.get(slug="nvlink-3090").workload_fields())
    assert (nvlink.link_gb_s, nvlink.nvlink) == (56.25, True)
    pcie = Workload(**Interconnect.objects.get(slug="pcie-4-x16").workload_fields())
    assert (pcie.link_gb_s, pcie.nvlink) == (31.5, False)
    ethernet = Workload(**Interconnect.objects.get(slug="ethernet-10g").workload_fields())
    assert ethernet.network_gb_s == 1.25
    assert (
        Workload(**RamPreset.objects.get(slug="ddr5-4800-2ch").workload_fields()).ram_bandwidth_gb_s == 76.8
    )


def test_runtimes_name_only_known_kv_cache_types_and_the_calculators_are_rows(catalog):
    known = set(KvCacheType.objects.values_list("slug", flat=True))
    for runtime in Runtime.objects.all():
        assert set(runtime.kv_cache_types) <= known, runtime.slug
    assert set(ENGINE_RUNTIME) <= set(Runtime.objects.values_list("slug", flat=True))
    for engine in ENGINE_RUNTIME.values():
        Workload(runtime=engine)


def test_diffusion_model_becomes_an_engine_spec_that_estimates(catalog):
    flux = DiffusionModel.objects.get(slug="flux-1-dev")
    spec = flux.as_spec()
    assert spec.denoiser.params_b == 12.0
    assert {c.role for c in spec.components} == {"denoiser", "text_encoder", "vae"}
    result = estimate_diffusion(
        model=spec, devices=[Gpu.objects.get(slug="geforce-rtx-4090").as_spec()], workload=DiffusionWorkload()
    )
    assert result.plans


def test_diffusion_components_of_unknown_size_are_left_out_of_the_spec(catalog):
    wan = DiffusionModel.objects.get(slug="wan-2-1-t2v-14b")
    assert [c.role for c in wan.as_spec().components] == ["denoiser", "text_encoder"]


def test_malformed_diffusion_components_are_rejected_with_the_reason():
    model = DiffusionModel(
        slug="x", name="X", components=[{"name": "UNet", "role": "unet", "params_b": 1, "dtype": "float16"}]
    )
    with pytest.raises(ValidationError, match="Component 1: role"):
        model.full_clean()


HYBRID = {
    "linear_attention_kind": "gated_delta_net",
    "linear_attention_layers": 24,
    "linear_num_key_heads": 16,
    "linear_num_value_heads": 32,
    "linear_key_head_dim": 128,
    "linear_value_head_dim": 128,
    "linear_conv_kernel_dim": 4,
}


@pytest.mark.parametrize(
    ("create", "constraint"),
    [
        (lambda: make_gpu(memory_bytes=0), "gpu_memory_positive"),
        (lambda: make_gpu(bandwidth_gb_s=0), "gpu_bandwidth_positive"),
        (lambda: make_gpu(gpu_memory_fraction=1.5), "gpu_memory_fraction_range"),
        (
            lambda: Interconnect.objects.create(slug="x", name="X", kind="pcie", bandwidth_gb_s=0),
            "interconnect_bandwidth_positive",
        ),
        (
            lambda: RamPreset.objects.create(
                slug="x", name="X", memory_type="ddr5", channels=2, transfer_rate_mt_s=4800, bandwidth_gb_s=0
            ),
            "ram_bandwidth_positive",
        ),
        (lambda: KvCacheType.objects.create(slug="x", name="X", bytes_per_element=0), "kv_bytes_range"),
        # a hybrid model written around the admin's clean(), as a fixture load does
        (lambda: make_llm(linear_attention_layers=24, linear_num_key_heads=16), "llm_linear_dims_given"),
        (lambda: make_llm(**HYBRID, sliding_window=4096, sliding_window_layers=8), "llm_linear_or_window"),
        (lambda: make_llm(**{**HYBRID, "linear_attention_kind": ""}), "llm_linear_kind_given"),
        (lambda: make_llm(linear_attention_kind="mamba1"), "llm_linear_kind_known"),
    ],
)
def test_database_refuses_rows_that_break_an_invariant(create, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        create()


def test_a_hybrid_model_with_its_dimensions_is_accepted():
    assert make_llm(**HYBRID).as_spec().linear_attention_layers == 24


def test_a_mamba2_hybrid_reaches_the_engine_as_one():
    # Granite 4.0-H Small's mixer in the linear fields: 1 group, state 128, 128 heads of 64, conv kernel 4
    dims = {"linear_num_key_heads": 1, "linear_key_head_dim": 128, "linear_num_value_heads": 128}
    llm = make_llm(**{**HYBRID, **dims, "linear_value_head_dim": 64, "linear_attention_kind": "mamba2"})
    assert llm.as_spec().linear_attention_kind == "mamba2"
    plain = make_llm(slug="plain")
    assert plain.as_spec().linear_attention_kind == "gated_delta_net"  # "" on a model without linear layers


def test_a_gpu_with_memory_is_accepted():
    assert make_gpu(memory_bytes=8 * GIB).memory_gib == 8
