"""A Hugging Face id typed on the public page → the model's config.json, as a permalink carries it.

The Hub is asked once per repository and day (an answer it gave is cached; a refusal for a few minutes,
so a visitor retrying a typo does not hit the Hub each time), within one deadline for the whole fetch
(catalog/hub.py: nothing runs on after it), and the config is kept in the permalink, so the answer
reproduces without the Hub later.
"""

import hashlib
import json

from django.core.cache import cache

from catalog import byo, hub

TIMEOUT_S = 5
FOUND_TTL_S = 24 * 3600
REFUSED_TTL_S = 300  # a gated, missing or malformed repo; a timeout is tried again after a minute
TIMEOUT_TTL_S = 60


def config_from_hub(repo_id: str) -> str:
    """The canonical config.json text of `repo_id`, named after it. Raises byo.ModelFileError with a
    message for the visitor: not an id, gated, missing, not a model we can size, or the Hub too slow."""
    repo_id = repo_id.strip()
    if not byo.HF_REPO_ID.match(repo_id):
        raise byo.ModelFileError(
            f"“{repo_id[:100]}” is not a Hugging Face id: owner/name, as in Qwen/Qwen3-8B."
        )
    key = "hub-config:" + hashlib.sha256(repo_id.encode()).hexdigest()[:32]
    if (kept := cache.get(key)) is not None:
        found, value = kept
        if not found:
            raise byo.ModelFileError(value)
        return value
    try:
        data = hub.get_file(repo_id, "config.json", timeout_s=TIMEOUT_S, max_bytes=byo.MAX_CONFIG_BYTES)
        raw = byo.loads_bounded(data, what=f"config.json of {repo_id}")
        if not isinstance(raw, dict):
            raise byo.ModelFileError(f"config.json of {repo_id} is not a JSON object.")
        config = byo.canonical_config(json.dumps({**raw, "_name_or_path": repo_id}))
    except hub.HubTimeout:
        message = (
            f"The Hugging Face Hub did not answer within {TIMEOUT_S} s: try again, or paste {repo_id}'s "
            "config.json."
        )
        cache.set(key, (False, message), TIMEOUT_TTL_S)
        raise byo.ModelFileError(message) from None
    except (hub.HubError, byo.ModelFileError) as e:
        message = str(e)  # the Hub's refusals name the repository and what to do
        cache.set(key, (False, message), REFUSED_TTL_S)
        raise byo.ModelFileError(message) from None
    cache.set(key, (True, config), FOUND_TTL_S)
    return config
