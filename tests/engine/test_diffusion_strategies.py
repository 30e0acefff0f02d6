"""The image strategies' registry (estimator/diffusion_strategies.py): one row per strategy a plan can
name, each linking to a glossary page the site has."""

from typing import get_args

from estimator import GLOSSARY_TERMS
from estimator.diffusion_strategies import DIFFUSION_STRATEGIES, DiffusionStrategy


def test_every_image_strategy_has_one_row():
    assert sorted(DIFFUSION_STRATEGIES) == sorted(get_args(DiffusionStrategy))


def test_every_image_strategy_links_to_a_glossary_page():
    assert {info.term for info in DIFFUSION_STRATEGIES.values()} <= GLOSSARY_TERMS


def test_a_title_reads_inside_a_sentence():
    assert DIFFUSION_STRATEGIES["all_on_gpu"].label == "everything on one GPU"


def test_no_image_strategy_links_llama_cpps_cpu_offload():
    """The review: "Sequential offload" linked /glossary/cpu-offload/, llama.cpp's layers computed by the CPU,
    the opposite of diffusers' weights copied to the GPU at every step; component-offload's page describes it."""
    assert DIFFUSION_STRATEGIES["sequential_offload"].term == "component-offload"
    assert "cpu-offload" not in {info.term for info in DIFFUSION_STRATEGIES.values()}
