"""Beside the launch command, the oldest release of each program it needs, linked to that release's page; the
API gives the same, per command (Plan.command_releases)."""

import html
import re

import pytest

pytestmark = pytest.mark.django_db

QUESTION = {"model": "llama-3-1-8b-instruct", "quant": "q4_k_m", "gpu": "geforce-rtx-4090", "ctx": "32768"}
OLLAMA_V0_5_13 = "https://github.com/ollama/ollama/releases/tag/v0.5.13"


def needs_paragraph(page: str) -> str:
    found = re.search(r'<p class="command-needs" data-testid="launch-needs">(.*?)</p>', page, re.S)
    return found[1] if found else ""


def test_the_ollama_command_says_which_release_it_needs_and_links_to_it(client, catalog):
    page = client.get("/", QUESTION | {"runtime": "ollama"}).content.decode()
    command = html.unescape(re.search(r'data-testid="launch-command"><code>(.*?)</code>', page, re.S)[1])
    assert "OLLAMA_CONTEXT_LENGTH=32768" in re.sub(r"<[^>]+>", "", command)
    needs = needs_paragraph(page)
    assert (
        f'<a href="{OLLAMA_V0_5_13}" rel="external">Ollama v0.5.13</a> or later (for <span class="flag">OLLAMA_CONTEXT_LENGTH</span>)'
        in needs
    )


def test_the_api_gives_each_commands_release(client, catalog):
    body = client.get("/api/v1/estimate", QUESTION | {"runtime": "ollama"}).json()
    plan = next(p for p in body["plans"] if p["strategy"] == "single")
    assert plan["command_releases"]["ollama"] == [
        {"program": "Ollama", "release": "v0.5.13", "url": OLLAMA_V0_5_13, "flags": ["OLLAMA_CONTEXT_LENGTH"]}
    ]
    assert "llama-server" not in plan["command_releases"]  # none of llama.cpp's releases is in the table


def test_a_command_needing_no_named_release_shows_no_note(client, catalog):
    page = client.get("/", QUESTION).content.decode()  # llama-server
    assert 'data-testid="launch-command"' in page
    assert 'data-testid="launch-needs"' not in page
