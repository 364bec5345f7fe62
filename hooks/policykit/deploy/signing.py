"""Sign ``manifest.json`` with an SSH signature, and check one, with OpenSSH's ``ssh-keygen``.

The signature is ``manifest.json.sig`` beside ``manifest.json`` (an armored
SSHSIG, the format ``git`` writes for SSH-signed commits), made by::

    ssh-keygen -Y sign -n policykit-manifest -f KEY manifest.json

and checked by anyone, with OpenSSH alone::

    ssh-keygen -Y verify -f allowed_signers -I ID -n policykit-manifest -s manifest.json.sig < manifest.json

Why SSH signatures
------------------
* **Already installed.** ``ssh-keygen`` (OpenSSH 8.1 or later) is on every
  Debian/Ubuntu, macOS and BSD machine and in Git for Windows; a regulator
  needs no new tool and no account.  minisign is a separate install almost
  everywhere; Sigstore (cosign) needs the network, an identity provider and a
  transparency log at signing time, which a build must not depend on.
* **Reproducible.** Ed25519 signatures are deterministic and SSHSIG carries
  no timestamp, so two builds of one commit with one key write the same
  bytes.  (RSA keys sign deterministically too; ECDSA signatures are
  randomised, so with an ECDSA key two builds differ in this one file.)
* **Keys people already manage.** The allowed-signers file is the one
  ``git config gpg.ssh.allowedSignersFile`` uses; the namespace
  ``policykit-manifest`` keeps a manifest signature from being replayed as a
  commit or e-mail signature and the other way round.

The key
-------
A private key file without a passphrase (a build cannot type one: a CI secret
written to a file is the usual way), given as the plugin option
``signing_key``, ``$POLICY_SITE_SIGNING_KEY`` or ``policykit finalize
--signing-key``.  It is read by ``ssh-keygen`` only, never copied: nothing
of it reaches the site.  A key inside the folder that is published is refused.

Every ``ssh-keygen`` call runs with stdin closed, in a new session (no
controlling terminal, so no passphrase prompt can reach a person), without
askpass or agent, under a timeout: a bad key is an error, never a hang.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from policykit.deploy.cache_rules import REVALIDATE, SIGNATURE_FILE, CacheClass
from policykit.deploy.header_files import HeaderRule, nginx_quote

NAMESPACE = "policykit-manifest"
SIGNING_KEY_ENV = "POLICY_SITE_SIGNING_KEY"
#: How the signature is served: it changes with every manifest, so it revalidates like manifest.json.
SIGNATURE_CACHE: CacheClass = REVALIDATE
#: SSHSIG armor is ASCII text; there is no registered type (Netlify would say application/pgp-signature).
SIGNATURE_TYPE = "text/plain; charset=utf-8"
TIMEOUT = 30.0
#: The principal of the allowed-signers line made from ``--public-key``.
PUBLIC_KEY_IDENTITY = "policykit-manifest-signer"

_KEY_ADVICE = ("Give the path of an OpenSSH private key without a passphrase (make one with "
               "`ssh-keygen -t ed25519 -N '' -f KEY`, keep it out of the repository and the site, e.g. as a CI secret "
               "written to a file), or remove the signing key setting to publish without a signature.")


class SigningError(Exception):
    """Signing or checking failed; the message names the file and what to do, ``stderr`` is ssh-keygen's."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message + (f"\n  ssh-keygen said: {stderr.strip()}" if stderr.strip() else ""))
        self.stderr = stderr


@dataclass(frozen=True)
class SigningKey:
    """A private key ssh-keygen can use without asking anything, and its public half."""

    path: Path
    public: str  # "ssh-ed25519 AAAA..." (no comment)


