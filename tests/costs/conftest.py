import io

import pytest
from django.core.management import call_command


@pytest.fixture
def costs(catalog):
    """The shipped catalog plus the cost fixtures, loaded as container-start.sh loads them."""
    call_command("load_costs", stdout=io.StringIO())
