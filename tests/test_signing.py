"""A manifest anyone can verify: ``manifest.json.sig`` (SSH signature) and ``policykit verify``.

Real keys made here with ``ssh-keygen``, real builds of the project's site in
temp git repos (signed through the plugin option and through
``$POLICY_SITE_SIGNING_KEY``), real nginx, Netlify's own ``_headers`` parser,
and the two commands a regulator runs with standard tools alone.
"""

from __future__ import annotations

import hashlib
import json
import re
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitfixture import PROJECT, GitRepo
from nginx_server import NginxServer
from policykit.deploy import signing
from policykit.deploy.cache_rules import REVALIDATE
from policykit.deploy.finalize import finalize_site
from sitebuild import edit, mkdocs_build, new_site, set_setting
from synthetic_site import OWN_ASSETS, SOURCE_DATE, build_site
from test_cli import LANGS, generate, policykit
from test_headers_netlify import check_all, cloudflare, node_parser  # noqa: F401  (node_parser is a fixture)
from test_reproducible import tree_of

IDENTITY = "policy-office@example.org"


def keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", path.name, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL, timeout=30)
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    keygen(folder / "signer")
    keygen(folder / "other")
    keygen(folder / "locked", passphrase="correct horse battery staple")
    (folder / "not-a-key").write_text("just some text\n", encoding="utf-8")
    os.chmod(folder / "not-a-key", 0o600)
    public = (folder / "signer.pub").read_text(encoding="ascii").split()
    (folder / "allowed_signers").write_text(f'{IDENTITY} namespaces="policykit-manifest" {public[0]} {public[1]}\n',
                                            encoding="ascii")
    return folder


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, keys: Path) -> dict[str, Path]:
    """One commit with two versions, built in three clones: key by option, key by env var, no key."""
    base = tmp_path_factory.mktemp("signed")
    origin = new_site(base)
    origin.commit("Publish the policies", date="2021-03-01T09:00:00+08:00")
    edit(origin, "docs/en/privacy.md", "## General Provisions", "## General Provisions\n\nA new paragraph.")
    origin.commit("Explain more", date="2022-07-15T18:30:00-04:00")
    out: dict[str, Path] = {}
    for name in ("option", "env", "unsigned"):
        clone = GitRepo(base / name)
        GitRepo(base).run("clone", "-q", str(origin.path), str(clone.path))
        env = {"SOURCE_DATE_EPOCH": "", signing.SIGNING_KEY_ENV: ""}
        if name == "option":  # relative to mkdocs.yml's folder
            set_setting(clone, "signing_key", os.path.relpath(keys / "signer", clone.path))
        elif name == "env":
            env[signing.SIGNING_KEY_ENV] = str(keys / "signer")
        done = mkdocs_build(clone.path, "--strict", env=env)
        assert done.returncode == 0, done.stdout[-3000:]
        (clone.path / "build.log").write_text(done.stdout, encoding="utf-8")
        out[name] = clone.path
    return out


