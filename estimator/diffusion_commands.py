"""How to run a diffusion plan: ComfyUI's launch flags and the diffusers calls (each plan's own flag and
call are its row of `diffusion_strategies.DIFFUSION_STRATEGIES`).

ComfyUI's flags are those of comfy/cli_args.py (github:comfyanonymous/ComfyUI at 005d79c8;
tests/engine/test_diffusion_commands.py parses every command against that table). The diffusers calls
are the pipeline methods its documentation names: `pipe.to("cuda")`, `enable_model_cpu_offload()`,
`enable_sequential_cpu_offload()`, `device_map="balanced"` (components spread over the GPUs), and
`enable_layerwise_casting()` to store a transformer in FP8, and for a video (or a picture whose whole VAE decode
does not fit, `DiffusionPlan.vae_tiled`) `pipe.vae.enable_tiling()`
(AutoencoderKLWan's and every video VAE's, https://huggingface.co/docs/diffusers/api/models/autoencoder_kl_wan):
an untiled decode of Wan 2.2 5B's 121 frames takes 22-26 GB, more than its steps (bench/README.md). No repository
is named that the catalog or `diffusion_files` does not give: a GGUF denoiser is loaded from the file named there
(`from_single_file`, diffusers' GGUF guide), and a T5-XXL sized at 8 bits with bitsandbytes.

On Apple silicon (the `metal` backend) the pipeline goes to PyTorch's "mps" device: `pipe.to("mps")`, as
diffusers' "Metal Performance Shaders (MPS)" page shows (https://huggingface.co/docs/diffusers/optimization/mps);
its offload methods find the accelerator themselves (pipeline_utils.py at 007fbf0b: `device=None` is
get_device()). ComfyUI sets its SHARED memory state there whatever --lowvram or --normalvram say
(comfy/model_management.py: `if cpu_state == CPUState.MPS: vram_state = VRAMState.SHARED`), so those
flags are left out; --gpu-only still keeps the text encoders and the VAE on the GPU
(text_encoder_device(), vae_offload_device()).
"""

from .device_memory import HOST_HEADROOM_BYTES
from .diffusion_files import (
    CLIP_L_BESIDE_T5,
    CLIP_L_FILE,
    COMFY_DENOISER_FOLDER,
    COMFY_GGUF_NODE,
    COMFY_TEXT_ENCODER_FOLDER,
    COMFY_VAE_FOLDER,
    GATED_REPOS,
    GGUF_FORMATS,
    T5_ATTRIBUTES,
    T5_FILES,
    T5_REPO,
    T5_XXL,
    GgufDenoiser,
    comfy_files,
    gguf_denoiser,
    t5_bits,
    why_no_gguf,
)
from .diffusion_schema import DiffusionSpec, DiffusionWorkload
from .diffusion_strategies import DIFFUSION_STRATEGIES
from .units import format_bytes

# enable_sequential_cpu_offload() raises "KeyError: None" on a GGUF transformer: accelerate rebuilds each
# parameter without its quant_type (github.com/huggingface/diffusers/issues/14691, open; the fix, #14698, is not
# merged). Leaf-level group offloading moves the same layers in place and works there (the table);
# diffusers' memory guide calls it "equivalent to CPU offloading", so its time is sequential offload's.
GGUF_SEQUENTIAL_OFFLOAD = [
    "# enable_sequential_cpu_offload() fails on a GGUF transformer (github.com/huggingface/diffusers/issues/14691):",
    "# leaf-level group offloading copies the same layers from system RAM as they run",
]
GGUF_SEQUENTIAL_CALL = (
    'pipe.enable_group_offload(onload_device=torch.device("{device}"), offload_type="leaf_level")'
)
# The diffusers code loads every component at 2 bytes a weight (torch_dtype=torch.bfloat16; an FP8 transformer
# is cast by enable_layerwise_casting after loading), a GGUF transformer at its file's bits.
LOADED_BYTES_PER_PARAM = 2
# why the diffusers code of sequential offload keeps the T5-XXL as released (the registry's `bitsandbytes`)
T5_NOT_8_BIT = "no 8-bit bitsandbytes model is documented with sequential offload"
COMFY_PORT = 8188  # cli_args.py's default --port
SHARED_MEMORY_FLAGS = {"--normalvram", "--lowvram"}  # what ComfyUI overrides on Apple silicon


