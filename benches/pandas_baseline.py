#!/usr/bin/env python3
"""What a seller's analyst writes to do skulint's job with pandas: read the
export, find SKUs with double spaces or invisible characters and duplicate SKUs,
fix the spacing, report the problems and write the corrected workbook.

    python3 benches/pandas_baseline.py EXPORT.xlsx FIXED.xlsx [--layout shopee|lazada|tiktok]

Header rows follow the exports that benches/generate.rs writes (like the files
in fixtures/). benches/run.sh times this against `skulint check` + `skulint fix`.
"""
import argparse
import re
import sys

import pandas as pd

# Per layout: how many rows come before the header row that names the columns,
# the sheet, the SKU column, the stock column, and the id column that tells data
# rows from the instruction rows under the header.
LAYOUTS = {
    "shopee": dict(sheet=0, header=2, sku="SKU", stock="Stok", key="Kode Produk"),
    "lazada": dict(sheet="template", header=0, sku="SellerSKU", stock="Quantity", key="Product ID"),
    "tiktok": dict(sheet=0, header=2, sku="Seller SKU", stock="Quantity", key="Product ID"),
}
INVISIBLE = re.compile("[\u00a0\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("export")
    parser.add_argument("fixed")
    parser.add_argument("--layout", choices=LAYOUTS, default="shopee")
    args = parser.parse_args()
    layout = LAYOUTS[args.layout]

    df = pd.read_excel(args.export, sheet_name=layout["sheet"], header=layout["header"], dtype=str)
    # Instruction and requirement rows have no product id that is a number.
    df = df[df[layout["key"]].fillna("").str.fullmatch(r"\d+")]
    sku = df[layout["sku"]].fillna("")

    double_spaces = sku.str.contains("  ", regex=False)
    invisible = sku.str.contains(INVISIBLE)
    duplicated = sku.ne("") & sku.duplicated(keep=False)
    stock = pd.to_numeric(df[layout["stock"]], errors="coerce")
    bad_stock = stock.isna() | (stock < 0) | (stock % 1 != 0)

    fixed = (sku.str.replace(INVISIBLE, " ", regex=True)
                .str.replace(r" {2,}", " ", regex=True)
                .str.strip())
    df[layout["sku"]] = fixed.where(sku.ne(""), df[layout["sku"]])
    df.to_excel(args.fixed, index=False)

    print(f"{int(double_spaces.sum())} double spaces, {int(invisible.sum())} invisible characters, "
          f"{int(duplicated.sum())} duplicate SKUs, {int(bad_stock.sum())} bad stock cells; "
          f"{int((fixed != sku).sum())} SKUs fixed", file=sys.stderr)


if __name__ == "__main__":
    main()
