"""The Nu Html Checker finds no error on any page or stylesheet of the built example site."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkdigest.shipping.audit import ToolError, check_html_files, read_site_documents
from tests.conftest import Build

pytestmark = pytest.mark.slow


def check_or_fail(files: list[Path], names: dict[str, Path]) -> list[str]:
    """Run the checker; a missing Java or checker fails the test (never skips it)."""
    try:
        return [str(error) for error in check_html_files(files, names=names)]
    except ToolError as error:
        pytest.fail(str(error))


def test_every_page_and_stylesheet_is_valid(example_site: Build, production_site: Build) -> None:
    builds = {"example": example_site.output, "production": production_site.output}
    files = [path for folder in builds.values() for path in read_site_documents(folder)]
    assert sum(path.suffix == ".html" for path in files) >= 40
    assert any(path.suffix == ".css" for path in files)
    errors = check_or_fail(files, builds)
    assert not errors, f"{len(errors)} Nu Html Checker errors:\n" + "\n".join(errors)


def test_the_checker_reports_errors_with_file_line_and_column(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<!DOCTYPE html>\n<html lang="en">\n<head><title>t</title></head>\n'
        '<body>\n<p>text</span>\n<img src="a.png">\n</body>\n</html>\n',
        encoding="utf-8",
    )
    sheet = tmp_path / "main.css"
    sheet.write_text("@layer base {\n  p { colr: red; }\n}\n", encoding="utf-8")
    errors = check_or_fail([page, sheet], {"site": tmp_path})
    assert any(e.startswith("site/page.html:5:") and "span" in e for e in errors), errors
    assert any(e.startswith("site/page.html:6:") and "alt" in e for e in errors), errors
    assert any(e.startswith("site/main.css:2:") and "colr" in e for e in errors), errors
