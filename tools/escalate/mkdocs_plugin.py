"""The MkDocs plugin: glue between a build and `escalate.site`.

It loads the repository once per build, refuses to publish records that `escalate validate`
rejects, and adds the generated pages (status, escalations, learnings, policy) as
`File.generated` files: nothing is ever written into docs/. Settings, in mkdocs.yml:

    plugins:
      - escalate:
          now: 2026-11-22T12:00:00Z   # default: $ESCALATE_NOW, else the build time
          profile: public             # default: $ESCALATE_PROFILE, else the policy's default
          repo: .                     # default: the directory of mkdocs.yml
"""

from __future__ import annotations

import logging
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from .errors import EscalateError
from .publishing import Profile, profile_named
from .repo import Repo

log = logging.getLogger("mkdocs.plugins.escalate")

MAX_FINDINGS_SHOWN = 5


class EscalatePluginConfig(Config):  # type: ignore[no-untyped-call]
    # An unquoted timestamp in mkdocs.yml arrives as a datetime (PyYAML), a quoted one as text.
    now = c.Optional(c.Type((str, datetime)))
    profile = c.Optional(c.Type(str))
    repo = c.Optional(c.Dir(exists=True))
    assets = c.Type(bool, default=True)  # add the plugin's CSS and JS to every page


def parse_now(text: str | datetime | None) -> datetime:
    """An RFC 3339 instant (offset required), or the current time when text is empty."""
    if not text:
        return datetime.now(UTC)
    if isinstance(text, datetime):
        parsed = text
    else:
        try:
            parsed = datetime.fromisoformat(text.strip().replace("z", "Z"))
        except ValueError:
            raise PluginError(f"escalate: now={text!r} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PluginError(f"escalate: now={text!r} has no timezone offset; add Z or +01:00")
    return parsed


def git_commit(root: Path) -> str | None:
    """The short commit the site is built from, or None outside a git work tree."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


class EscalatePlugin(BasePlugin[EscalatePluginConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        self.repo: Repo | None = None
        self.now: datetime | None = None
        self.profile: Profile | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        from .validation import validate

        root = Path(self.config.repo or Path(config.config_file_path).parent).resolve()
        configured = cast("str | datetime | None", self.config.now)
        self.now = parse_now(configured or os.environ.get("ESCALATE_NOW"))
        try:
            self.repo = Repo.load(root)
        except EscalateError as exc:
            raise PluginError(f"escalate: {exc}") from None
        report = validate(self.repo)
        if report.errors:
            shown = "\n".join(f"  {finding}" for finding in report.errors[:MAX_FINDINGS_SHOWN])
            more = len(report.errors) - MAX_FINDINGS_SHOWN
            tail = f"\n  … and {more} more (run `escalate validate`)" if more > 0 else ""
            raise PluginError(
                f"escalate: the playbook has {len(report.errors)} validation error(s); "
                f"the site is not built from invalid records:\n{shown}{tail}"
            )
        name = os.environ.get("ESCALATE_PROFILE") or self.config.profile
        try:
            self.profile = profile_named(self.repo.policy.publishing, name or None)
        except EscalateError as exc:
            raise PluginError(f"escalate: {exc.message}") from None
        if self.config.assets:
            from .site.pages import ASSETS

            for uri in ASSETS:
                if uri.endswith(".css") and uri not in config.extra_css:
                    config.extra_css.append(uri)
                elif uri.endswith(".js") and uri not in [str(s) for s in config.extra_javascript]:
                    config.extra_javascript.append(uri)
        log.info(
            "escalate: %d records, profile %s, as of %s",
            len(self.repo.escalations),
            self.profile.id,
            self.now.isoformat(),
        )
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        from .site.pages import ASSETS, asset_text, build_site

        assert self.repo is not None and self.now is not None and self.profile is not None
        try:
            _, pages = build_site(
                self.repo,
                self.now,
                self.profile,
                commit=git_commit(self.repo.root),
                use_directory_urls=config.use_directory_urls,
            )
        except EscalateError as exc:
            raise PluginError(f"escalate: {exc}") from None
        for page in pages:
            existing = files.get_file_from_path(page.src)
            if existing is not None:
                raise PluginError(
                    f"escalate: docs/{page.src} would be replaced by a generated page; "
                    "rename or remove it (generated paths: status/, escalations/, learnings/, "
                    "policy/, metrics/)"
                )
            generated = File.generated(config, page.src, content=page.content)
            if not page.in_nav:
                # One page per record: reached from the index pages, never listed in the nav
                # (a nav of a thousand pages makes every page of the site heavy).
                generated.inclusion = InclusionLevel.NOT_IN_NAV
            files.append(generated)
        if self.config.assets:
            for uri, name in ASSETS.items():
                if files.get_file_from_path(uri) is None:
                    files.append(File.generated(config, uri, content=asset_text(name)))
        return files

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.repo is not None:
            for name in ("policy", "incidents", "schema"):
                path = self.repo.root / name
                if path.is_dir():
                    server.watch(str(path))
        return server
