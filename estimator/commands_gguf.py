"""Making a GGUF nobody published: llama.cpp's own recipe from the model's own checkpoint, and when it
cannot work.

Where no GGUF of the chosen format is published, the launch commands download the model's own
Hugging Face checkpoint (`ModelSpec.hf_id`), convert it with llama.cpp's `convert_hf_to_gguf.py` and
quantize it with `llama-quantize`, as tools/quantize/README.md shows (ggml-org/llama.cpp at
311c2c9f0ebd6e08f5b20e8827c654cebb7a41d6: `python3 convert_hf_to_gguf.py ./models/mymodel/`, then
`./llama-quantize <in.gguf> <out.gguf> Q4_K_M`). Every argument is the tools' own:

- convert_hf_to_gguf.py parse_args() at 0024aa7417efd50a7c2a79e049dfbbbceb0beaaf: the model directory
  (positional), --outfile, --outtype {f32,f16,bf16,q8_0,tq1_0,tq2_0,auto}.
- tools/quantize/quantize.cpp at 03161a4eb9a2ec66ef97789f347c5a28279f06ea: `model-f32.gguf
  [model-quant.gguf] type [nthreads]`, the types of QUANT_OPTIONS (QUANTIZE_TYPES below).

A conversion works only when the converter reads the model: `ModelBase.register(...)` names the
Hugging Face `architectures` it converts (CONVERTER_ARCHITECTURES, the text models registered in
convert_hf_to_gguf.py at 0024aa74); its `dequant_model()` reads 16/32-bit weights and dequantizes
FP8 (`quant_method` "fp8"), GPTQ and compressed-tensors (Kimi K2.5's INT4) checkpoints, while
GptOssModel keeps an MXFP4 checkpoint's experts as they are (so nothing else is made from it).
I-quants are left out: tools/quantize/README.md calls an importance matrix (llama-imatrix) highly
recommended for them and this site does not make one.
"""

from .memory import weights_bytes
from .schema import ArtifactSpec, ModelSpec, QuantSpec, Reason

