"""Generate translations/en.json from strings.json, as Home Assistant core does.

strings.json is the one source of every English string; en.json is its generated copy
(HACS installs read translations/, not strings.json). nl.json is written by hand.
    python scripts/translations.py          write en.json
    python scripts/translations.py --check  exit 1 when en.json is out of date
"""

from __future__ import annotations

import json
from pathlib import Path
import sys

INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / "hosted_pbx"


def generated() -> str:
    """en.json's text: strings.json, normalised."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    return json.dumps(strings, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write en.json, or with --check compare it."""
    target = INTEGRATION / "translations" / "en.json"
    if "--check" in argv:
        if target.read_text(encoding="utf-8") != generated():
            print("translations/en.json is out of date: run python scripts/translations.py")
            return 1
        return 0
    target.write_text(generated(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