# Components a repository does not hold, which the pipeline must be handed: HiDream-I1's fourth text encoder
# is Llama 3.1 8B Instruct, loaded apart and passed as tokenizer_4/text_encoder_4 (HiDreamImagePipeline's own
# example, src/diffusers/pipelines/hidream_image/pipeline_hidream_image.py, github:huggingface/diffusers at
# 035aadae; https://huggingface.co/docs/diffusers/api/pipelines/hidream); the catalog counts its 8.03B
# parameters among HiDream's components.
LLAMA_3_1_8B = "meta-llama/Meta-Llama-3.1-8B-Instruct"
HANDED_IN = {
    "HiDream-ai/HiDream-I1-Full": (
        ["from transformers import LlamaForCausalLM, PreTrainedTokenizerFast"],
        [
            f'tokenizer_4 = PreTrainedTokenizerFast.from_pretrained("{LLAMA_3_1_8B}")',
            "text_encoder_4 = LlamaForCausalLM.from_pretrained(",
            f'    "{LLAMA_3_1_8B}", output_hidden_states=True, output_attentions=True, torch_dtype=torch.bfloat16',
            ")",
        ],
        "tokenizer_4=tokenizer_4, text_encoder_4=text_encoder_4, ",
    ),
}


def comfyui_command(
    *,
    plan: str,
    model: DiffusionSpec,
    workload: DiffusionWorkload,
    processes: tuple[tuple[int, ...], ...],
    backend: str = "cuda",
) -> str:
    gpus = sum(len(p) for p in processes)
    info = DIFFUSION_STRATEGIES[plan]
    lines = _comfyui_files(model, workload)
    if info.balanced and gpus > 1:
        lines.append(
            "# ComfyUI's core runs one GPU per process (--cuda-device): for the encoders on the second "
            "GPU use the diffusers code"
        )
    if info.comfyui_flag is None:  # nothing ComfyUI's core runs matches the plan: no command
        return "\n".join(lines)
    flags = [info.comfyui_flag]
    if backend == "metal":
        flags = [f for f in flags if f not in SHARED_MEMORY_FLAGS]
    if workload.denoiser_format == "fp8":
        flags.append("--fp8_e4m3fn-unet")  # store the diffusion model's weights in fp8_e4m3fn
    if info.parallel:  # one ComfyUI per GPU
        lines += [
            f"python main.py {' '.join(flags)} --cuda-device {gpu} --port {COMFY_PORT + n} &"
            for n, (gpu,) in enumerate(processes)
        ]
    else:
        lines.append(" ".join(["python", "main.py", *flags]))
    return "\n".join(lines)


