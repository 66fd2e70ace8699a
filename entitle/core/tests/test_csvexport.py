"""CSV exports neutralise formulas: a cell a spreadsheet would run is written as text."""

import csv
import io
from decimal import Decimal

import pytest

from conftest import actor_of
from entitle.core.csvexport import FORMULA_TRIGGERS, csv_lines, safe_cell
from entitle.licensing.services.devices import device_register

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_a_text_cell_starting_a_formula_gets_an_apostrophe(trigger):
    assert safe_cell(f"{trigger}1+1") == f"'{trigger}1+1"


def test_other_cells_are_written_as_they_are():
    assert safe_cell("Acme Data Centres") == "Acme Data Centres"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(-5) == -5
    assert safe_cell(Decimal("-1.50")) == Decimal("-1.50")
    assert safe_cell(None) == ""


def test_lines_are_csv_with_every_text_cell_neutralised():
    text = "".join(csv_lines(["name", "-header"], [[EVIL, 3], ["@SUM(A1)", "\tx"]]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "'-header"], ["'" + EVIL, "3"], ["'@SUM(A1)", "'\tx"]]


def test_a_device_named_as_a_formula_is_text_in_the_staff_activity_csv(
    acme_admin, vendor_staff, skus, login
):
    device_register(
        actor=actor_of(acme_admin), product=skus["DCE-1Y"].product, name=EVIL, host_id="HOST-1"
    )
    response = login(vendor_staff).get("/activity/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + EVIL in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
