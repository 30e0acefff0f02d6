"""Model families whose config.json is not a Llama's, for catalog/config_json.py: the families it cannot size,
named (`unsupported`); the dimensions others write under their own keys, read into the transformers names
(`normalized`); and the layers that differ from a Llama's (`two_matrix_mlp`, `tied_by_default`,
`learned_positions`). Each family is known by its config's `model_type` (else its first architecture's name,
less the head: "BertModel" is "bert"), written without punctuation; a GGUF header's architecture is a
`model_type` too (catalog/gguf_config.py), under llama.cpp's names (src/llama-arch.cpp). No Django."""

import re

# Models that do not generate text. transformers' BertConfig and the like: an encoder alone (BertModel, a
# masked-LM head); T5Config, BartConfig...: `is_encoder_decoder` True; MambaConfig: a state-space model, sizes
# (state_size, expand, conv_kernel) but no attention. llama.cpp's names beside them.
ENCODERS = {
    "bert": "BERT",
    "roberta": "RoBERTa",
    "xlmroberta": "XLM-RoBERTa",
    "distilbert": "DistilBERT",
    "albert": "ALBERT",
    "electra": "ELECTRA",
    "deberta": "DeBERTa",
    "debertav2": "DeBERTa-v2",
    "modernbert": "ModernBERT",
    "mpnet": "MPNet",
    "camembert": "CamemBERT",
    "nomicbert": "Nomic BERT",
    "jinabertv2": "Jina BERT v2",
    "t5encoder": "T5's encoder",
}
ENCODER_DECODERS = {
    "t5": "T5",
    "mt5": "mT5",
    "umt5": "UMT5",
    "longt5": "LongT5",
    "bart": "BART",
    "mbart": "mBART",
    "pegasus": "Pegasus",
    "marian": "Marian",
    "m2m100": "M2M100",
    "switchtransformers": "Switch Transformers",
    "whisper": "Whisper",
    "t5gemma": "T5Gemma",
}
STATE_SPACE = {
    "mamba": "Mamba",
    "mamba2": "Mamba-2",
    "falconmamba": "Falcon Mamba",
    "rwkv": "RWKV",
    "rwkv6": "RWKV-6",
    "rwkv7": "RWKV-7",
}
# Families that write the dimensions under their own keys: transformers' FalconConfig (num_kv_heads; the
# RefinedWeb code before it, n_head_kv), MptConfig (d_model, n_heads, n_layers, expansion_ratio, max_seq_len),
# GPTBigCodeConfig (multi_query); THUDM's ChatGLMConfig (configuration_chatglm.py of THUDM/chatglm3-6b:
# padded_vocab_size, multi_query_group_num, kv_channels).
FALCON = {"falcon", "refinedweb", "refinedwebmodel", "rw"}
# Two matrices per MLP, up and down, not a gated MLP's gate, up and down (SwiGLU): transformers' GPT2MLP (c_fc,
# c_proj), GPTBigCodeMLP and Starcoder2MLP (c_fc, c_proj), GPTJMLP (fc_in, fc_out), GPTNeoMLP, GPTNeoXMLP,
# FalconMLP and BloomMLP (dense_h_to_4h, dense_4h_to_h), MptMLP (up_proj, down_proj), PhiMLP and OPT's decoder
# layer (fc1, fc2), CodeGenMLP (fc_in, fc_out); llama.cpp's "phi2", "starcoder" and "gptneox" are the same.
# Phi-3 (gate_up_proj) and ChatGLM (dense_h_to_4h of twice the width) are gated.
TWO_MATRIX_MLP = {
    "gpt2",
    "gptbigcode",
    "starcoder",
    "starcoder2",
    "gptj",
    "gptneo",
    "gptneox",
    "bloom",
    "mpt",
    "phi",
    "phi2",
    "opt",
    "codegen",
} | FALCON
# Families whose causal-LM class ties the output head to the token embedding and whose config leaves
# `tie_word_embeddings` at PretrainedConfig's default, True: their checkpoints hold one matrix (GPT-2's 124 M
# parameters count the embedding once); a config that says otherwise is read as it says.
TIED_BY_DEFAULT = {"gpt2", "gptbigcode", "starcoder", "gptneo", "bloom", "mpt", "opt"}
# A learned position embedding, a row per position (GPT2Model's wpe: n_positions × n_embd), beside the tokens'
LEARNED_POSITIONS = {"gpt2", "gptbigcode", "starcoder", "gptneo", "opt"}
HEADS = re.compile(r"(ForCausalLM|LMHeadModel|ForConditionalGeneration|ForMaskedLM|Model)$")


