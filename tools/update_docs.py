"""Rewrite docs/reference.md from krmfn.docs (one source for it and `krmfn help config`)."""

from pathlib import Path

from krmfn.docs import reference_page

page = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
page.write_text(reference_page(), encoding="utf-8")
print(f"updated {page}")
