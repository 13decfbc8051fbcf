"""The reference site: it builds without a warning, documents the public API, and every code
block in it is one the documentation tests run (docs/conftest.py runs them)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\S*)", re.MULTILINE)


def test_every_code_block_is_one_the_doc_tests_run() -> None:
    pages = sorted(DOCS.rglob("*.md"))
    assert len(pages) >= 12, pages
    languages: dict[str, list[str]] = {}
    for page in pages:
        fences = FENCE.findall(page.read_text(encoding="utf-8"))
        assert len(fences) % 2 == 0, f"{page}: an unclosed code fence"
        for lang in fences[::2]:  # opening fences; closing ones are bare
            languages.setdefault(lang, []).append(page.relative_to(DOCS).as_posix())
    # ```python runs, ```pycon is a doctest, ```console runs each `$ command`; nothing else would.
    assert set(languages) <= {"python", "pycon", "console"}, {
        k: v for k, v in languages.items() if k not in ("python", "pycon", "console")
    }
    assert len(languages["pycon"]) >= 30
    for page in pages:
        for block in re.findall(r"^```pycon\n(.*?)^```", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL):
            assert block.startswith(">>> "), f"{page}: a pycon block that is not a session runs as plain code"


def test_site_builds_strict_with_the_api_reference(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make build-dev installs it)")
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    p = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "WARNING" not in p.stderr, p.stderr
    for page in [
        "index.html",
        "getting-started/index.html",
        "reference/python/index.html",
        "reference/cli/index.html",
        "reference/kubectl/index.html",
        "changelog/index.html",
    ]:
        assert (site / page).is_file(), page
    api = (site / "reference/python/index.html").read_text(encoding="utf-8")
    # Members from the Python sources and their docstrings, each with an anchor to link to.
    for anchor in [
        "kubesim.Cluster.apply",
        "kubesim.Cluster.run_until",
        "kubesim.Cluster.serve",
        "kubesim.Deployment.set_image",
        "kubesim.ImageRegistry.register",
        "kubesim.testing.assert_eventually",
        "kubesim.errors.InvalidObjectError",
        "kubesim.plot.rollout",
    ]:
        assert f'id="{anchor}"' in api, anchor
    assert "advances virtual time" in api or "virtual time" in api
    changelog = (site / "changelog/index.html").read_text(encoding="utf-8")
    assert "Unreleased" in changelog and "0.1.0" in changelog


def test_pip_lines_in_the_docs_must_name_this_project_and_its_extras() -> None:
    spec = importlib.util.spec_from_file_location("kubesim_docs_conftest", DOCS / "conftest.py")
    assert spec is not None and spec.loader is not None
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    conftest._check_pip_install(["kubesim"])
    conftest._check_pip_install(["-U", "kubesim[notebook,dask,test]"])
    for wrong in (["kubesim[gpu]"], ["kubesim-sim"], ["requests"], ["-U"]):
        with pytest.raises(AssertionError):
            conftest._check_pip_install(wrong)


def test_the_scope_page_names_every_served_kind_and_excludes_none() -> None:
    """docs/concepts/scope.md lists what is modelled: a kind added to the core must be added to its
    Objects table and taken out of the kinds it lists as not modelled."""
    from kubesim import _native

    page = (DOCS / "concepts" / "scope.md").read_text(encoding="utf-8")
    objects, _, rest = page.partition("## Objects")[2].partition("## Behaviour")
    kinds_not_modelled = rest.partition("## Not modelled")[2].split("\n- ")[1]
    assert kinds_not_modelled.startswith("Kinds beyond those above"), kinds_not_modelled
    table = {
        k for row in objects.splitlines() if row.startswith("| ") for k in re.findall(r"[A-Z]\w+", row.split("|")[1])
    }
    for kind in _native.served_kinds():
        assert kind in table, f"{kind} is served but missing from the Objects table of scope.md"
        assert not re.search(rf"\b{kind}s?\b", kinds_not_modelled), f"{kind} is served but listed as not modelled"
