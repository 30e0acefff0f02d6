"""How to run a diffusion plan: ComfyUI's launch flags and the diffusers calls (each plan's own flag and
call are its row of `diffusion_strategies.DIFFUSION_STRATEGIES`).

ComfyUI's flags are those of comfy/cli_args.py (github:comfyanonymous/ComfyUI at 005d79c8;
tests/engine/test_diffusion_commands.py parses every command against that table). The diffusers calls
are the pipeline methods its documentation names: `pipe.to("cuda")`, `enable_model_cpu_offload()`,
`enable_sequential_cpu_offload()`, `device_map="balanced"` (components spread over the GPUs), and
`enable_layerwise_casting()` to store a transformer in FP8, and for a video `pipe.vae.enable_tiling()`
(AutoencoderKLWan's and every video VAE's, https://huggingface.co/docs/diffusers/api/models/autoencoder_kl_wan):
an untiled decode of Wan 2.2 5B's 121 frames takes 22-26 GB, more than its steps (bench/README.md). No repository
is named that the catalog does not give; a GGUF file is the visitor's own path.

On Apple silicon (the `metal` backend) the pipeline goes to PyTorch's "mps" device: `pipe.to("mps")`, as
diffusers' "Metal Performance Shaders (MPS)" page shows (https://huggingface.co/docs/diffusers/optimization/mps);
its offload methods find the accelerator themselves (pipeline_utils.py at 007fbf0b: `device=None` is
get_device()). ComfyUI sets its SHARED memory state there whatever --lowvram or --normalvram say
(comfy/model_management.py: `if cpu_state == CPUState.MPS: vram_state = VRAMState.SHARED`), so those
flags are left out; --gpu-only still keeps the text encoders and the VAE on the GPU
(text_encoder_device(), vae_offload_device()).
"""

from .device_memory import HOST_HEADROOM_BYTES
from .diffusion_schema import DiffusionSpec, DiffusionWorkload
from .diffusion_strategies import DIFFUSION_STRATEGIES
from .units import format_bytes

GGUF_FORMATS = ("q8_0", "q6_k", "q5_k_s", "q4_k_s", "q4_0")
# The diffusers code loads every component at 2 bytes a weight (torch_dtype=torch.bfloat16; an FP8 transformer
# is cast by enable_layerwise_casting after loading), a GGUF transformer at its file's bits.
LOADED_BYTES_PER_PARAM = 2
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
    *, plan: str, workload: DiffusionWorkload, processes: tuple[tuple[int, ...], ...], backend: str = "cuda"
) -> str:
    gpus = sum(len(p) for p in processes)
    info = DIFFUSION_STRATEGIES[plan]
    lines = []
    if workload.denoiser_format in GGUF_FORMATS:
        lines.append(
            "# GGUF weights load through the ComfyUI-GGUF custom node (github:city96/ComfyUI-GGUF): "
            "put your .gguf in models/unet"
        )
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


