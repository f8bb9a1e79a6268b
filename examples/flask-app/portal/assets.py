"""Static assets: content-fingerprinted names plus a pre-compressed .gz twin of each file.

Built once (in the image's builder stage, or at start-up when no build is present). Fingerprinted names
never change content, so they can be cached for a year; a new release gets new names.
"""

import gzip
import hashlib
import json
import os
import shutil
from pathlib import Path

SOURCE_DIR = Path(__file__).parent / "static_src"
MANIFEST = "manifest.json"
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".html"}


def build_assets(out_dir: Path, source_dir: Path = SOURCE_DIR) -> dict:
    """Write `name.<hash>.ext` (and `.gz` for text) into out_dir; return {logical name: built name}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for source in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        logical = source.relative_to(source_dir).as_posix()
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:12]
        built = f"{source.stem}.{digest}{source.suffix}"
        target = out_dir / Path(logical).parent / built
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if source.suffix in COMPRESSIBLE:
            # mtime=0 keeps the .gz byte-identical across builds, so image layers stay cacheable.
            with open(f"{target}.gz", "wb") as raw, gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
            ) as gz:
                gz.write(data)
        manifest[logical] = (Path(logical).parent / built).as_posix()
    tmp = out_dir / f".{MANIFEST}.tmp{os.getpid()}"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(out_dir / MANIFEST)
    return manifest


def load_manifest(out_dir: Path) -> dict:
    path = out_dir / MANIFEST
    if not path.exists():
        return build_assets(out_dir)
    return json.loads(path.read_text())


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "static-build")
    if target.exists():
        shutil.rmtree(target)
    print(json.dumps(build_assets(target)))
