"""The README's configuration table is what an operator sets the workbench up from: every variable
the code reads is in it once, with one meaning, and the table is one table (a blank line inside
it would end it, and every row after would show as raw pipes)."""

from __future__ import annotations

import re

from conftest import REPO


def _configuration_section() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return section.splitlines()


def _table_rows() -> list[str]:
    lines = _configuration_section()
    start = next(i for i, line in enumerate(lines) if line.startswith("| variable |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _documented_names() -> list[str]:
    return [re.match(r"\| `([A-Z_]+)`", row).group(1) for row in _table_rows()]  # type: ignore[union-attr]


def _names_read_by_the_code() -> set[str]:
    names: set[str] = set()
    config = (REPO / "workbench/config.py").read_text()
    names.update(re.findall(r"""env(?:\.get)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", config))
    names.update(re.findall(r'"(WORKBENCH_[A-Z0-9_]+)"', config))
    makefile = (REPO / "Makefile").read_text()
    names.update(re.findall(r"^([A-Z]+) \?=", makefile, flags=re.MULTILINE))
    return names - {"PYTHON"}


def test_the_configuration_table_is_one_table() -> None:
    rows = _table_rows()
    section = _configuration_section()
    # Every line that looks like a row of the table is in the table, none after a gap.
    assert len(rows) == sum(1 for line in section if re.match(r"\| `[A-Z_]+` \|", line))


def test_every_variable_is_documented_once() -> None:
    documented = _documented_names()
    repeated = {name for name in documented if documented.count(name) > 1}
    assert not repeated, f"listed more than once: {sorted(repeated)}"
    missing = _names_read_by_the_code() - set(documented)
    assert not missing, f"read by the code but not in the README's table: {sorted(missing)}"
    assert {"HOST", "PORT", "DATABASE_URL"} <= set(documented)