def _comfyui_files(model: DiffusionSpec, workload: DiffusionWorkload) -> list[str]:
    """The comment lines saying which file goes in which ComfyUI folder: a GGUF denoiser (with the custom node
    that loads it), the T5-XXL at the bits the answer sized, and the VAE."""
    fmt = workload.denoiser_format
    lines = []
    if fmt in GGUF_FORMATS:
        gguf = gguf_denoiser(model, fmt)
        if gguf is None:
            return [f"# No GGUF of {model.name} to load: {why_no_gguf(model.slug, fmt)}; pick BF16 or FP8"]
        lines += [
            f"# GGUF needs the ComfyUI-GGUF custom node: git clone {COMFY_GGUF_NODE} into ComfyUI/custom_nodes/, "
            "then pip install gguf",
            f"# {COMFY_DENOISER_FOLDER}: {' and '.join(gguf.names(fmt))} from https://huggingface.co/{gguf.repo}, "
            'loaded by its "Unet Loader (GGUF)" node in place of "Load Diffusion Model"',
        ]
    files = comfy_files(model)
    if files is not None and not lines:  # as released (BF16, or FP8 cast from it by --fp8_e4m3fn-unet)
        what = "the denoiser" if len(files.files) == 1 else "the two experts"
        if files.checkpoint:
            what = f"a checkpoint holding {'the text encoders and ' if files.encoders_inside else ''}the VAE"
        gated = ": a gated repository, accept its licence on that page and log in to Hugging Face first"
        lines.append(
            f"# {files.folder}: {' and '.join(files.names())} ({what}) from https://huggingface.co/{files.repo}"
            + (gated if files.gated else "")
        )
    encoders = files.encoders if files else None
    from_repo = f" from https://huggingface.co/{encoders[0]} ({encoders[1]})" if encoders else ""
    if (bits := t5_bits(model)) is not None and model.slug in CLIP_L_BESIDE_T5:
        lines.append(
            f"# {COMFY_TEXT_ENCODER_FOLDER}: {T5_FILES[bits]} (the T5-XXL in {bits} bits) and {CLIP_L_FILE} "
            f"(CLIP-L) from https://huggingface.co/{T5_REPO}"
        )
    elif bits is not None:
        lines.append(
            f"# {COMFY_TEXT_ENCODER_FOLDER}: {T5_FILES[bits]} (the T5-XXL in {bits} bits) from "
            f"https://huggingface.co/{T5_REPO}, with the other text encoders{from_repo}"
        )
    elif encoders or (lines and not (files and files.encoders_inside)):
        lines.append(f"# {COMFY_TEXT_ENCODER_FOLDER}: the text encoders{from_repo}")
    if files is not None and files.vae is not None:
        repo, path = files.vae
        folder, _, name = path.rpartition("/")  # the Comfy-Org repackages keep it under split_files/vae/
        line = f"# {COMFY_VAE_FOLDER}: {name} (the VAE) from https://huggingface.co/{repo}"
        line += f" ({folder}/)" if folder else ""
        if files.vae_copy_of:  # FLUX's, in Lumina Image 2.0's repackage: said so, and its maker's own file
            line += f": {files.vae_copy_of}"
        if files.vae_official:
            own_repo, own_path = files.vae_official
            line += f"; or the official {own_path} from https://huggingface.co/{own_repo}"
        lines.append(line)
    elif lines and (
        files is None or fmt in GGUF_FORMATS
    ):  # a GGUF denoiser leaves a checkpoint's VAE unloaded
        lines.append(f"# {COMFY_VAE_FOLDER}: the VAE")
    return lines


