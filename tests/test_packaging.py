"""Packaging: one version everywhere, the release tools' rules, and a release workflow that parses and
mirrors `make wheels`.

The wheels themselves are checked as shipped by `make wheels` (auditwheel, tools/check_wheels.py) and
`make wheel-check` (each installed with --no-index into a fresh venv, tools/wheel_smoke.py); these tests
pin the rules those tools apply and the facts the docs state.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import importlib.util
import io
import re
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
import yaml

import modelwire
from modelwire.providers import _base
from parse_support import rust

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _makefile_value(name: str) -> str:
    found = re.search(rf"^{name} \??:?= (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found, name
    return found.group(1).strip()


# ---- one version -----------------------------------------------------------------------------------------


def test_one_version_everywhere() -> None:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project  # maturin takes it from Cargo
    assert project["dynamic"] == ["version"]
    assert modelwire.__version__ == cargo
    assert importlib.metadata.version("modelwire") == cargo  # what the installed wheel says
    assert f"modelwire/{cargo}" == _base.USER_AGENT
    if rust is not None:
        assert rust.__version__ == cargo


def test_the_changelog_has_this_release() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[?([^\]\s]+)\]?", changelog, re.MULTILINE)
    assert headings[:2] in ([modelwire.__version__], ["Unreleased", modelwire.__version__])


# ---- tools/check_wheels.py: what auditwheel must confirm -------------------------------------------------

# `auditwheel show` (6.8.2) on the cp311 wheel `make wheels` built.
AUDITWHEEL_2_17 = """
modelwire-0.1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
is consistent with the following platform tag:
"manylinux_2_17_x86_64".

The wheel references external versioned symbols in these
system-provided shared libraries: libc.so.6 with versions
{'GLIBC_2.3.4', 'GLIBC_2.14', 'GLIBC_2.2.5', 'GLIBC_2.3'}

