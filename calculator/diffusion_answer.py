"""An image or video model's question and its answer, for the modules that ask one from outside the image
pages: the LLM page's views, fixes, pickers, API and OpenAPI schema, the reverse pages, the glossary's worked
examples and the cost guides. Each name is defined once, in its module; in the order data flows:

`diffusion_shapes` (which models are image or video models, each denoiser's shape) → `diffusion_formats` (the
denoiser's formats, where each loads and has a file) → `diffusion_form` (the question and its permalink's
query) → `diffusion_estimate` (the engine's answer: the system RAM assumed, the usual format, the cache) →
`diffusion_devices` (the GPUs that run a question naming none) → `diffusion_verdict` (the verdict and the
suggestions, in words) → `diffusion_result` (the result panel) → `diffusion_api` (the API's answer and its
schema); the page's view in `diffusion_views`, the shared answers in `diffusion_snapshots`."""

from .diffusion_api import bad_parameters, estimate_json, schemas
from .diffusion_devices import MAX_SAME_CARDS, devices_that_fit
from .diffusion_estimate import (
    ASSUMED_RAM_GB,
    answered,
    assumed_ram_gb,
    ram_needed,
    smaller_formats,
    usual,
    usual_format,
    with_assumed_ram,
)
from .diffusion_form import DiffusionForm, image_query
from .diffusion_formats import FORMATS, RELEASED, no_file, not_on, offered
from .diffusion_result import plan_row, result_context
from .diffusion_shapes import is_diffusion, spec_of
from .diffusion_verdict import verdict

__all__ = [
    "ASSUMED_RAM_GB",
    "FORMATS",
    "MAX_SAME_CARDS",
    "RELEASED",
    "DiffusionForm",
    "answered",
    "assumed_ram_gb",
    "bad_parameters",
    "devices_that_fit",
    "estimate_json",
    "image_query",
    "is_diffusion",
    "no_file",
    "not_on",
    "offered",
    "plan_row",
    "ram_needed",
    "result_context",
    "schemas",
    "smaller_formats",
    "spec_of",
    "usual",
    "usual_format",
    "verdict",
    "with_assumed_ram",
]