CONVERTER_COMMIT = "0024aa7417efd50a7c2a79e049dfbbbceb0beaaf"
CONVERTER = f"convert_hf_to_gguf.py at {CONVERTER_COMMIT[:8]}"
# Text-model architectures `ModelBase.register` names in convert_hf_to_gguf.py at CONVERTER_COMMIT
# (those of the catalog's families; vision projectors, registered as MMPROJ, are not text models).
CONVERTER_ARCHITECTURES = frozenset(
    {
        "BailingMoeV2ForCausalLM",
        "CohereForCausalLM",
        "DeepseekForCausalLM",
        "DeepseekV2ForCausalLM",
        "DeepseekV3ForCausalLM",
        "Ernie4_5_MoeForCausalLM",
        "Exaone4ForCausalLM",
        "Gemma2ForCausalLM",
        "Gemma3ForCausalLM",
        "Gemma3ForConditionalGeneration",
        "GemmaForCausalLM",
        "Glm4ForCausalLM",
        "Glm4MoeForCausalLM",
        "Glm4MoeLiteForCausalLM",
        "GlmMoeDsaForCausalLM",
        "GptOssForCausalLM",
        "GraniteForCausalLM",
        "GraniteMoeHybridForCausalLM",
        "HunYuanMoEV1ForCausalLM",
        "InternLM2ForCausalLM",
        "KimiK25ForConditionalGeneration",
        "Llama4ForConditionalGeneration",
        "LlamaForCausalLM",
        "MiniCPMForCausalLM",
        "MiniMaxM2ForCausalLM",
        "Mistral3ForConditionalGeneration",
        "MistralForCausalLM",
        "MixtralForCausalLM",
        "Olmo2ForCausalLM",
        "Phi3ForCausalLM",
        "Qwen2ForCausalLM",
        "Qwen2MoeForCausalLM",
        "Qwen3ForCausalLM",
        "Qwen3MoeForCausalLM",
        "Qwen3NextForCausalLM",
        "Qwen3VLForConditionalGeneration",
        "Qwen3VLMoeForConditionalGeneration",
        "Qwen3_5ForConditionalGeneration",
        "Qwen3_5MoeForConditionalGeneration",
        "SmolLM3ForCausalLM",
        "StableLmForCausalLM",
    }
)
# The `architectures` of each listed model no GGUF of which is published (a published GGUF shows the
# converter reads the model already), read in the config.json its catalog row cites
# (fixtures/catalog/llms.json `source`): ai-dynamo/aiconfigurator model_configs, mlc-ai/mlc-llm
# model_preset.py MODEL_PRESETS, inference-sim/inference-sim model_configs, citsjtu2020/LLM-Prof
# sglang/Model_Config.md, dotnet/machinelearning Microsoft.ML.GenAI.Phi configs, AI-Hypercomputer/maxtext
# hf_model_configs.py (Hy3, Qwen3-30B-A3B-Base), daniel-p-green/alain-ai-learning-platform's copies
# (dolphin, Ling-flash-2.0) and the single copies cited (fetchwiki cogito, his0si EXAONE-4.0-1.2B,
# tianyu1412 Hunyuan-A13B, MatthewGoldsberry Llama-3.2-1B, OpenMOSE llm-jp and reka-flash-3); Qwen3-Next and
# Qwen3.5 in their Hugging Face config.json (Qwen3NextModel, `Qwen3_5TextModel` and `Qwen3_5MoeTextModel`,
# registered for "Qwen3_5ForConditionalGeneration" and "Qwen3_5MoeForConditionalGeneration", are in
# convert_hf_to_gguf.py at 0024aa74); the Qwen3.5 MoE models in alibaba/InferSim's copies (hf_configs/); Granite
# 4.0-H in transcriptions of its config.json (GraniteHybridModel, registered for "GraniteMoeHybridForCausalLM",
# is in convert_hf_to_gguf.py at 0024aa74). The base models whose only published weights are their Instruct
# fine-tunes' (variants, which the commands do not name): Mistral-Nemo-Base-2407's in the
# kevinstephano/thunder_model_blocks AutoConfig dump its row cites (thunder_model_blocks/mistral/
# mistral_config.py at a23dd8fe), Mixtral-8x22B-v0.1's in xiaowanCN/aiconfigurator's copy (at 5f2e6bb0) of
# the aiconfigurator config its row cites. Mixtral 8x7B's and its Instruct's (model_type mixtral in the
# configs their rows cite): the only GGUFs listed, TheBloke's, hold the experts as llama.cpp no longer
# reads them and were left out (scripts/build_artifact_fixtures.py); a dump of
# Mixtral-8x7B-Instruct-v0.1's config in public code reads "architectures": ["MixtralForCausalLM"].
ARCHITECTURES = {
    "01-ai/Yi-34B": "LlamaForCausalLM",
    "allenai/OLMo-2-0325-32B-Instruct": "Olmo2ForCausalLM",
    "allenai/OLMo-2-1124-7B-Instruct": "Olmo2ForCausalLM",
    "codellama/CodeLlama-34b-Instruct-hf": "LlamaForCausalLM",
    "deepcogito/cogito-v1-preview-qwen-14B": "Qwen2ForCausalLM",
    "deepseek-ai/deepseek-moe-16b-chat": "DeepseekForCausalLM",
    "deepseek-ai/DeepSeek-V2-Lite": "DeepseekV2ForCausalLM",
    "deepseek-ai/DeepSeek-V3-0324": "DeepseekV3ForCausalLM",
    "deepseek-ai/DeepSeek-V3.1": "DeepseekV3ForCausalLM",
    "dphn/dolphin-2.9.1-yi-1.5-34b": "LlamaForCausalLM",
    "google/gemma-2-2b-jpn-it": "Gemma2ForCausalLM",
    "HuggingFaceTB/SmolLM2-360M-Instruct": "LlamaForCausalLM",
    "ibm-granite/granite-4.0-h-small": "GraniteMoeHybridForCausalLM",
    "inclusionAI/Ling-flash-2.0": "BailingMoeV2ForCausalLM",
    "internlm/internlm2_5-7b-chat": "InternLM2ForCausalLM",
    "LGAI-EXAONE/EXAONE-4.0-1.2B": "Exaone4ForCausalLM",
    "llm-jp/llm-jp-3-1.8b": "LlamaForCausalLM",
    "meta-llama/Llama-3.1-405B": "LlamaForCausalLM",
    "meta-llama/Llama-3.1-70B": "LlamaForCausalLM",
    "meta-llama/Llama-3.1-8B": "LlamaForCausalLM",
    "meta-llama/Llama-3.2-1B": "LlamaForCausalLM",
    "meta-llama/Llama-3.2-3B": "LlamaForCausalLM",
    "meta-models/Muse-Glimmer-30B": "MuseGlimmerForConditionalGeneration",
    "microsoft/Phi-3-medium-128k-instruct": "Phi3ForCausalLM",
    "microsoft/Phi-3-medium-4k-instruct": "Phi3ForCausalLM",
    "microsoft/Phi-3-mini-128k-instruct": "Phi3ForCausalLM",
    "MiniMaxAI/MiniMax-M2.5": "MiniMaxM2ForCausalLM",
    "MiniMaxAI/MiniMax-M2.7": "MiniMaxM2ForCausalLM",
    "MiniMaxAI/MiniMax-M3": "MiniMaxM3ForCausalLM",
    "mistralai/Mistral-Nemo-Base-2407": "MistralForCausalLM",
    "mistralai/Mixtral-8x22B-v0.1": "MixtralForCausalLM",
    "mistralai/Mixtral-8x7B-Instruct-v0.1": "MixtralForCausalLM",
    "mistralai/Mixtral-8x7B-v0.1": "MixtralForCausalLM",
    "moonshotai/Kimi-K2-Instruct": "DeepseekV3ForCausalLM",
    "moonshotai/Kimi-K2-Thinking": "DeepseekV3ForCausalLM",
    "moonshotai/Kimi-K2.5": "KimiK25ForConditionalGeneration",
    "moonshotai/Kimi-K2.6": "KimiK25ForConditionalGeneration",
    "moonshotai/Kimi-K2.7-Code": "KimiK25ForConditionalGeneration",
    "openbmb/MiniCPM-2B-sft-bf16": "MiniCPMForCausalLM",
    "openbmb/MiniCPM-MoE-8x2B": "MiniCPMForCausalLM",
    "poolside/Laguna-S-2.1": "LagunaForCausalLM",
    "poolside/Laguna-XS.2": "LagunaForCausalLM",
    "Qwen/Qwen2.5-1.5B": "Qwen2ForCausalLM",
    "Qwen/Qwen2.5-14B": "Qwen2ForCausalLM",
    "Qwen/Qwen2.5-32B": "Qwen2ForCausalLM",
    "Qwen/Qwen2.5-3B": "Qwen2ForCausalLM",
    "Qwen/Qwen2.5-72B": "Qwen2ForCausalLM",
    "Qwen/Qwen2.5-7B": "Qwen2ForCausalLM",
    "Qwen/Qwen3-30B-A3B-Base": "Qwen3MoeForCausalLM",
    "Qwen/Qwen3-Next-80B-A3B-Instruct": "Qwen3NextForCausalLM",
    "Qwen/Qwen3.5-122B-A10B": "Qwen3_5MoeForConditionalGeneration",
    "Qwen/Qwen3.5-27B": "Qwen3_5ForConditionalGeneration",
    "Qwen/Qwen3.5-35B-A3B": "Qwen3_5MoeForConditionalGeneration",
    "Qwen/Qwen3.5-9B": "Qwen3_5ForConditionalGeneration",
    "Qwen/Qwen3-VL-235B-A22B-Instruct": "Qwen3VLMoeForConditionalGeneration",
    "Qwen/Qwen3-VL-235B-A22B-Thinking": "Qwen3VLMoeForConditionalGeneration",
    "Qwen/Qwen3-VL-2B-Instruct": "Qwen3VLForConditionalGeneration",
    "Qwen/Qwen3-VL-30B-A3B-Instruct": "Qwen3VLMoeForConditionalGeneration",
    "Qwen/Qwen3-VL-32B-Instruct": "Qwen3VLForConditionalGeneration",
    "Qwen/Qwen3-VL-32B-Thinking": "Qwen3VLForConditionalGeneration",
    "Qwen/Qwen3-VL-4B-Instruct": "Qwen3VLForConditionalGeneration",
    "Qwen/Qwen3-VL-8B-Instruct": "Qwen3VLForConditionalGeneration",
    "RekaAI/reka-flash-3": "LlamaForCausalLM",
    "stabilityai/stablelm-2-zephyr-1_6b": "StableLmForCausalLM",
    "stepfun-ai/Step-3.7-Flash": "Step3p7FlashForCausalLM",
    "tencent/Hunyuan-A13B-Instruct": "HunYuanMoEV1ForCausalLM",
    "tencent/Hy3": "HYV3ForCausalLM",
    "XiaomiMiMo/MiMo-7B-Base": "MiMoForCausalLM",
    "zai-org/GLM-4.7": "Glm4MoeForCausalLM",
    "zai-org/GLM-4.7-Flash": "Glm4MoeLiteForCausalLM",
    "zai-org/GLM-5": "GlmMoeDsaForCausalLM",
    "zai-org/GLM-5.1": "GlmMoeDsaForCausalLM",
    "zai-org/GLM-5.2": "GlmMoeDsaForCausalLM",
    "zai-org/GLM-5.3": "GlmMoeDsaForCausalLM",
}
# llama-quantize's types (QUANT_OPTIONS in tools/quantize/quantize.cpp at 03161a4e), I-quants left out
QUANTIZE_TYPES = frozenset(
    {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q2_K_S", "Q3_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K"}
    | {"Q4_K_S", "Q4_K_M", "Q5_K", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0", "F16", "BF16", "F32"}
)
# --outtype of convert_hf_to_gguf.py for the formats it writes itself
OUTTYPES = {"f32": "f32", "f16": "f16", "bf16": "bf16"}
# Own checkpoints the converter reads: 16/32-bit safetensors, FP8 and INT4 it dequantizes. An MXFP4
# checkpoint (gpt-oss) keeps its MXFP4 experts: only the published MXFP4 GGUF is offered for it.
READABLE_KINDS = ("safetensors", "fp8")


def own_checkpoint(model: ModelSpec) -> ArtifactSpec | None:
    """The model maker's own Hugging Face checkpoint (the catalog artifact named by the model's hf_id)."""
    return next((a for a in model.artifacts if a.repo == model.hf_id and a.kind != "gguf"), None)


def conversion_blocker(model: ModelSpec, quant: QuantSpec) -> Reason | None:
    """Why no GGUF of this format can be made from the model's own checkpoint, or None when the recipe
    works. Each reason but `architecture_unsupported` says first that no GGUF of it is published."""
    names = {"quant": quant.name, "model": model.name}
    own = own_checkpoint(model)
    if not model.hf_id or own is None:
        return Reason(code="no_gguf_nor_checkpoint", values=names)
    if own.kind not in READABLE_KINDS:
        return Reason(
            code="checkpoint_kept_as_is", values={**names, "kind": own.kind, "converter": CONVERTER}
        )
    architecture = ARCHITECTURES.get(model.hf_id)
    published = any(a.kind == "gguf" and a.formats for a in model.artifacts)
    if architecture is None and not published:
        return Reason(code="architecture_unknown", values=names)
    if architecture is not None and architecture not in CONVERTER_ARCHITECTURES:
        values = {**names, "architecture": architecture, "converter": CONVERTER}
        return Reason(code="architecture_unsupported", values=values)
    if quant.slug.startswith("iq"):
        return Reason(code="needs_imatrix", values=names)
    if quant.slug not in OUTTYPES and quant.slug.upper() not in QUANTIZE_TYPES:
        return Reason(code="no_quantize_type", values=names)
    return None


# Copies of the weights a publisher's repository keeps beside its checkpoint, which the converter does not
# read: Meta's original/ (the consolidated .pth files), OpenAI's original/ and metal/ (gpt-oss-20b: 13.8 GB
# each beside the 13.8 GB checkpoint, https://discuss.huggingface.co/t/what-are-all-the-files-that-are-being-downloaded/173329).
# `hf download --exclude` (https://huggingface.co/docs/huggingface_hub/guides/cli) leaves them out.
SKIP_COPIES = "--exclude 'original/*' --exclude 'metal/*'"


def converted(model: ModelSpec, quant: QuantSpec, why: str | None = None) -> tuple[list[str], str]:
    """(the lines that make the GGUF from the model's own checkpoint, the path of the GGUF they write);
    call only when conversion_blocker() is None. `why` the published one does not do, if one is."""
    own = own_checkpoint(model)
    assert own is not None and conversion_blocker(model, quant) is None
    name = own.repo.split("/")[1]
    folder = f"models/{name}"
    outtype = OUTTYPES.get(quant.slug, "bf16")
    floats = f"{folder}-{outtype.upper()}.gguf"
    why = why or f"No published {quant.name} GGUF of {model.name} is known to this site"
    # the files it writes, beside the download (a visitor review: Kimi K2's 2 TB BF16 file went unsaid)
    made = [(quant.name, weights_bytes(model, quant))]
    if quant.slug not in OUTTYPES:  # the BF16 file first, two bytes a weight
        made.insert(0, ("BF16", model.total_params_b * 1e9 * 2))
    disk = " and ".join(f"the {name} file about {n / 1e9:,.0f} GB" for name, n in made)
    lines = [
        f"# {why}: make it from its own checkpoint with llama.cpp (from a llama.cpp checkout, after "
        "pip install -r requirements.txt)",
        f"# disk: {disk}, beside the download",
        f"hf download {own.repo} {SKIP_COPIES} --local-dir {folder}",
        f"python convert_hf_to_gguf.py {folder} --outtype {outtype} --outfile {floats}",
    ]
    if quant.slug in OUTTYPES:
        return lines, floats
    out = f"{folder}-{quant.slug.upper()}.gguf"
    lines.append(f"llama-quantize {floats} {out} {quant.slug.upper()}")
    return lines, out
