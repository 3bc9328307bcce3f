"""The plan of every listing's statement, as the storefront runs it (ProductSearchSQL, no parallel workers),
EXPLAIN (ANALYZE, BUFFERS) on a warm cache, written as a Markdown document:

    listing_plans.py OUTPUT PRODUCTS PSQL-COMMAND...

scripts/bench --catalog ... --plans FILE runs it against its largest catalog.
"""
import subprocess
import sys

PSQL = sys.argv[3:]


def explain(sql):
    statement = "SET max_parallel_workers_per_gather = 0; EXPLAIN (ANALYZE, BUFFERS) " + sql
    for _ in range(2):  # the second run is the one kept: warm, as a region that serves it all day
        done = subprocess.run(PSQL + ["-q", "-c", statement], capture_output=True, text=True, check=True)
    return done.stdout


instock = "EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND EXISTS (SELECT 1 FROM stock s WHERE s.sku = v.sku AND s.region = 'us-east' AND s.available > 0))"
shapes = [
 ("Newest first (`GET /v1/products`)", "products_newest",
  "SELECT p.id, (extract(epoch FROM p.created_at) * 1000000)::int8 AS sort_key, 0::float4 AS rank FROM products p\nWHERE p.price_from IS NOT NULL\nORDER BY p.created_at DESC, p.id DESC\nLIMIT 25"),
 ("Cheapest first (`sort=price_asc`)", "products_price",
  "SELECT p.id, p.price_from AS sort_key, 0::float4 AS rank FROM products p\nWHERE p.price_from IS NOT NULL\nORDER BY p.price_from ASC, p.id ASC\nLIMIT 25"),
 ("A category in stock, cheapest first (`category=running&in_stock=true&sort=price_asc`, the bench's)", "products_category_price",
  "SELECT p.id, p.price_from AS sort_key, 0::float4 AS rank FROM products p\nWHERE p.price_from IS NOT NULL\n  AND p.category = 'running'\n  AND " + instock + "\nORDER BY p.price_from ASC, p.id ASC\nLIMIT 25"),
 ("Its next page (keyset: after the 25th)", "products_category_price",
  "SELECT p.id, p.price_from AS sort_key, 0::float4 AS rank FROM products p\nWHERE p.price_from IS NOT NULL\n  AND p.category = 'running'\n  AND " + instock + "\n  AND (p.price_from, p.id) > (SELECT price_from, id FROM products WHERE category = 'running' ORDER BY price_from, id OFFSET 24 LIMIT 1)\nORDER BY p.price_from ASC, p.id ASC\nLIMIT 25"),
 ("A category in stock, newest first (`category=trail-running&in_stock=true&sort=newest`)", "products_category_newest",
  "SELECT p.id, (extract(epoch FROM p.created_at) * 1000000)::int8 AS sort_key, 0::float4 AS rank FROM products p\nWHERE p.price_from IS NOT NULL\n  AND p.category = 'trail-running'\n  AND " + instock + "\nORDER BY p.created_at DESC, p.id DESC\nLIMIT 25"),
 ("A brand, dearest first (`brand=...&sort=price_desc`)", "products_brand_price",
  "SELECT p.id, p.price_from AS sort_key, 0::float4 AS rank FROM products p\nWHERE p.price_from IS NOT NULL\n  AND p.brand = (SELECT slug FROM brands ORDER BY slug LIMIT 1)\nORDER BY p.price_from DESC, p.id DESC\nLIMIT 25"),
 ("Women's, EU 38 in red, newest first (`gender=women&size=eu:38&colour=red`)", "products_newest",
  "SELECT p.id, (extract(epoch FROM p.created_at) * 1000000)::int8 AS sort_key, 0::float4 AS rank FROM products p\nWHERE p.price_from IS NOT NULL\n  AND p.gender = 'women'\n  AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.eu_size_tenths = 380 AND v.colour = 'red')\nORDER BY p.created_at DESC, p.id DESC\nLIMIT 25"),
 ("Search, best match first (`q=waterproof trail`)", "products_search (GIN)",
  "SELECT p.id, 0::int8 AS sort_key, ts_rank(p.search, websearch_to_tsquery('english', 'waterproof trail')) AS rank FROM products p\nWHERE p.price_from IS NOT NULL\n  AND p.search @@ websearch_to_tsquery('english', 'waterproof trail')\nORDER BY ts_rank(p.search, websearch_to_tsquery('english', 'waterproof trail')) DESC, p.id ASC\nLIMIT 25"),
]
out = [
    f"# Every listing's plan at {int(sys.argv[2]):,} products\n",
    "Written by `scripts/bench --catalog ... --plans docs/listing-plans.md` against the bench's own region, seeded by",
    "`storefront seed`: each statement as `ProductSearchSQL` builds it for that listing (values written in place of",
    "its bound parameters, as the planner sees them), run twice and the second, warm plan kept, with no parallel",
    "workers, as the storefront's sessions run (`max_parallel_workers_per_gather = 0`). A page is read from the",
    "index whose order it asks for; a filter on variants or stock is checked per candidate, by index, until the",
    "page is full. Search is the exception: ranking by relevance ranks every match, so its cost grows with the",
    "number of matches (the GIN index finds them; `ts_rank` reads each).\n",
]
for title, index, sql in shapes:
    plan = explain(sql)
    out.append(f"## {title}\n\nServed by `{index}`.\n\n```sql\n{sql}\n```\n\n```\n{plan.rstrip()}\n```\n")
open(sys.argv[1], "w").write("\n".join(out))
