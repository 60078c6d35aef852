"""The docs show only commands and options the CLI has: every `humangov <command> --option` written in
README.md or docs/*.md (code blocks and inline code) is checked against that command's `--help`, and every
relative link between the pages points at a file that exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from humangov_deploy.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
# `humangov deploy ...`, `scripts/humangov deploy ...`, `.venv/bin/humangov ...`; never `humangov_deploy`.
COMMAND = re.compile(r"(?<![\w.-])(?:[\w./]*/)?humangov[ \t]+([a-z][a-z0-9|-]*)([^\n]*)")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# Where the command line ends: a shell comment, the next command, a markdown table cell.
LINE_END = re.compile(r"\s#\s|&&|;|\s\\\|\s|\s\|\s")


def help_texts() -> dict[str, str]:
    """Each command's --help, and each nested one's under "command sub" (`humangov data create`)."""
    helps: dict[str, str] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    helps[f"{prefix}{name}".strip()] = sub.format_help()
                    walk(sub, f"{prefix}{name} ")

    walk(build_parser(), "")
    return helps


NESTED = {name for name in help_texts() if " " in name}


def code_spans(text: str) -> list[str]:
    blocks = FENCE.findall(text)
    prose = FENCE.sub("", text)
    return [line for block in blocks for line in block.splitlines()] + INLINE.findall(prose)


def shown_commands(text: str) -> list[tuple[str, list[str]]]:
    """(command, options) for every humangov command line shown in a page's code."""
    found = []
    for span in code_spans(text):
        for match in COMMAND.finditer(span):
            words, rest = match.group(1), match.group(2)
            rest = LINE_END.split(rest, maxsplit=1)[0]
            options = OPTION.findall(rest)
            nested = re.match(r"\s+([a-z][a-z-]*)", rest)
            for word in words.split("|"):
                if word:
                    # `humangov data create --state S`: the options are the nested command's.
                    command = (
                        f"{word} {nested.group(1)}"
                        if nested and f"{word} {nested.group(1)}" in NESTED
                        else word
                    )
                    found.append((command, options))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_shown_is_the_clis(page: Path) -> None:
    helps = help_texts()
    wrong = []
    for command, options in shown_commands(page.read_text()):
        if command not in helps:
            wrong.append(f"`humangov {command}`: no such command (known: {', '.join(sorted(helps))})")
            continue
        wrong += [f"`humangov {command} {o}`: not in its --help" for o in options if o not in helps[command]]
    assert not wrong, "\n".join(wrong)


def test_the_pages_show_the_main_commands() -> None:
    # The parser above must not pass by finding nothing: the quickstart and deploy pages show commands.
    shown = {c for page in PAGES for c, _ in shown_commands(page.read_text())}
    assert {"deploy", "status", "verify", "destroy", "sweep", "build", "push"} <= shown


def test_a_wrong_option_is_caught() -> None:
    page = "```bash\nhumangov deploy --state texas --no-such-option  # comment --ignored\n```\n"
    assert shown_commands(page) == [("deploy", ["--state", "--no-such-option"])]
    assert "--no-such-option" not in help_texts()["deploy"]


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    targets = [t for t in LINK.findall(page.read_text()) if "://" not in t and not t.startswith("mailto:")]
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"