def _env() -> dict[str, str]:
    """The environment of every ssh-keygen call: no agent, no askpass, messages in English."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SSH_AUTH_SOCK", "SSH_ASKPASS", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SSH_ASKPASS_REQUIRE="never", LC_ALL="C")
    return env


def _run(args: list[str], *, what: str, stdin: bytes | None = None, cwd: str | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["ssh-keygen", *args],
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            env=_env(),
            cwd=cwd,
            timeout=TIMEOUT,
            start_new_session=True,  # no controlling terminal: a passphrase prompt fails instead of waiting
            check=False,
        )
    except FileNotFoundError as exc:
        raise SigningError(f"{what}: ssh-keygen (OpenSSH 8.1 or later) is not installed or not on PATH; "
                           "install OpenSSH's client tools") from exc
    except subprocess.TimeoutExpired as exc:
        raise SigningError(f"{what}: ssh-keygen did not finish within {TIMEOUT:.0f} s and was stopped") from exc


def key_path(option: str | None, env: Mapping[str, str], base_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The configured key: *option* (relative to *base_dir*) else ``$POLICY_SITE_SIGNING_KEY`` (as given); None: unsigned."""
    if option:
        path = Path(os.path.expanduser(option))
        return path if path.is_absolute() or base_dir is None else Path(base_dir) / path
    value = env.get(SIGNING_KEY_ENV)
    return Path(os.path.expanduser(value)) if value else None


