"""load_costs: the cost fixtures into the database, idempotent, never undoing an editor; and their admin."""

import io
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog.models import Price
from costs import FIXTURES
from costs.models import ApiPrice, CloudPrice

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
H100 = "runpod-community-h100-sxm5-80-gb-2026-11-09"


def load() -> str:
    out = io.StringIO()
    call_command("load_costs", stdout=out)
    return out.getvalue()


def test_every_fixture_row_loads_with_a_date_and_a_source(catalog):
    load()
    for name, model in (("cloud_prices", CloudPrice), ("api_prices", ApiPrice), ("street_prices", Price)):
        rows = json.loads((FIXTURES / f"{name}.json").read_text())
        assert model.objects.filter(slug__in=[r["slug"] for r in rows]).count() == len(rows), name
        for row in rows:
            assert row["date"] and re.match(r"^https://", row["source_url"]), row["slug"]
            assert row["note"], row["slug"]  # how the price was read


def test_street_prices_are_catalog_prices_with_condition_and_region(catalog):
    load()
    used = Price.objects.get(slug="geforce-rtx-3090-used-us-usd-street-local-llm-net")
    assert (used.condition, used.region, used.amount) == ("used", "US", Decimal("700.00"))


def test_loading_twice_changes_nothing(catalog):
    load()
    history = CloudPrice.history.count() + ApiPrice.history.count() + Price.history.count()
    out = load()
    assert "0 created, 0 updated" in out
    assert CloudPrice.history.count() + ApiPrice.history.count() + Price.history.count() == history


def test_an_admin_edit_survives_the_next_load(catalog):
    load()
    row = CloudPrice.objects.get(slug=H100)
    row.usd_per_hour = Decimal("2.49")
    row._history_user = get_user_model().objects.create(username="editor", is_staff=True)
    row._change_reason = "RunPod cut the price"
    row.save()
    row.refresh_from_db()
    assert row.admin_edited_fields == ["usd_per_hour"]
    out = load()
    assert "admin edits kept on 1" in out
    row.refresh_from_db()
    assert row.usd_per_hour == Decimal("2.49")


def test_a_row_an_editor_deleted_is_not_loaded_again(catalog):
    load()
    row = ApiPrice.objects.get(slug="venice-llama-3-3-70b-2026-12-03")
    row._history_user = get_user_model().objects.create(username="editor", is_staff=True)
    row.delete()
    load()
    assert not ApiPrice.objects.filter(slug="venice-llama-3-3-70b-2026-12-03").exists()


def test_a_price_edit_moves_the_catalog_version(catalog):
    from catalog.cache import catalog_version

    load()
    before = catalog_version()
    row = CloudPrice.objects.get(slug=H100)
    row.usd_per_hour = Decimal("2.59")
    row.save()
    assert catalog_version() > before


def test_the_container_start_script_loads_costs_after_the_catalog():
    script = (ROOT / "scripts" / "container-start.sh").read_text()
    assert script.index("load_catalog") < script.index("load_costs")
    run = (ROOT / "scripts" / "run.sh").read_text()
    assert run.index("load_catalog") < run.index("load_costs")
    assert subprocess.run(["bash", "-n", ROOT / "scripts" / "container-start.sh"]).returncode == 0


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-for-tests")
    client.force_login(user)
    return user


@pytest.mark.parametrize("table", ["cloudprice", "apiprice"])
def test_the_admin_lists_searches_and_shows_history(client, staff, costs, table):
    assert client.get(f"/admin/costs/{table}/").status_code == 200
    assert client.get(f"/admin/costs/{table}/?q=llama").status_code == 200
    row = (CloudPrice if table == "cloudprice" else ApiPrice).objects.first()
    assert client.get(f"/admin/costs/{table}/{row.pk}/change/").status_code == 200
    assert client.get(f"/admin/costs/{table}/{row.pk}/history/").status_code == 200


def test_an_admin_edit_records_who_and_why(client, staff, costs):
    from tests.catalog.test_admin import change_form_data

    row = CloudPrice.objects.get(slug=H100)
    url = f"/admin/costs/cloudprice/{row.pk}/change/"
    data = change_form_data(client, url) | {"usd_per_hour": "2.39", "change_reason": "New price on the page"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    row.refresh_from_db()
    assert row.usd_per_hour == Decimal("2.39")
    assert row.admin_edited_fields == ["usd_per_hour"]
    latest = row.history.first()
    assert (latest.history_user, latest.history_change_reason) == (staff, "New price on the page")


def test_the_admin_refuses_a_negative_price(client, staff, costs):
    from tests.catalog.test_admin import change_form_data

    row = ApiPrice.objects.first()
    url = f"/admin/costs/apiprice/{row.pk}/change/"
    data = change_form_data(client, url) | {"usd_per_m_output": "-1", "change_reason": "typo"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
