"""Rewrite README.md's configuration reference from krmfn.docs (one source)."""

from pathlib import Path

from krmfn.docs import reference

START, END = "<!-- reference:start -->\n", "<!-- reference:end -->\n"
readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text(encoding="utf-8")
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
readme.write_text(head + START + reference() + END + tail, encoding="utf-8")
print(f"updated {readme}")
