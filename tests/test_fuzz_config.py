"""config.json fuzz: whatever a pasted config holds, every page that reads one answers 200 (with the
reason next to the field), 400 or, for the preview image, a picture; never a 500.

Hypothesis starts from a real config (Llama 3.1 8B) and replaces, adds or drops fields the engine reads
with arbitrary JSON: huge and negative integers, floats, strings, booleans, null, and nested values.
"""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import byo
from tests.catalog.test_byo import LLAMA_31_8B
from tests.conftest import make_gpu, make_llm, make_quant
from tests.test_fuzz import FUZZ

pytestmark = pytest.mark.django_db

FUZZ = settings(FUZZ, max_examples=40)
ENGINE_FIELDS = sorted({*byo.HfConfig.model_fields, "num_local_experts", "n_routed_experts", "text_config"})
SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.integers(10**9, 10**400),
    st.sampled_from([0, 1, 2, 3, 7, 8, 64, 128, 1023, 1024, 1025, 4096, 131072, 2**31, 2**63]),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def configs(draw) -> str:
    config = dict(LLAMA_31_8B)
    for name in draw(st.lists(st.sampled_from(ENGINE_FIELDS), max_size=4)):
        if draw(st.booleans()):
            config[name] = draw(VALUES)
        else:
            config.pop(name, None)
    return json.dumps(config)


@pytest.fixture
def small_catalog(db):
    make_llm(), make_quant(), make_gpu()


def test_any_config_gets_an_answer_or_a_reason_never_a_500(client, small_catalog):
    @FUZZ
    @given(config=configs())
    def run(config):
        query = urlencode({"config": config, "quant": "q4_k_m", "gpu": "geforce-rtx-3090"})
        page = client.get(f"/?{query}", headers={"HX-Request": "true"})
        assert page.status_code in (200, 400)
        api = client.get(f"/api/v1/estimate?{query}")
        assert api.status_code in (200, 400)
        if api.status_code == 400:
            assert api.json()["errors"]
        assert client.get(f"/og.png?{query}").status_code in (200, 400)

    run()
