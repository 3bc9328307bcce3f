#!/usr/bin/env python3
"""Each target imports exactly what Package.swift declares for it: every declared dependency is imported
somewhere in the target, and every imported module is declared directly, target or product. SwiftPM's own
check (`swift build --explicit-target-dependency-import-check error`, run by scripts/test) sees only
targets of this package: a product module reached through another dependency (NIOCore through
PostgresNIO) passes it. Reads `swift package describe --type json` on standard input; prints each finding,
and exits 1 if there is any."""
import json
import os
import re
import sys

IMPORT = re.compile(r"^\s*(?:@\w+\s+)*(?:(?:public|package|internal|private|fileprivate)\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)", re.M)

# The toolchain's own modules, never declared.
SYSTEM = {"Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Musl", "Darwin", "Synchronization", "Testing", "XCTest",
          "_Concurrency", "Observation", "RegexBuilder"}

package = json.load(sys.stdin)
findings = []
for target in package["targets"]:
    declared = set(target.get("target_dependencies", [])) | set(target.get("product_dependencies", []))
    imported = set()
    for source in target.get("sources", []):
        with open(os.path.join(target["path"], source), encoding="utf-8") as f:
            imported.update(IMPORT.findall(f.read()))
    findings += [f"{target['name']} declares {name} but never imports it" for name in sorted(declared - imported)]
    findings += [f"{target['name']} imports {name} without declaring it" for name in sorted(imported - declared - SYSTEM - {target["name"]})]
print("\n".join(findings) if findings else f"every target of {len(package['targets'])} imports exactly what it declares")
sys.exit(1 if findings else 0)
