"""Specs for the engine tests, from ../shared/reference/models.json (config.json fields of each model).

Builders take overrides, like `make_gpu(**overrides)` elsewhere in the test suite.
"""

from estimator import DeviceSpec, DiffusionComponent, DiffusionSpec, ModelSpec, QuantSpec, speed
from estimator.units import GIB


def llama_8b(**kw) -> ModelSpec:
    return ModelSpec(
        **{
            **{
                "slug": "llama-3.1-8b",
                "name": "Llama 3.1 8B",
                "hf_id": "meta-llama/Llama-3.1-8B-Instruct",
                "num_hidden_layers": 32,
                "hidden_size": 4096,
                "intermediate_size": 14336,
                "num_attention_heads": 32,
                "num_key_value_heads": 8,
                "head_dim": 128,
                "vocab_size": 128256,
                "total_params_b": 8.03,
                "max_position_embeddings": 131072,
            },
            **kw,
        }
    )


def llama_70b(**kw) -> ModelSpec:
    return ModelSpec(
        **{
            **{
                "slug": "llama-3.1-70b",
                "name": "Llama 3.1 70B",
                "hf_id": "meta-llama/Llama-3.1-70B-Instruct",
                "num_hidden_layers": 80,
                "hidden_size": 8192,
                "intermediate_size": 28672,
                "num_attention_heads": 64,
                "num_key_value_heads": 8,
                "head_dim": 128,
                "vocab_size": 128256,
                "total_params_b": 70.0,
                "max_position_embeddings": 131072,
            },
            **kw,
        }
    )


def deepseek_v3(**kw) -> ModelSpec:
    return ModelSpec(
        **{
            **{
                "slug": "deepseek-v3",
                "name": "DeepSeek-V3",
                "hf_id": "deepseek-ai/DeepSeek-V3",
                "num_hidden_layers": 61,
                "hidden_size": 7168,
                "intermediate_size": 18432,
                "num_attention_heads": 128,
                "num_key_value_heads": 128,
                "vocab_size": 129280,
                "total_params_b": 671.0,
                "active_params_b": 37.0,
                "max_position_embeddings": 163840,
                "num_experts": 256,
                "num_experts_per_tok": 8,
                "num_shared_experts": 1,
                "moe_intermediate_size": 2048,
                "first_k_dense_replace": 3,
                "kv_lora_rank": 512,
                "qk_rope_head_dim": 64,
                "q_lora_rank": 1536,
                "qk_nope_head_dim": 128,
                "v_head_dim": 128,
            },
            **kw,
        }
    )


def gemma3_27b(**kw) -> ModelSpec:
    # sliding_window_pattern 6: 5 local layers then 1 global → 62 layers hold 10 global, 52 local.
    return ModelSpec(
        **{
            **{
                "slug": "gemma-3-27b",
                "name": "Gemma 3 27B",
                "hf_id": "google/gemma-3-27b-it",
                "num_hidden_layers": 62,
                "hidden_size": 5376,
                "intermediate_size": 21504,
                "num_attention_heads": 32,
                "num_key_value_heads": 16,
                "head_dim": 128,
                "vocab_size": 262208,
                "tie_word_embeddings": True,
                "total_params_b": 27.0,
                "max_position_embeddings": 131072,
                "sliding_window": 1024,
                "sliding_window_layers": 52,
            },
            **kw,
        }
    )


def gemma2_9b(**kw) -> ModelSpec:
    return ModelSpec(
        **{
            **{
                "slug": "gemma-2-9b",
                "name": "Gemma 2 9B",
                "num_hidden_layers": 42,
                "hidden_size": 3584,
                "intermediate_size": 14336,
                "num_attention_heads": 16,
                "num_key_value_heads": 8,
                "head_dim": 256,
                "vocab_size": 256000,
                "tie_word_embeddings": True,
                "total_params_b": 9.0,
                "max_position_embeddings": 8192,
                "sliding_window": 4096,
                "sliding_window_layers": 21,
            },
            **kw,
        }
    )


def gpt_oss_120b(**kw) -> ModelSpec:
    # 36 layers alternating sliding (window 128) and full attention; expert FFN width = intermediate_size.
    return ModelSpec(
        **{
            **{
                "slug": "gpt-oss-120b",
                "name": "gpt-oss-120b",
                "hf_id": "openai/gpt-oss-120b",
                "num_hidden_layers": 36,
                "hidden_size": 2880,
                "intermediate_size": 2880,
                "num_attention_heads": 64,
                "num_key_value_heads": 8,
                "head_dim": 64,
                "vocab_size": 201088,
                "total_params_b": 117.0,
                "active_params_b": 5.1,
                "max_position_embeddings": 131072,
                "num_experts": 128,
                "num_experts_per_tok": 4,
                "num_shared_experts": 0,
                "sliding_window": 128,
                "sliding_window_layers": 18,
            },
            **kw,
        }
    )