def diffusers_code(
    *,
    plan: str,
    model: DiffusionSpec,
    workload: DiffusionWorkload,
    processes: tuple[tuple[int, ...], ...],
    backend: str = "cuda",
) -> str:
    gpus = sum(len(p) for p in processes)
    info = DIFFUSION_STRATEGIES[plan]
    device = "mps" if backend == "metal" else "cuda"
    repo = model.diffusers_repo or "<the model's diffusers folder>"
    video = model.shape is not None and model.shape.video
    imports, loads, handed = HANDED_IN.get(repo, ([], [], ""))
    load = f'pipe = DiffusionPipeline.from_pretrained("{repo}", {handed}torch_dtype=torch.bfloat16'
    lines = ["import torch", "from diffusers import DiffusionPipeline", *imports]
    if video:
        lines.append("from diffusers.utils import export_to_video")
    lines += loads
    balanced = info.balanced and gpus > 1
    if balanced:
        lines.append(f'{load}, device_map="balanced")  # text encoders on cuda:1, denoiser on cuda:0')
    else:
        lines.append(f"{load})")
    dens = denoiser_attributes(model)
    if workload.denoiser_format == "fp8":
        lines += [
            f"pipe.{den}.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.bfloat16)"
            for den in dens
        ]
    elif workload.denoiser_format in GGUF_FORMATS:
        each = " and ".join(f"{den}=" for den in dens)
        lines.append(
            f"# GGUF: load the transformer{'s' if len(dens) > 1 else ''} with from_single_file(<your .gguf>, "
            f"quantization_config=GGUFQuantizationConfig(compute_dtype=torch.bfloat16)) and pass {each}"
        )
    lines.append("" if balanced else info.diffusers_call.format(device=device))
    size = f"height={workload.height}, width={workload.width}, num_inference_steps={workload.steps}"
    if video:
        lines.append("pipe.vae.enable_tiling()  # decode the frames in tiles, not all at once")
        fps = model.shape.fps if model.shape else 16
        lines.append(
            f'frames = pipe("a cat surfing at sunset", num_frames={workload.frames}, {size}).frames[0]'
        )
        lines.append(f'export_to_video(frames, "out.mp4", fps={fps})')
    else:
        lines.append(f'image = pipe("a cat surfing at sunset", {size}).images[0]')
        lines.append('image.save("out.png")')
    if info.parallel:  # one process per pipeline, each seeing its GPUs
        runs = " & ".join(
            f"CUDA_VISIBLE_DEVICES={','.join(map(str, visible))} python run.py" for visible in processes
        )
        lines.insert(0, f"# save as run.py; one process per pipeline: {runs}")
    if info.diffusers_ram is not None:
        lines[1:1] = _ram_lines(plan=plan, model=model, workload=workload, processes=len(processes))
    return "\n".join(line for line in lines if line)


def loaded_bytes(model: DiffusionSpec, workload: DiffusionWorkload) -> int:
    """One pipeline in system RAM as the diffusers code loads it (LOADED_BYTES_PER_PARAM), its denoisers
    at the GGUF file's bits where they are GGUF."""
    gguf = workload.denoiser_format in GGUF_FORMATS
    return sum(
        c.weights_bytes
        if gguf and any(c is d for d in model.denoisers)
        else int(c.params_b * 1e9 * LOADED_BYTES_PER_PARAM)
        for c in model.components
    )


def diffusers_ram_bytes(
    *, plan: str, model: DiffusionSpec, workload: DiffusionWorkload, processes: int
) -> int | None:
    """The system RAM the diffusers code needs where its processes each load their whole pipeline there
    (the registry's `diffusers_ram`): processes × the pipeline as loaded, and what the OS and Python keep;
    None where it needs what the plan says."""
    if DIFFUSION_STRATEGIES[plan].diffusers_ram is None:
        return None
    return processes * loaded_bytes(model, workload) + HOST_HEADROOM_BYTES


def _ram_lines(*, plan: str, model: DiffusionSpec, workload: DiffusionWorkload, processes: int) -> list[str]:
    """The diffusers code's need in system RAM, said under its first line, and where the RAM given is short
    of it, what to do."""
    held = DIFFUSION_STRATEGIES[plan].diffusers_ram
    need = diffusers_ram_bytes(plan=plan, model=model, workload=workload, processes=processes)
    lines = [
        f"# this code needs {format_bytes(need)} of system RAM: {processes} × "
        f"{format_bytes(loaded_bytes(model, workload))} + {format_bytes(HOST_HEADROOM_BYTES)} for the system, "
        f"each process holding its whole pipeline there {held.held}"
    ]
    if workload.ram_bytes is not None and need > workload.ram_bytes:
        lines.append(f"# more than the {format_bytes(workload.ram_bytes)} given: {held.if_short}")
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
) -> dict[str, str]:
    """`processes`: a plan of one process per pipeline's GPUs, by their place as listed
    (DiffusionPlan.processes); without them, GPUs 0 to `gpus` - 1 each run one."""
    processes = processes or tuple((i,) for i in range(gpus))
    return {
        "comfyui": comfyui_command(plan=plan, workload=workload, processes=processes, backend=backend),
        "diffusers": diffusers_code(
            plan=plan, model=model, workload=workload, processes=processes, backend=backend
        ),
    }