def diffusers_code(
    *,
    plan: str,
    model: DiffusionSpec,
    workload: DiffusionWorkload,
    processes: tuple[tuple[int, ...], ...],
    backend: str = "cuda",
    vae_tiled: bool = False,
) -> str:
    gpus = sum(len(p) for p in processes)
    info = DIFFUSION_STRATEGIES[plan]
    device = "mps" if backend == "metal" else "cuda"
    repo = model.diffusers_repo or "<the model's diffusers folder>"
    video = model.shape is not None and model.shape.video
    fmt = workload.denoiser_format
    dens = denoiser_attributes(model)
    gguf = gguf_denoiser(model, fmt) if fmt in GGUF_FORMATS else None
    t5 = T5_ATTRIBUTES.get(repo) if t5_in_8_bit_here(plan, model) else None
    imports, loads, handed = HANDED_IN.get(repo, ([], [], ""))
    lines = ["import torch", f"from diffusers import {', '.join(_diffusers_imports(gguf))}", *imports]
    if t5:
        lines.append("from transformers import BitsAndBytesConfig, T5EncoderModel")
    if video:
        lines.append("from diffusers.utils import export_to_video")
    if gguf or t5:
        packages = [
            "diffusers",
            "transformers",
            "accelerate",
            *(["gguf"] if gguf else []),
            *(["bitsandbytes"] if t5 else []),
        ]
        lines.append(f"# pip install -U {' '.join(packages)}")
    if fmt in GGUF_FORMATS and gguf is None:
        lines.append(
            f"# No GGUF of {model.name} to load ({why_no_gguf(model.slug, fmt)}): this loads it as released"
        )
    if repo in GATED_REPOS:
        lines.append(
            f"# {repo} is gated: accept its licence on https://huggingface.co/{repo} and log in to Hugging Face first"
        )
    lines += loads
    for attribute, url in zip(dens, gguf.urls(fmt), strict=True) if gguf else ():
        lines += [  # diffusers' GGUF guide; the config as its Wan GGUF tests pass it
            f"{attribute} = {gguf.loader}.from_single_file(",
            f'    "{url}",',
            f'    config="{repo}", subfolder="{attribute}",',
            "    quantization_config=GGUFQuantizationConfig(compute_dtype=torch.bfloat16), torch_dtype=torch.bfloat16,",
            ")",
        ]
        handed += f"{attribute}={attribute}, "
    if t5:  # diffusers' bitsandbytes guide loads FLUX's T5EncoderModel so
        lines += [
            f"{t5} = T5EncoderModel.from_pretrained(  # the T5-XXL in 8 bits (bitsandbytes), as sized above",
            f'    "{repo}", subfolder="{t5}", quantization_config=BitsAndBytesConfig(load_in_8bit=True),',
            "    torch_dtype=torch.bfloat16,",
            ")",
        ]
        handed += f"{t5}={t5}, "
    load = f'pipe = DiffusionPipeline.from_pretrained("{repo}", {handed}torch_dtype=torch.bfloat16'
    balanced = info.balanced and gpus > 1
    if balanced:
        lines.append(f'{load}, device_map="balanced")  # text encoders on cuda:1, denoiser on cuda:0')
    else:
        lines.append(f"{load})")
    if fmt == "fp8":
        lines += [
            f"pipe.{den}.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.bfloat16)"
            for den in dens
        ]
    if gguf and plan == "sequential_offload":
        lines += [*GGUF_SEQUENTIAL_OFFLOAD, GGUF_SEQUENTIAL_CALL.format(device=device)]
    elif not balanced:
        lines.append(info.diffusers_call.format(device=device))
    size = f"height={workload.height}, width={workload.width}, num_inference_steps={workload.steps}"
    # the prompt by name: FluxKontextPipeline takes an image first (diffusers pipeline_flux_kontext.py, __call__),
    # and a prompt given first there left the prompt empty ("Provide either `prompt` or `prompt_embeds`")
    if video:
        lines.append("pipe.vae.enable_tiling()  # decode the frames in tiles, not all at once")
        fps = model.shape.fps if model.shape else 16
        lines.append(
            f'frames = pipe(prompt="a cat surfing at sunset", num_frames={workload.frames}, {size}).frames[0]'
        )
        lines.append(f'export_to_video(frames, "out.mp4", fps={fps})')
    else:
        if vae_tiled:  # the whole decode does not fit (DiffusionPlan.vae_tiled)
            lines.append(
                "pipe.vae.enable_tiling()  # decode the picture in tiles: the whole decode does not fit"
            )
        lines.append(f'image = pipe(prompt="a cat surfing at sunset", {size}).images[0]')
        lines.append('image.save("out.png")')
    if info.parallel:  # one process per pipeline, each seeing its GPUs
        runs = " & ".join(
            f"CUDA_VISIBLE_DEVICES={','.join(map(str, visible))} python run.py" for visible in processes
        )
        lines.insert(0, f"# save as run.py; one process per pipeline: {runs}")
    if diffusers_ram_bytes(plan=plan, model=model, workload=workload, processes=len(processes)) is not None:
        lines[1:1] = _ram_lines(plan=plan, model=model, workload=workload, processes=len(processes))
    return "\n".join(line for line in lines if line)


def _diffusers_imports(gguf: GgufDenoiser | None) -> list[str]:
    return ["DiffusionPipeline", *(("GGUFQuantizationConfig", gguf.loader) if gguf else ())]


def t5_in_8_bit_here(plan: str, model: DiffusionSpec) -> bool:
    """Whether the diffusers code of `plan` loads the T5-XXL at the 8 bits the answer sized it at: with
    bitsandbytes, where the plan's offload is one diffusers documents with 8-bit models (the registry's
    `bitsandbytes`); else as released."""
    return t5_bits(model) == 8 and DIFFUSION_STRATEGIES[plan].bitsandbytes


def as_loaded(plan: str, model: DiffusionSpec) -> DiffusionSpec:
    """The model as the diffusers code of `plan` holds it once loaded: a T5-XXL sized at 8 bits back at 16 bits
    where that code loads it as released (`t5_in_8_bit_here`)."""
    if t5_bits(model) != 8 or t5_in_8_bit_here(plan, model):
        return model
    released = tuple(
        c.model_copy(update={"bytes_per_param": LOADED_BYTES_PER_PARAM}) if c.name == T5_XXL else c
        for c in model.components
    )
    return model.model_copy(update={"components": released})