def gpt_oss_20b(**kw) -> ModelSpec:
    # 24 layers alternating sliding (window 128) and full attention: 12 of each (fixtures/catalog/llms.json).
    return gpt_oss_120b(
        **{
            **{
                "slug": "gpt-oss-20b",
                "name": "gpt-oss-20b",
                "hf_id": "openai/gpt-oss-20b",
                "num_hidden_layers": 24,
                "moe_intermediate_size": 2880,
                "total_params_b": 20.9,
                "active_params_b": 3.6,
                "num_experts": 32,
                "sliding_window_layers": 12,
            },
            **kw,
        }
    )


def quant(slug: str = "q4_k_m", bits: float = 4.8944, **kw) -> QuantSpec:
    return QuantSpec(slug=slug, name=slug.upper(), bits_per_weight=bits, **kw)


F16 = QuantSpec(slug="f16", name="F16", bits_per_weight=16.0)
Q8_0 = QuantSpec(slug="q8_0", name="Q8_0", bits_per_weight=8.5008)
Q6_K = QuantSpec(slug="q6_k", name="Q6_K", bits_per_weight=6.5633)
Q4_K_M = QuantSpec(slug="q4_k_m", name="Q4_K_M", bits_per_weight=4.8944)
Q2_K = QuantSpec(slug="q2_k", name="Q2_K", bits_per_weight=3.1593)
AWQ = QuantSpec(slug="awq", name="AWQ 4-bit", bits_per_weight=4.15625, format="awq")
# gpt-oss as released: MXFP4 experts (17 bytes per 32 weights), BF16 everything else.
MXFP4 = QuantSpec(slug="mxfp4", name="MXFP4", bits_per_weight=16.0, expert_bits_per_weight=4.25)


def llama_7b_q4_0_stage(**device) -> speed.Stage:
    """LLaMA 7B Q4_0 (6.61 G weights, 3.75 GB, 32 layers: the llama-bench rows of llama.cpp's PRs) as one
    device's decode stage; `device`: its bandwidth, backend, rates and kernel fields."""
    return speed.Stage(
        layers=32,
        dense_bytes=3.75e9,
        routed_bytes=0.0,
        experts=0,
        experts_per_tok=0,
        active_params=6.61e9,
        fmt="legacy",
        **device,
    )


def make_gpu(**kw) -> DeviceSpec:
    return DeviceSpec(
        **{
            **{
                "slug": "rtx-4090",
                "name": "RTX 4090",
                "memory_bytes": 24 * GIB,
                "bandwidth_gb_s": 1008,
                "fp16_tflops": 165.2,
            },
            **kw,
        }
    )


RTX_4090 = make_gpu()
RTX_3090 = make_gpu(slug="rtx-3090", name="RTX 3090", bandwidth_gb_s=936, fp16_tflops=71.0)
RTX_3060 = make_gpu(slug="rtx-3060", name="RTX 3060", memory_bytes=12 * GIB, bandwidth_gb_s=360)
A100_80 = make_gpu(
    slug="a100-80gb", name="A100 80GB", memory_bytes=80 * GIB, bandwidth_gb_s=2039, fp16_tflops=312.0
)
H100_SXM = make_gpu(
    slug="h100-sxm5-80-gb",
    name="H100 SXM5 80 GB",
    memory_bytes=80 * GIB,
    bandwidth_gb_s=3350,
    fp16_tflops=989.4,
    form_factor="datacenter",
    architecture="Hopper",
    nvlink=True,
)


def flux_dev() -> DiffusionSpec:
    # FLUX.1-dev: 12B transformer, T5-XXL encoder 4.76B, CLIP-L 123M, VAE 84M, all bf16.
    return DiffusionSpec(
        slug="flux-1-dev",
        name="FLUX.1-dev",
        components=(
            DiffusionComponent(name="transformer", params_b=11.9, bytes_per_param=2, role="denoiser"),
            DiffusionComponent(name="T5-XXL", params_b=4.76, bytes_per_param=2, role="text_encoder"),
            DiffusionComponent(name="CLIP-L", params_b=0.123, bytes_per_param=2, role="text_encoder"),
            DiffusionComponent(name="VAE", params_b=0.0838, bytes_per_param=2, role="vae"),
        ),
    )