def load_key(path: str | os.PathLike[str], *, published: Iterable[str | os.PathLike[str]] = ()) -> SigningKey:
    """Check that *path* is a private key ssh-keygen can sign with unattended (before anything is written).

    *published*: folders whose content is published (docs, site); a key inside one is refused.
    """
    key = Path(path)
    for folder in published:
        root = Path(folder).resolve()
        if root in key.resolve().parents:
            raise SigningError(f"signing key {key}: it is inside {folder}, which is published, so the private key "
                               "would be on the web. Move it outside that folder, and if it was ever deployed "
                               "treat it as leaked and make a new key.")
    if not key.exists():
        raise SigningError(f"signing key {key}: no such file. {_KEY_ADVICE}")
    if not key.is_file():
        raise SigningError(f"signing key {key}: not a file. {_KEY_ADVICE}")
    try:
        with open(key, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise SigningError(f"signing key {key}: cannot be read ({exc.strerror}). Make it readable by the user "
                           "that builds the site (chmod 600, owned by that user).") from exc
    done = _run(["-y", "-P", "", "-f", str(key)], what=f"signing key {key}")
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace")
        raise SigningError(f"signing key {key} {_why(said, head)}", said)
    public = " ".join(done.stdout.decode("ascii", "replace").split()[:2])
    return SigningKey(key, public)


def _why(said: str, head: bytes) -> str:
    """What is wrong with a key ssh-keygen refused (its stderr *said*, the file starts with *head*), and what to do."""
    if "passphrase" in said:
        return ("is protected by a passphrase, and a build cannot type one. Use a key without a passphrase "
                "(`ssh-keygen -t ed25519 -N '' -f KEY`) kept as a secret, or remove the passphrase with "
                "`ssh-keygen -p -f KEY`.")
    if head.startswith((b"ssh-", b"ecdsa-", b"sk-")):
        return f"is a public key. Give the private key (the file without .pub). {_KEY_ADVICE}"
    if head and not head.startswith(b"-----BEGIN "):
        return f"is not an OpenSSH private key. {_KEY_ADVICE}"
    if "bad permissions" in said or "too open" in said:
        return "can be read by other users, so ssh-keygen refuses it. Run `chmod 600` on it."
    return f"cannot be used by ssh-keygen to sign. {_KEY_ADVICE}"


def sign(key: SigningKey, data: bytes) -> bytes:
    """The armored SSHSIG of *data* (``ssh-keygen -Y sign -n policykit-manifest``), made in a private folder.

    The data is signed as a file (stdin stays closed: ssh-keygen would read a passphrase from it).
    """
    with tempfile.TemporaryDirectory(prefix="policykit-sign-") as tmp:
        target = Path(tmp) / "manifest.json"
        target.write_bytes(data)
        done = _run(["-Y", "sign", "-n", NAMESPACE, "-f", str(key.path.resolve()), target.name],
                    what=f"signing with {key.path}", cwd=tmp)
        sig = target.with_name(target.name + ".sig")
        if done.returncode != 0 or not sig.is_file():
            said = done.stderr.decode("utf-8", "replace")
            raise SigningError(f"signing key {key.path} {_why(said, b'')}", said)
        return sig.read_bytes()


def write_signature(key: SigningKey, manifest_file: Path) -> Path:
    """Sign *manifest_file* and write ``manifest.json.sig`` beside it (whole or not at all)."""
    out = manifest_file.with_name(SIGNATURE_FILE)
    signature = sign(key, manifest_file.read_bytes())
    part = out.with_name(out.name + ".part")
    part.write_bytes(signature)
    os.replace(part, out)
    return out


def allowed_signers_line(public_key_file: str | os.PathLike[str], identity: str = PUBLIC_KEY_IDENTITY) -> str:
    """An allowed_signers line for the public key in *public_key_file* (``ssh-ed25519 AAAA... comment``)."""
    path = Path(public_key_file)
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningError(f"public key {path}: cannot be read ({exc})") from exc
    fields = text.split()
    if text.startswith("-----BEGIN") or len(fields) < 2 or len(text.splitlines()) != 1:
        raise SigningError(f"public key {path}: not an OpenSSH public key (one line such as 'ssh-ed25519 AAAA... "
                           "name'; the signer's KEY.pub, never the private key)")
    return f'{identity} namespaces="{NAMESPACE}" {fields[0]} {fields[1]}\n'


def verify(data: bytes, signature: Path, allowed_signers: Path, identity: str) -> str:
    """Check *signature* over *data* for *identity* in *allowed_signers*; ssh-keygen's report, or SigningError."""
    with tempfile.TemporaryDirectory(prefix="policykit-verify-") as tmp:
        signed = Path(tmp) / "manifest.json"
        signed.write_bytes(data)
        with open(signed, "rb") as fh:
            try:
                done = subprocess.run(
                    ["ssh-keygen", "-Y", "verify", "-f", str(allowed_signers), "-I", identity, "-n", NAMESPACE,
                     "-s", str(signature)],
                    stdin=fh, capture_output=True, env=_env(), timeout=TIMEOUT, start_new_session=True, check=False,
                )
            except FileNotFoundError as exc:
                raise SigningError("ssh-keygen (OpenSSH 8.1 or later) is not installed or not on PATH") from exc
            except subprocess.TimeoutExpired as exc:
                raise SigningError(f"{signature}: ssh-keygen did not finish within {TIMEOUT:.0f} s") from exc
    report = (done.stdout + done.stderr).decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise SigningError(f"{signature}: the signature does not verify for {identity!r} with {allowed_signers} "
                           "(the manifest was changed after signing, or it was signed by another key)", report)
    return report


def header_rule() -> HeaderRule:
    """The ``_headers`` rule of the signature (security headers come from ``/*``)."""
    return HeaderRule("/" + SIGNATURE_FILE, (("Cache-Control", SIGNATURE_CACHE.cache_control),
                                             ("Content-Type", SIGNATURE_TYPE)))


def nginx_location(security: tuple[tuple[str, str], ...]) -> str:
    """The nginx ``location`` of the signature: its type and cache class, and the security headers."""
    lines = [f"location = {nginx_quote('/' + SIGNATURE_FILE)} {{",
             f"    types {{ }} default_type {nginx_quote(SIGNATURE_TYPE)};"]  # as header_files writes a Content-Type
    for name, value in (("Cache-Control", SIGNATURE_CACHE.cache_control), *security):
        lines.append(f"    add_header {name} {nginx_quote(value)} always;")
    return "\n".join([*lines, "}"]) + "\n"


__all__ = [
    "NAMESPACE", "SIGNING_KEY_ENV", "SIGNATURE_FILE", "SIGNATURE_TYPE", "SigningError", "SigningKey", "key_path",
    "load_key", "sign", "write_signature", "allowed_signers_line", "verify", "header_rule", "nginx_location",
]