def regulator(site: Path, *command: str, stdin: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A standard tool run in the folder the regulator downloaded (no policykit, no Python)."""
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fh:
        return subprocess.run(list(command), cwd=site, stdin=fh, capture_output=True, text=True, timeout=30)


def copy_of(site: Path, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(site, target)
    return target


def records(site: Path) -> list[dict]:
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    return [r for langs in manifest["policies"]["versions"].values() for rs in langs.values() for r in rs]


# ----------------------------------------------------------------- building


def test_option_and_env_var_sign_byte_identical_sites(builds: dict[str, Path]) -> None:
    a, b = tree_of(builds["option"] / "site"), tree_of(builds["env"] / "site")
    assert sorted(a) == sorted(b) and "manifest.json.sig" in a
    assert [p for p in a if a[p] != b[p]] == []  # bytes and mtimes, the signature included
    assert a["manifest.json.sig"][0].startswith(b"-----BEGIN SSH SIGNATURE-----\n")
    assert a["manifest.json.sig"][1] == a["manifest.json"][1]
    deploy = [{p: v[0] for p, v in tree_of(builds[n] / "site-deploy").items()} for n in ("option", "env")]
    assert deploy[0] == deploy[1]
    for name in ("option", "env"):
        assert "Signed the manifest: site/manifest.json.sig" in (builds[name] / "build.log").read_text(encoding="utf-8")
    manifest = json.loads(a["manifest.json"][0])
    assert not any(e["path"].endswith(".sig") for e in manifest["urls"].values())  # not listed, like _headers


def test_without_a_key_no_signature_and_only_info(builds: dict[str, Path]) -> None:
    site = builds["unsigned"] / "site"
    assert not (site / "manifest.json.sig").exists()  # the build ran with --strict: nothing above INFO
    log = (builds["unsigned"] / "build.log").read_text(encoding="utf-8")
    assert "INFO    -  No signing key (plugin option 'signing_key' or $POLICY_SITE_SIGNING_KEY): manifest.json " \
           "is not signed." in log
    assert "manifest.json.sig" not in (site / "_headers").read_text(encoding="utf-8")
    signed = builds["option"] / "site"
    listed = [json.loads((s / "manifest.json").read_bytes())["urls"].keys() for s in (site, signed)]
    assert listed[0] == listed[1]  # the same files; a signed build's version pages also show the signature check
    record = re.compile(r'<details class="policy-record">(.*?)</details>', re.S)
    page = "en/privacy/versions/1/index.html"
    unsigned_text = record.search((site / page).read_text(encoding="utf-8")).group(1)
    signed_text = record.search((signed / page).read_text(encoding="utf-8")).group(1)
    assert "-n policykit-manifest" in signed_text and "manifest.json.sig" in signed_text
    assert "-n policykit-manifest" not in unsigned_text and "sha256sum source.md" in unsigned_text


def test_the_private_key_is_never_in_the_site(builds: dict[str, Path], keys: Path) -> None:
    secret = (keys / "signer").read_bytes()
    body = [line for line in secret.splitlines() if line and not line.startswith(b"-----")]
    for name in ("option", "env"):
        for folder in ("site", "site-deploy"):
            for path in (builds[name] / folder).rglob("*"):
                if path.is_file():
                    data = path.read_bytes()
                    assert secret not in data and not any(line in data for line in body), path


def test_signature_is_served_as_text_and_revalidated(builds: dict[str, Path], node_parser: Path, tmp_path: Path) -> None:  # noqa: F811
    project = builds["option"]
    site = project / "site"
    include = (project / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    with NginxServer(site, include) as server:
        status, headers, body = server.get("/manifest.json.sig")
        assert status == 200 and body == (site / "manifest.json.sig").read_bytes()
        assert headers["Content-Type"] == signing.SIGNATURE_TYPE
        assert headers.get_all("Cache-Control") == [REVALIDATE.cache_control]
        assert headers["X-Content-Type-Options"] == "nosniff"
        status, manifest_headers, _ = server.get("/manifest.json")
        assert status == 200 and manifest_headers["Content-Type"] == "application/json"
    (tmp_path / "urls").mkdir()
    from test_headers_netlify import parse
    parsed = parse(node_parser, site / "_headers", ["/manifest.json.sig"], tmp_path / "urls")
    assert parsed["errors"] == [] and len(parsed["rules"]) <= 100
    got = cloudflare(parsed, "/manifest.json.sig")
    assert got["content-type"] == signing.SIGNATURE_TYPE and got["cache-control"] == REVALIDATE.cache_control
    assert got["x-frame-options"] == "DENY"


def test_signed_headers_still_fit_every_file(node_parser: Path, tmp_path: Path, keys: Path) -> None:  # noqa: F811
    """The signature's rule is one more: every other URL keeps exactly its headers, within Cloudflare's 100 rules."""
    site = tmp_path / "site"
    key = signing.load_key(keys / "signer")
    result = finalize_site(site, build_site(site), own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={},
                           signing_key=key)
    assert result.signature_file == site / "manifest.json.sig"
    check_all(node_parser, result.headers_file, result.rules, tmp_path)


# ----------------------------------------------------------------- a regulator, with standard tools alone


def test_regulator_checks_one_version_with_two_standard_commands(builds: dict[str, Path], keys: Path,
                                                                 tmp_path: Path) -> None:
    project = builds["option"]
    include = (project / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    download = tmp_path / "download"
    (download / "en" / "privacy" / "versions" / "2").mkdir(parents=True)
    shutil.copy(keys / "allowed_signers", download / "allowed_signers")  # published by the policy owner elsewhere
    with NginxServer(project / "site", include) as server:
        for path in ("manifest.json", "manifest.json.sig", "en/privacy/versions/2/source.md"):
            status, _, body = server.get("/" + path)
            assert status == 200, path
            (download / path).write_bytes(body)
    # 1. the manifest is the one the owner signed
    done = regulator(download, "ssh-keygen", "-Y", "verify", "-f", "allowed_signers", "-I", IDENTITY,
                     "-n", "policykit-manifest", "-s", "manifest.json.sig", stdin=download / "manifest.json")
    assert done.returncode == 0, done.stderr
    assert f'Good "policykit-manifest" signature for {IDENTITY}' in done.stdout
    # 2. the version's text is the one the manifest records
    done = regulator(download, "sha256sum", "en/privacy/versions/2/source.md")
    assert done.returncode == 0, done.stderr
    digest = done.stdout.split()[0]
    macos = regulator(download, "shasum", "-a", "256", "en/privacy/versions/2/source.md")  # macOS has no sha256sum
    assert macos.returncode == 0 and macos.stdout.split()[0] == digest
    record = next(r for r in records(project / "site") if r["source"] == "en/privacy/versions/2/source.md")
    assert digest == record["source_sha256"]
    # ... which the regulator reads in the signed manifest, beside the path (keys are sorted: source_sha256 follows)
    shown = regulator(download, "grep", "-A1", '"source": "en/privacy/versions/2/source.md"', "manifest.json").stdout
    assert shown.split("\n")[1].strip() == f'"source_sha256": "{digest}"'
    # a changed byte is caught by the same two commands
    (download / "manifest.json").write_bytes((download / "manifest.json").read_bytes().replace(b'"number": 2',
                                                                                                b'"number": 3', 1))
    done = regulator(download, "ssh-keygen", "-Y", "verify", "-f", "allowed_signers", "-I", IDENTITY,
                     "-n", "policykit-manifest", "-s", "manifest.json.sig", stdin=download / "manifest.json")
    assert done.returncode != 0


# ----------------------------------------------------------------- policykit verify


def verify(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return policykit("verify", str(site), *args, cwd=site.parent)


def test_verify_passes_with_a_public_key_or_allowed_signers(builds: dict[str, Path], keys: Path) -> None:
    site = builds["option"] / "site"
    done = verify(site, "--public-key", str(keys / "signer.pub"))
    assert done.returncode == 0, done.stderr
    assert "signature good (Good \"policykit-manifest\" signature" in done.stderr
    assert f"{len(records(site))} published versions present" in done.stderr and len(records(site)) >= 4
    done = verify(site, "--allowed-signers", str(keys / "allowed_signers"), "--identity", IDENTITY)
    assert done.returncode == 0, done.stderr
    done = verify(site)
    assert done.returncode == 0, done.stderr
    assert "signature NOT checked" in done.stderr
    done = verify(builds["unsigned"] / "site")
    assert done.returncode == 0 and "the manifest is not signed" in done.stderr, done.stderr


def test_a_tampered_file_fails(builds: dict[str, Path], keys: Path, tmp_path: Path) -> None:
    site = copy_of(builds["option"] / "site", tmp_path)
    page = site / "en" / "privacy" / "versions" / "1" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"Privacy", b"Pr1vacy", 1))
    done = verify(site, "--public-key", str(keys / "signer.pub"))
    assert done.returncode == 1
    assert "content differs: en/privacy/versions/1/index.html" in done.stderr
    assert "signature:" not in done.stderr and "Traceback" not in done.stderr


def test_a_tampered_manifest_fails_on_the_signature(builds: dict[str, Path], keys: Path, tmp_path: Path) -> None:
    """Whoever changes a page and writes its new hash into manifest.json still cannot sign it."""
    site = copy_of(builds["option"] / "site", tmp_path)
    page = site / "en" / "privacy" / "index.html"
    old = page.read_bytes()
    new = old.replace(b"Privacy", b"Pr1vacy", 1)
    page.write_bytes(new)
    manifest = site / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(hashlib.sha256(old).hexdigest().encode(),
                                                       hashlib.sha256(new).hexdigest().encode()))
    assert verify(site).returncode == 0  # the hashes alone agree now
    done = verify(site, "--public-key", str(keys / "signer.pub"))
    assert done.returncode == 1
    assert f"signature: {site / 'manifest.json.sig'}: the signature does not verify" in done.stderr
    assert "ssh-keygen said: Could not verify signature." in done.stderr


@pytest.mark.parametrize(("removed", "message"), [
    ("en/privacy/versions/1/index.html", "privacy (en) version 1: its page en/privacy/versions/1/index.html is missing"),
    ("en/privacy/versions/2/source.md", "privacy (en) version 2: its source en/privacy/versions/2/source.md is missing"),
])
def test_a_removed_version_fails(builds: dict[str, Path], keys: Path, tmp_path: Path, removed: str, message: str) -> None:
    site = copy_of(builds["option"] / "site", tmp_path)
    (site / removed).unlink()
    done = verify(site, "--public-key", str(keys / "signer.pub"))
    assert done.returncode == 1
    assert message in done.stderr and f"missing: {removed}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wrong_key_or_a_missing_signature_fails(builds: dict[str, Path], keys: Path, tmp_path: Path) -> None:
    site = copy_of(builds["option"] / "site", tmp_path)
    done = verify(site, "--public-key", str(keys / "other.pub"))
    assert done.returncode == 1
    assert "the signature does not verify for 'policykit-manifest-signer'" in done.stderr
    done = verify(site, "--allowed-signers", str(keys / "allowed_signers"), "--identity", "someone@example.org")
    assert done.returncode == 1 and "does not verify for 'someone@example.org'" in done.stderr
    (site / "manifest.json.sig").unlink()
    done = verify(site, "--public-key", str(keys / "signer.pub"))
    assert done.returncode == 1
    assert f"no signature: {site / 'manifest.json.sig'} is missing" in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--identity", IDENTITY], "--allowed-signers FILE and --identity ID go together"),
    (["--allowed-signers", "allowed_signers"], "--allowed-signers FILE and --identity ID go together"),
    (["--public-key", "signer.pub", "--allowed-signers", "allowed_signers", "--identity", IDENTITY], "not both"),
    (["--public-key", "nowhere.pub"], "nowhere.pub: no such file"),
])
def test_verify_usage_errors(builds: dict[str, Path], keys: Path, args: list[str], message: str) -> None:
    done = policykit("verify", str(builds["option"] / "site"), *args, cwd=keys)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_a_private_key_given_as_public_key_is_a_message(builds: dict[str, Path], keys: Path) -> None:
    done = verify(builds["option"] / "site", "--public-key", str(keys / "signer"))
    assert done.returncode == 1
    assert f"public key {keys / 'signer'}: not an OpenSSH public key" in done.stderr


# ----------------------------------------------------------------- keys that cannot sign


@pytest.fixture()
def fresh(tmp_path: Path) -> GitRepo:
    repo = new_site(tmp_path)
    repo.commit("Publish", date="2021-03-01T09:00:00+08:00")
    return repo


@pytest.mark.parametrize(("key", "message"), [
    ("missing-key", "missing-key: no such file"),
    ("locked", "locked is protected by a passphrase, and a build cannot type one"),
    ("not-a-key", "not-a-key is not an OpenSSH private key"),
    ("signer.pub", "signer.pub is a public key"),
])
def test_a_key_that_cannot_sign_fails_the_build_fast_and_leaves_no_site(fresh: GitRepo, keys: Path, key: str,
                                                                       message: str) -> None:
    set_setting(fresh, "signing_key", str(keys / key))
    start = time.monotonic()
    done = mkdocs_build(fresh.path, "--strict", env={signing.SIGNING_KEY_ENV: ""})
    assert time.monotonic() - start < 60  # fails before any page is built (a prompt would wait forever)
    assert done.returncode == 1
    assert "mkdocs.yml: option 'signing_key': signing key " in done.stdout and "Aborted with a BuildError" in done.stdout
    assert message in done.stdout and str(keys) in done.stdout
    assert "Traceback" not in done.stdout
    assert not (fresh.path / "site").exists() and not (fresh.path / "site-deploy").exists()


def test_a_key_inside_docs_is_refused(fresh: GitRepo, keys: Path) -> None:
    shutil.copy(keys / "signer", fresh.path / "docs" / "signer")
    done = mkdocs_build(fresh.path, env={signing.SIGNING_KEY_ENV: str(fresh.path / "docs" / "signer")})
    assert done.returncode == 1
    assert "$POLICY_SITE_SIGNING_KEY: signing key" in done.stdout and "which is published" in done.stdout
    assert not (fresh.path / "site").exists()


def test_a_passphrase_prompt_never_reaches_a_terminal(keys: Path, tmp_path: Path) -> None:
    """Even with a controlling terminal (``script`` gives the child one), signing with a locked key fails at once."""
    code = ("import sys; from pathlib import Path; from policykit.deploy import signing\n"
            f"key = signing.SigningKey(Path({str(keys / 'locked')!r}), '')\n"
            "try:\n    signing.sign(key, b'{}')\nexcept signing.SigningError as exc:\n    print('REFUSED', exc)\n")
    (tmp_path / "sign.py").write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "hooks")}
    start = time.monotonic()
    done = subprocess.run(["script", "-qec", f"{sys.executable} {tmp_path / 'sign.py'}", "/dev/null"],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=25)
    assert time.monotonic() - start < signing.TIMEOUT
    assert "REFUSED signing key" in done.stdout and "is protected by a passphrase" in done.stdout, done.stdout


# ----------------------------------------------------------------- the command line (any generator)


def test_finalize_signs_and_refuses_a_bad_key_before_writing(keys: Path, tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".gitignore", "site/\nsite-deploy/\n")
    repo.write("docs/en/privacy.md", "# Privacy\n\nWe collect e-mail addresses.\n")
    repo.write("docs/zh-Hant/privacy.md", "# 隱私政策\n\n我們收集電子郵件地址。\n")
    repo.commit("Privacy", date="2024-01-10T09:00:00+08:00")
    generate(repo, repo.path / "site")
    before = sorted(p.relative_to(repo.path).as_posix() for p in repo.path.rglob("*") if ".git" not in p.parts)
    bad = policykit("finalize", "site", "--docs", "docs", *LANGS, "--signing-key", str(keys / "locked"), cwd=repo.path)
    assert bad.returncode == 1 and "--signing-key: signing key" in bad.stderr and "passphrase" in bad.stderr
    assert sorted(p.relative_to(repo.path).as_posix() for p in repo.path.rglob("*") if ".git" not in p.parts) == before
    done = policykit("finalize", "site", "--docs", "docs", *LANGS, "--signing-key", str(keys / "signer"), cwd=repo.path)
    assert done.returncode == 0, done.stderr
    assert "Signed: site/manifest.json.sig" in done.stderr
    ok = policykit("verify", "site", "--public-key", str(keys / "signer.pub"), cwd=repo.path)
    assert ok.returncode == 0 and "signature good" in ok.stderr, ok.stderr
    again = policykit("finalize", "site", "--docs", "docs", *LANGS, cwd=repo.path)  # unsigned now
    assert again.returncode == 0, again.stderr
    assert not (repo.path / "site" / "manifest.json.sig").exists()  # no stale signature of another manifest


def test_a_committed_signature_file_would_collide() -> None:
    """``docs/manifest.json.sig`` would be published where the build writes the signature: refused like _headers."""
    from policykit import generated
    assert generated.collisions({"manifest.json.sig": "docs/en/manifest.json.sig"}, language_roots=[""],
                                policy_folders=[]) == [("docs/en/manifest.json.sig", "manifest.json.sig",
                                                        "the manifest's signature")]
