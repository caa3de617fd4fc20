"""Make the pure-Python wheel (``py3-none-any``) from a binary wheel of the same build.

    python tools/pure_wheel.py dist/modelwire-0.1.0-cp311-cp311-manylinux_2_17_x86_64...whl -o dist

It repacks rather than building twice: every file of the binary wheel is copied byte for byte except the
compiled extension and its stub (``modelwire/_core.*``), any vendored-library directory and the Rust
crates' SBOM; ``WHEEL`` is
rewritten for a pure wheel and ``RECORD`` recomputed. So the two wheels carry the very same metadata
(version, dependencies, extras, entry points, license, README) from the one maturin build of pyproject.toml,
with no second build backend to keep in step. The result imports with ``modelwire.BACKEND == "python"``.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import re
import sys
import zipfile
from pathlib import Path

PURE_TAG = "py3-none-any"
# The extension module, its type stub, libraries auditwheel/delocate may vendor beside the package, and
# the SBOM of the Rust crates (none of which is in the pure wheel).
DROPPED = re.compile(
    r"^(?:modelwire/_core\.[^/]+|[^/]+\.libs/.*|[^/]+\.dylibs/.*|[^/]+\.dist-info/sboms/.*)$"
)
WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-(?P<tags>.+)\.whl$")


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _wheel_file(text: str) -> str:
    """The ``WHEEL`` metadata of a pure wheel: the original's fields, one pure tag, purelib root."""
    kept = [
        line
        for line in text.splitlines()
        if line and not line.startswith(("Tag:", "Root-Is-Purelib:", "Generator:"))
    ]
    extra = ["Generator: modelwire tools/pure_wheel.py", "Root-Is-Purelib: true", f"Tag: {PURE_TAG}"]
    return "\n".join([*kept, *extra]) + "\n"


def repack(binary: Path, out_dir: Path) -> Path:
    match = WHEEL_NAME.match(binary.name)
    if match is None:
        raise SystemExit(f"{binary.name}: not a wheel file name")
    name, version = match["name"], match["version"]
    dist_info = f"{name}-{version}.dist-info"
    target = out_dir / f"{name}-{version}-{PURE_TAG}.whl"
    rows: list[tuple[str, str, str]] = []
    dropped: list[str] = []
    with zipfile.ZipFile(binary) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for info in source.infolist():
            path = info.filename
            if path == f"{dist_info}/RECORD":
                continue
            if DROPPED.match(path):
                dropped.append(path)
                continue
            data = source.read(info)
            if path == f"{dist_info}/WHEEL":
                data = _wheel_file(data.decode()).encode()
            entry = zipfile.ZipInfo(path, date_time=info.date_time)
            entry.external_attr = info.external_attr
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
            rows.append((path, _record_hash(data), str(len(data))))
        if not any(path.startswith("modelwire/_core.") for path in dropped):
            raise SystemExit(f"{binary.name}: no modelwire/_core extension found; is it a binary wheel?")
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerows([*rows, (f"{dist_info}/RECORD", "", "")])
        entry = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        wheel.writestr(entry, record.getvalue())
    print(f"{target} (from {binary.name}; left out: {', '.join(dropped)})")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="a binary modelwire wheel")
    parser.add_argument("-o", "--out-dir", type=Path, default=Path("dist"))
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    repack(args.wheel, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
