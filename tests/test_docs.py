"""The documentation cannot drift from the code: every key, alias, input and errcode is in both READMEs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from wxsync.cli import COMMANDS
from wxsync.config import config_keys
from wxsync.content.post import ALIASES, WECHAT_KEYS
from wxsync.wechat.errors import CODES

PROJECT = Path(__file__).resolve().parents[1]
READMES = {
    name: (PROJECT / name).read_text(encoding="utf-8") for name in ("README.md", "README.zh-CN.md")
}


def section(text: str, heading_pattern: str) -> str:
    """The text of the `## ` section whose heading matches, up to the next `## `."""
    match = re.search(rf"^## (?:{heading_pattern}).*?$(?P<body>.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, heading_pattern
    return match.group("body")


def table_first_column(text: str) -> set[str]:
    cells = set()
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells.add(line.split("|")[1].strip())
    return cells


@pytest.mark.parametrize("name", sorted(READMES))
def test_every_configuration_key_is_documented(name: str) -> None:
    reference = section(READMES[name], "(Configuration reference|配置参考)")
    documented = table_first_column(reference)
    for key in config_keys():
        assert f"`{key}`" in documented, f"{name}: `{key}` missing from the configuration reference"


@pytest.mark.parametrize("name", sorted(READMES))
def test_every_action_input_and_output_is_documented(name: str) -> None:
    action = yaml.safe_load((PROJECT / "action.yml").read_text(encoding="utf-8"))
    reference = section(READMES[name], "(Configuration reference|配置参考)")
    documented = table_first_column(reference)
    for key in action["inputs"]:
        assert f"`{key}`" in documented, f"{name}: input `{key}` missing"
    for key in action["outputs"]:
        assert f"`{key}`" in reference, f"{name}: output `{key}` missing"


@pytest.mark.parametrize("name", sorted(READMES))
def test_every_front_matter_key_and_alias_is_documented(name: str) -> None:
    reference = section(READMES[name], "Front")
    for spellings in ALIASES.values():
        for key in spellings:
            assert f"`{key}" in reference, f"{name}: front-matter key `{key}` missing"
    for key in WECHAT_KEYS:
        assert f"`wechat.{key}`" in reference, f"{name}: `wechat.{key}` missing"


@pytest.mark.parametrize("name", sorted(READMES))
def test_every_known_errcode_is_in_the_troubleshooting_table(name: str) -> None:
    table = section(READMES[name], "(Troubleshooting|故障排查)")
    documented = table_first_column(table)
    missing = [code for code in CODES if str(code) not in documented]
    assert not missing, f"{name}: errcodes missing from troubleshooting: {missing}"


@pytest.mark.parametrize("name", sorted(READMES))
def test_every_command_is_mentioned(name: str) -> None:
    for command in COMMANDS:
        assert f"wxsync {command}" in READMES[name], f"{name}: `wxsync {command}` never mentioned"


def test_the_two_readmes_link_each_other_and_share_their_structure() -> None:
    english, chinese = READMES["README.md"], READMES["README.zh-CN.md"]
    assert "(README.zh-CN.md)" in english and "(README.md)" in chinese
    for level in ("## ", "### "):
        count = [
            sum(1 for line in text.splitlines() if line.startswith(level))
            for text in (english, chinese)
        ]
        assert count[0] == count[1], f"{level.strip()} headings: {count}"
    for topic in ("doctor", "40164", "48001", "republish", "IP白名单", "publish.yml"):
        assert topic in english and topic in chinese


def test_faq_answers_the_three_questions() -> None:
    for name, text in READMES.items():
        faq = section(text, "(FAQ|常见问题)")
        assert faq.count("**") >= 6, name  # at least three bold questions
    faq = section(READMES["README.md"], "FAQ")
    assert "notification" in faq and "edit" in faq and "crash" in faq


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", READMES["README.md"], re.S)
    setup, tests = blocks[0].strip(), blocks[1].strip()
    assert "wxsync sync --dry-run" in setup
    ci = (PROJECT / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert tests in ci, ".ci/run must run the README's test command verbatim"
    chinese = re.findall(r"```sh\n(.*?)\n```", READMES["README.zh-CN.md"], re.S)
    assert chinese[0].strip() == setup and chinese[1].strip() == tests