This constrains the platform tag to "manylinux_2_17_x86_64". In order
to achieve a more compatible tag, you would need to recompile a new
wheel from source on a system with earlier versions of these
libraries, such as a recent manylinux image.
"""
# The same for a wheel built without zig on this machine's glibc (what the issue found).
AUDITWHEEL_2_34 = AUDITWHEEL_2_17.replace('"manylinux_2_17_x86_64"', '"manylinux_2_34_x86_64"')
CLAIM = ["manylinux2014_x86_64", "manylinux_2_17_x86_64"]


def test_a_wheel_auditwheel_confirms_passes() -> None:
    check = _tool("check_wheels")
    assert check.reported_tag(AUDITWHEEL_2_17) == "manylinux_2_17_x86_64"
    assert check.tag_problems(CLAIM, check.reported_tag(AUDITWHEEL_2_17)) == []
    assert check.tag_problems(["manylinux_2_17_x86_64"], "manylinux_2_5_x86_64") == []  # stricter is fine


def test_a_relabelled_wheel_fails() -> None:
    check = _tool("check_wheels")
    problems = check.tag_problems(CLAIM, check.reported_tag(AUDITWHEEL_2_34))
    assert len(problems) == 2
    assert all("relabel" in problem and "manylinux_2_34_x86_64" in problem for problem in problems)


@pytest.mark.parametrize(
    ("claimed", "reported", "expected"),
    [
        (["manylinux_2_28_x86_64"], "manylinux_2_28_x86_64", "newer than manylinux"),
        (["manylinux_2_17_aarch64"], "manylinux_2_17_x86_64", "does not match"),
        (["linux_x86_64"], "linux_x86_64", "not a portable"),
        (["musllinux_1_1_x86_64"], "musllinux_1_2_x86_64", "relabel"),
        (["musllinux_1_2_x86_64"], "manylinux_2_17_x86_64", "does not match"),
        (CLAIM, None, "no platform tag"),
    ],
)
def test_a_wheel_that_is_not_portable_fails(claimed: list[str], reported: str | None, expected: str) -> None:
    problems = _tool("check_wheels").tag_problems(claimed, reported)
    assert problems
    assert expected in problems[0]


# ---- tools/pure_wheel.py: the pure wheel is the binary one without _core -------------------------------


def _fake_binary_wheel(directory: Path) -> Path:
    path = directory / "modelwire-9.9.9-cp311-cp311-manylinux_2_17_x86_64.whl"
    info = "modelwire-9.9.9.dist-info"
    files = {
        "modelwire/__init__.py": b"x = 1\n",
        "modelwire/_core.cpython-311-x86_64-linux-gnu.so": b"\x7fELF",
        "modelwire/_core.pyi": b"def f() -> None: ...\n",
        f"{info}/METADATA": b"Metadata-Version: 2.4\nName: modelwire\nVersion: 9.9.9\n",
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: maturin\nRoot-Is-Purelib: false\n"
        b"Tag: cp311-cp311-manylinux_2_17_x86_64\n",
        f"{info}/sboms/modelwire-py.cyclonedx.json": b"{}",
        f"{info}/RECORD": b"stale",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_the_pure_wheel_drops_the_extension_and_records_every_file(tmp_path: Path) -> None:
    pure = _tool("pure_wheel").repack(_fake_binary_wheel(tmp_path), tmp_path)
    assert pure.name == "modelwire-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(pure) as archive:
        names = set(archive.namelist())
        info = "modelwire-9.9.9.dist-info"
        assert names == {"modelwire/__init__.py", f"{info}/METADATA", f"{info}/WHEEL", f"{info}/RECORD"}
        wheel = archive.read(f"{info}/WHEEL").decode()
        assert "Tag: py3-none-any" in wheel
        assert "Root-Is-Purelib: true" in wheel
        assert "cp311" not in wheel
        record = list(csv.reader(io.StringIO(archive.read(f"{info}/RECORD").decode())))
        assert {row[0] for row in record} == names
        for name, digest, size in record:
            if name.endswith("RECORD"):
                continue
            data = archive.read(name)
            assert size == str(len(data))
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}"


def test_repacking_something_without_an_extension_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "modelwire-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("modelwire/__init__.py", "")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(SystemExit, match="no modelwire/_core"):
        _tool("pure_wheel").repack(source, out)


# ---- the release workflow ----------------------------------------------------------------------------------


def _workflow() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_the_release_workflow_builds_what_make_wheels_builds_and_more() -> None:
    workflow = _workflow()
    env = workflow["env"]
    assert isinstance(env, dict)
    local = _makefile_value("WHEEL_PYTHONS").split()
    assert env["PYTHONS"].split() == [*local, "3.14"]
    assert env["INTERPRETERS"].split() == [f"python{v}" for v in env["PYTHONS"].split()]
    assert env["PYTHON_TAGS"].split() == ["cp" + v.replace(".", "") for v in env["PYTHONS"].split()]
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    entries = jobs["wheels"]["strategy"]["matrix"]["include"]
    platforms = {(entry["os"].split("-")[0], entry["target"], entry["libc"]) for entry in entries}
    assert platforms == {
        ("ubuntu", "x86_64", "manylinux2014"), ("ubuntu", "aarch64", "manylinux2014"),
        ("ubuntu", "x86_64", "musllinux_1_2"), ("ubuntu", "aarch64", "musllinux_1_2"),
        ("macos", "x86_64", ""), ("macos", "aarch64", ""), ("windows", "x64", ""),
    }  # fmt: skip
    # The manylinux builds pass maturin exactly the Makefile's arguments.
    release = _makefile_value("MATURIN_RELEASE")
    build = next(step for step in jobs["wheels"]["steps"] if step.get("uses", "").startswith("PyO3/maturin"))
    for entry in entries:
        if entry["libc"] == "manylinux2014":
            args = build["with"]["args"].replace("${{ matrix.args }}", entry["args"])
            assert release in args
    pure = "\n".join(step.get("run", "") for step in jobs["pure-and-sdist"]["steps"])
    assert f"maturin build {release}" in pure
    assert "tools/pure_wheel.py" in pure
    assert "maturin sdist" in pure


def test_the_release_workflow_publishes_only_tags_with_trusted_publishing() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {"contents": "read"}
    publish = workflow["jobs"]["publish"]  # type: ignore[index]
    assert publish["permissions"] == {"id-token": "write"}
    assert "refs/tags/v" in publish["if"]
    assert "push" in publish["if"]
    assert set(publish["needs"]) == {"wheels", "pure-and-sdist"}
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert uses[-1].startswith("pypa/gh-action-pypi-publish@")
    assert not any("password" in str(step.get("with", {})) for step in publish["steps"])
