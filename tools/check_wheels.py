"""Check the release artifacts in a directory before anyone installs them; exit 1 naming every problem.

    python tools/check_wheels.py dist --pythons cp311 cp312 cp313

- every binary Linux wheel: ``auditwheel show`` must confirm the platform tag its file name claims, and
  that tag must be ``manylinux_2_17`` (manylinux2014) or stricter, so the wheel installs on RHEL/Rocky 8,
  Ubuntu 20.04, Debian 11 and Amazon Linux 2 (``musllinux_1_2`` or stricter for musl);
- every binary wheel holds exactly one ``modelwire/_core`` built for its Python tag;
- one binary wheel for each Python given with ``--pythons``;
- the pure wheel (``py3-none-any``) exists, holds no ``_core`` and carries the binary wheels' metadata;
- the sdist exists; every artifact has the same version.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import zipfile
from pathlib import Path

# The newest libc a wheel may need: manylinux2014 (glibc 2.17) and musllinux_1_2 (musl 1.2).
CEILING = {"manylinux": (2, 17), "musllinux": (1, 2)}
LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_TAG = re.compile(r"^(?:(manylinux|musllinux)_(\d+)_(\d+)|(manylinux1|manylinux2010|manylinux2014))_(\w+)$")
_CONSTRAINT = re.compile(r'constrains the platform tag to\s+"([^"]+)"')
_CONSISTENT = re.compile(r'consistent with the following platform tag:\s+"([^"]+)"')
_WHEEL = re.compile(r"^modelwire-(?P<version>[^-]+)-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>.+)\.whl$")


def libc_of(tag: str) -> tuple[str, tuple[int, int], str] | None:
    """``manylinux_2_17_x86_64`` -> ("manylinux", (2, 17), "x86_64"); legacy aliases too; None for any
    tag that is not a manylinux/musllinux one."""
    match = _TAG.match(tag)
    if match is None:
        return None
    family, major, minor, legacy, arch = match.groups()
    if legacy:
        return "manylinux", LEGACY[legacy], arch
    return family, (int(major), int(minor)), arch


def reported_tag(auditwheel_output: str) -> str | None:
    """The platform tag ``auditwheel show`` says the wheel is consistent with (its strongest constraint)."""
    found = _CONSTRAINT.search(auditwheel_output) or _CONSISTENT.search(auditwheel_output)
    return found.group(1) if found else None


def tag_problems(claimed: list[str], reported: str | None) -> list[str]:
    """What is wrong with a wheel claiming ``claimed`` platform tags when auditwheel reported ``reported``."""
    if reported is None:
        return ["auditwheel reported no platform tag"]
    actual = libc_of(reported)
    if actual is None:
        return [f"auditwheel says {reported!r}: not a portable (manylinux/musllinux) wheel"]
    problems = []
    for tag in claimed:
        claim = libc_of(tag)
        if claim is None:
            problems.append(f"tag {tag!r} is not a manylinux/musllinux tag")
        elif (claim[0], claim[2]) != (actual[0], actual[2]):
            problems.append(f"tag {tag!r} does not match what auditwheel found, {reported!r}")
        elif claim[1] > CEILING[claim[0]]:
            problems.append(f"tag {tag!r} needs libc {claim[1]}, newer than {claim[0]} {CEILING[claim[0]]}")
        elif actual[1] > claim[1]:
            problems.append(f"tag {tag!r} is a relabel: auditwheel says the wheel needs {reported!r}")
    return problems


def _check_binary(wheel: Path, match: re.Match[str]) -> list[str]:
    problems = []
    claimed = match["platform"].split(".")
    if any(tag.startswith(("manylinux", "musllinux", "linux")) for tag in claimed):
        shown = subprocess.run(
            ["auditwheel", "show", str(wheel)], capture_output=True, text=True, check=False
        )
        problems += tag_problems(claimed, reported_tag(shown.stdout + shown.stderr))
    with zipfile.ZipFile(wheel) as archive:
        cores = [n for n in archive.namelist() if re.match(r"modelwire/_core\.[^/]*\.(so|pyd)$", n)]
    abi = match["abi"].removeprefix("cp").removesuffix("t")
    if len(cores) != 1:
        problems.append(f"holds {len(cores)} compiled _core modules: {cores}")
    elif f"-{abi}" not in cores[0] and f"cp{abi}" not in cores[0]:
        problems.append(f"its {cores[0]} is not built for {match['abi']}")
    return problems


def _metadata(wheel: Path, version: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"modelwire-{version}.dist-info/METADATA")


def check(dist: Path, pythons: list[str], *, complete: bool = True) -> list[str]:
    problems: list[str] = []
    wheels = sorted(dist.glob("modelwire-*.whl"))
    versions = set()
    binaries: dict[str, Path] = {}
    pure: Path | None = None
    for wheel in wheels:
        match = _WHEEL.match(wheel.name)
        if match is None:
            problems.append(f"{wheel.name}: not a wheel file name")
            continue
        versions.add(match["version"])
        if match["platform"] == "any":
            pure = wheel
            with zipfile.ZipFile(wheel) as archive:
                if any(name.startswith("modelwire/_core.") for name in archive.namelist()):
                    problems.append(f"{wheel.name}: the pure wheel holds a _core module")
            continue
        binaries[match["python"]] = wheel
        problems += [f"{wheel.name}: {problem}" for problem in _check_binary(wheel, match)]
    problems += [f"no binary wheel for {python}" for python in pythons if python not in binaries]
    if not complete:  # one platform's job: its binary wheels only
        return problems
    sdists = sorted(dist.glob("modelwire-*.tar.gz"))
    versions.update(path.name.removeprefix("modelwire-").removesuffix(".tar.gz") for path in sdists)
    if not sdists:
        problems.append("no sdist")
    if len(versions) > 1:
        problems.append(f"artifacts disagree on the version: {sorted(versions)}")
    if pure is None:
        problems.append("no pure-Python wheel (py3-none-any)")
    elif len(versions) == 1:
        version = versions.pop()
        metadata = _metadata(pure, version)
        problems += [f"{w.name}: METADATA differs from the pure wheel's" for w in binaries.values()
                     if _metadata(w, version) != metadata]  # fmt: skip
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path, nargs="?", default=Path("dist"))
    parser.add_argument("--pythons", nargs="*", default=[], help="python tags that need a wheel (cp311 ...)")
    parser.add_argument(
        "--binary-only", action="store_true", help="only the binary wheels (one platform's CI job)"
    )
    args = parser.parse_args(argv)
    problems = check(args.dist, args.pythons, complete=not args.binary_only)
    for problem in problems:
        print(f"check_wheels: {problem}", file=sys.stderr)
    if not problems:
        names = sorted(path.name for path in args.dist.glob("modelwire-*"))
        print("check_wheels: ok:\n  " + "\n  ".join(names))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
