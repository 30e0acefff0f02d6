import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("/api/v1/gpus", "rtx4090", "geforce-rtx-4090"),
        ("/api/v1/gpus", "RTX 4090", "geforce-rtx-4090"),
        ("/api/v1/gpus", "7900-xtx", "radeon-rx-7900-xtx"),
        ("/api/v1/models", "llama 3.1 70b", "llama-3-1-70b-instruct"),
        ("/api/v1/models", "Llama-3.1-70B", "llama-3-1-70b-instruct"),
        ("/api/v1/models", "gpt oss 120b", "gpt-oss-120b"),
        ("/api/v1/quantizations", "q4km", "q4_k_m"),
    ],
)
def test_search_ignores_case_spaces_dashes_and_dots(client, catalog, url, query, expected):
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    assert expected in [row["slug"] for row in response.json()["results"]]


def test_search_that_matches_nothing_is_an_empty_list(client, catalog):
    assert client.get("/api/v1/gpus", {"q": "zzzz-no-such"}).json() == {"results": []}


def test_gpu_rows_carry_key_specs(client, catalog):
    row = client.get("/api/v1/gpus", {"q": "rtx 3090"}).json()["results"][0]
    assert {"slug", "name", "memory_bytes", "bandwidth_gb_s", "fp16_tflops"} <= set(row)