def family(config: dict) -> str:
    """The config's family: its model_type, else its first architecture less the head, without punctuation."""
    name = config.get("model_type")
    if not isinstance(name, str) or not name:
        architectures = config.get("architectures")
        first = architectures[0] if isinstance(architectures, list) and architectures else ""
        name = HEADS.sub("", first) if isinstance(first, str) else ""
    return _key(name)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def unsupported(config: dict) -> str | None:
    """Why this calculator cannot size the model, naming its family; None where it may."""
    name = family(config)
    if name in ENCODERS:
        return (
            f"{ENCODERS[name]} is an encoder; it does not generate text. This calculator sizes models that "
            "do: decoders such as Llama, Qwen or Mistral (…ForCausalLM)."
        )
    if name in ENCODER_DECODERS or config.get("is_encoder_decoder") is True:
        called = ENCODER_DECODERS.get(name) or str(config.get("model_type") or "This model")[:60]
        return (
            f"{called} is an encoder-decoder model; this calculator sizes decoder-only models such as Llama, "
            "Qwen or Mistral (…ForCausalLM)."
        )
    if name in STATE_SPACE:
        return (
            f"{STATE_SPACE[name]} is a state-space model, without attention layers: not sized here yet. Its "
            "hybrids with attention are (Granite 4.0-H, Bamba, Nemotron-H)."
        )
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def normalized(config: dict) -> dict:
    """The config with its family's own keys read into the transformers names the reader takes (a key the
    config already has under that name is kept as it is), its family as `model_type` where it had none."""
    name, out = family(config), dict(config)
    heads = (
        _int(config.get("num_attention_heads")) or _int(config.get("n_head")) or _int(config.get("n_heads"))
    )

    def put(key: str, value: object) -> None:
        if value is not None and key not in out:
            out[key] = value

    if name in FALCON:
        # FalconAttention: num_kv_heads with the new decoder architecture (Falcon-40B, 180B) or without
        # multi-query; one KV head under multi-query (Falcon-7B; FalconConfig's multi_query defaults to True).
        # The RefinedWeb code's n_head_kv is the new architecture's (transformers' falcon/
        # convert_custom_code_checkpoint.py sets new_decoder_architecture where a config has it).
        kv = _int(config.get("num_kv_heads")) or _int(config.get("n_head_kv")) or heads
        new = bool(config.get("new_decoder_architecture")) or "n_head_kv" in config
        multi_query = config.get("multi_query", True) is not False
        put("num_key_value_heads", kv if new or not multi_query else 1)
        put("hidden_size", _int(config.get("n_embed")))  # FalconConfig reads the RefinedWeb code's n_embed
    elif name == "gptbigcode" and config.get("multi_query", True) is not False:
        put("num_key_value_heads", 1)  # GPTBigCodeConfig: multi_query defaults to True (StarCoder)
    elif name == "mpt":
        d_model, ratio = _int(config.get("d_model")), config.get("expansion_ratio", 4)
        put("num_attention_heads", heads)
        put("num_hidden_layers", _int(config.get("n_layers")))
        put("max_position_embeddings", _int(config.get("max_seq_len")))
        if d_model and isinstance(ratio, int | float) and not isinstance(ratio, bool) and ratio > 0:
            put("intermediate_size", int(d_model * ratio))  # MptMLP: d_model → expansion_ratio × d_model
        put("num_key_value_heads", _mpt_kv_heads(config.get("attn_config"), heads))
    elif name == "chatglm":
        put("vocab_size", _int(config.get("padded_vocab_size")))
        put("head_dim", _int(config.get("kv_channels")))
        if config.get("multi_query_attention"):
            put("num_key_value_heads", _int(config.get("multi_query_group_num")))
    if name in TIED_BY_DEFAULT:
        put("tie_word_embeddings", True)
    if name:
        put("model_type", name)
    return out


def _mpt_kv_heads(attn_config: object, heads: int | None) -> int | None:
    """MPT's attention (mosaicml/llm-foundry, llmfoundry/models/layers/attention.py): multi-head unless
    `attn_type` is multi-query (one KV head) or grouped-query (`kv_n_heads`)."""
    if not isinstance(attn_config, dict):
        return None
    kind = attn_config.get("attn_type")
    if kind == "multiquery_attention":
        return 1
    if kind == "grouped_query_attention":
        return _int(attn_config.get("kv_n_heads"))
    return heads if kind == "multihead_attention" else None


def two_matrix_mlp(model_type: str) -> bool:
    return _key(model_type) in TWO_MATRIX_MLP


def tied_by_default(model_type: str) -> bool:
    return _key(model_type) in TIED_BY_DEFAULT


def learned_positions(model_type: str) -> bool:
    return _key(model_type) in LEARNED_POSITIONS