def loaded_bytes(plan: str, model: DiffusionSpec, workload: DiffusionWorkload) -> int:
    """One pipeline in system RAM as the diffusers code of `plan` loads it (LOADED_BYTES_PER_PARAM), its
    denoisers at the GGUF file's bits where they are GGUF, its T5-XXL at 8 bits where bitsandbytes loads it
    so (`t5_in_8_bit_here`)."""
    gguf = workload.denoiser_format in GGUF_FORMATS
    t5_8_bits = t5_in_8_bit_here(plan, model)
    return sum(
        c.weights_bytes
        if (gguf and any(c is d for d in model.denoisers)) or (t5_8_bits and c.name == T5_XXL)
        else int(c.params_b * 1e9 * LOADED_BYTES_PER_PARAM)
        for c in model.components
    )


def diffusers_ram_bytes(
    *, plan: str, model: DiffusionSpec, workload: DiffusionWorkload, processes: int
) -> int | None:
    """The system RAM the diffusers code needs where its processes each load their whole pipeline there
    (the registry's `diffusers_ram`): processes × the pipeline as loaded, and what the OS and Python keep;
    None where it needs what the plan says (or, for a plan that keeps every component in RAM once, where the
    pipeline as loaded is no larger than the plan's components: `beyond_plan`)."""
    held = DIFFUSION_STRATEGIES[plan].diffusers_ram
    if held is None:
        return None
    loaded = loaded_bytes(plan, model, workload)
    if held.beyond_plan and loaded <= sum(c.weights_bytes for c in model.components):
        return None
    return processes * loaded + HOST_HEADROOM_BYTES


def _ram_lines(*, plan: str, model: DiffusionSpec, workload: DiffusionWorkload, processes: int) -> list[str]:
    """The diffusers code's need in system RAM, said under its first line, and where the RAM given is short
    of it, what to do."""
    held = DIFFUSION_STRATEGIES[plan].diffusers_ram
    need = diffusers_ram_bytes(plan=plan, model=model, workload=workload, processes=processes)
    loaded, system = format_bytes(loaded_bytes(plan, model, workload)), format_bytes(HOST_HEADROOM_BYTES)
    if held.beyond_plan:  # one process, holding more than the plan counts: say what
        larger = [
            *(
                ["its FP8 transformer loads in BF16 before it is cast"]
                if workload.denoiser_format == "fp8"
                else []
            ),
            *([f"its T5-XXL loads as released ({T5_NOT_8_BIT})"] if t5_bits(model) == 8 else []),
        ]
        lines = [
            f"# this code needs {format_bytes(need)} of system RAM: the pipeline as it loads it, {loaded}, + "
            f"{system} for the system; {' and '.join(larger)}"
        ]
    else:
        lines = [
            f"# this code needs {format_bytes(need)} of system RAM: {processes} × {loaded} + {system} for the "
            f"system, each process holding its whole pipeline there {held.held}"
        ]
    if workload.ram_bytes is not None and need > workload.ram_bytes:
        # the RAM asked, or the calculator's assumption where none was (its verdict says "or more")
        lines.append(f"# more than the {format_bytes(workload.ram_bytes)} of system RAM: {held.if_short}")
    return lines


def denoiser_attributes(model: DiffusionSpec) -> list[str]:
    """The pipeline's attributes holding its denoisers: `unet` for a UNet; `transformer`, and for a second
    expert `transformer_2` (WanPipeline's low-noise expert, src/diffusers/pipelines/wan/pipeline_wan.py)."""
    if model.shape is not None and model.shape.kind == "unet":
        return ["unet"]
    return ["transformer", *(f"transformer_{i}" for i in range(2, len(model.denoisers) + 1))]


def commands_for(
    *,
    plan: str,
    model: DiffusionSpec,
    workload: DiffusionWorkload,
    gpus: int,
    backend: str = "cuda",
    processes: tuple[tuple[int, ...], ...] = (),
    vae_tiled: bool = False,
) -> dict[str, str]:
    """`processes`: a plan of one process per pipeline's GPUs, by their place as listed
    (DiffusionPlan.processes); without them, GPUs 0 to `gpus` - 1 each run one. `vae_tiled`: the picture
    decodes in tiles (DiffusionPlan.vae_tiled; ComfyUI falls back to it by itself)."""
    processes = processes or tuple((i,) for i in range(gpus))
    return {
        "comfyui": comfyui_command(
            plan=plan, model=model, workload=workload, processes=processes, backend=backend
        ),
        "diffusers": diffusers_code(
            plan=plan,
            model=model,
            workload=workload,
            processes=processes,
            backend=backend,
            vae_tiled=vae_tiled,
        ),
    }
