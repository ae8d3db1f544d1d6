"""Rewrite docs/reference.md and the results table of docs/messages.md from krmfn.docs (one source for them
and `krmfn help config`; the results come from the catalog, krmfn/messages.py)."""

from pathlib import Path

from krmfn.docs import messages_page, reference_page

docs = Path(__file__).resolve().parents[1] / "docs"
page = docs / "reference.md"
page.write_text(reference_page(), encoding="utf-8")
print(f"updated {page}")
page = docs / "messages.md"
page.write_text(messages_page(page.read_text(encoding="utf-8")), encoding="utf-8")
print(f"updated {page}")
