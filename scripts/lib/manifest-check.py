#!/usr/bin/env python3
"""Each target imports what Package.swift declares for it. SwiftPM's own check
(`swift build --explicit-target-dependency-import-check error`, run by scripts/test) catches the other half:
an import that is not declared. Reads `swift package describe --type json` on standard input; prints each
declared dependency no source of its target imports, and exits 1 if there is any."""
import json
import os
import re
import sys

IMPORT = re.compile(r"^\s*(?:@\w+\s+)*(?:(?:public|package|internal|private|fileprivate)\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)", re.M)

package = json.load(sys.stdin)
unused = []
for target in package["targets"]:
    declared = set(target.get("target_dependencies", [])) | set(target.get("product_dependencies", []))
    imported = set()
    for source in target.get("sources", []):
        with open(os.path.join(target["path"], source), encoding="utf-8") as f:
            imported.update(IMPORT.findall(f.read()))
    unused += [f"{target['name']} declares {name} but never imports it" for name in sorted(declared - imported)]
print("\n".join(unused) if unused else f"every target of {len(package['targets'])} imports what it declares")
sys.exit(1 if unused else 0)
