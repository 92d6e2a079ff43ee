"""Settings: file, environment and flags, in that order; typos and secrets in files are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxsync.config import Settings, config_keys, load_settings
from wxsync.errors import ConfigError


def write(root: Path, text: str) -> None:
    (root / "wxsync.yml").write_text(text, encoding="utf-8")


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings.mode == "draft"
    assert settings.content_dir == tmp_path.resolve() / "content"
    assert settings.state_path == tmp_path.resolve() / ".wxsync" / "state.json"


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    write(tmp_path, "mode: publish\ntheme: grace\ncontent: posts\njobs: 2\ncaptions: yes\n")
    settings = load_settings(
        tmp_path, environ={"WXSYNC_THEME": "simple"}, overrides={"content": None, "jobs": 8}
    )
    assert (settings.mode, settings.theme, settings.content, settings.jobs, settings.captions) == (
        "publish",
        "simple",
        "posts",
        8,
        True,
    )


def test_root_is_found_from_a_subfolder(tmp_path: Path) -> None:
    write(tmp_path, "mode: publish\n")
    (tmp_path / "content" / "deep").mkdir(parents=True)
    settings = load_settings(tmp_path / "content" / "deep", environ={})
    assert settings.root == tmp_path.resolve() and settings.mode == "publish"


def test_credentials_come_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, environ={"WECHAT_APPID": "wx1", "WECHAT_APPSECRET": "s3cret-value"}
    )
    assert settings.appid == "wx1" and settings.secret == "s3cret-value"
    assert "s3cret-value" not in repr(settings)


def test_the_wechat_proxy_comes_from_wxsync_proxy_not_the_general_https_proxy(
    tmp_path: Path,
) -> None:
    """HTTPS_PROXY is everyone's (git's too); `proxy` is for the WeChat calls alone."""
    assert (
        load_settings(tmp_path, environ={"WXSYNC_PROXY": "http://proxy:3128"}).proxy
        == "http://proxy:3128"
    )
    assert load_settings(tmp_path, environ={"HTTPS_PROXY": "http://other:3128"}).proxy == ""
    assert load_settings(tmp_path, environ={"WXSYNC_PROXY": ""}).proxy == ""


def test_unknown_keys_are_errors_with_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "theem: grace\n")
    with pytest.raises(ConfigError, match="did you mean `theme`"):
        load_settings(tmp_path, environ={})


def test_a_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "appsecret: abc\n")
    with pytest.raises(ConfigError, match="never commit the AppSecret"):
        load_settings(tmp_path, environ={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mode: live\n", "must be one of draft, publish"),
        ("jobs: many\n", "should be a whole number"),
        ("captions: maybe\n", "should be true or false"),
        ("timezone: Mars/Olympus\n", "unknown `timezone`"),
        ("mode: [\n", "not valid YAML"),
        ("- a\n", "expected a mapping"),
    ],
)
def test_bad_values_are_reported(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_settings(tmp_path, environ={})


def test_config_errors_exit_with_code_2() -> None:
    assert ConfigError("x").exit_code == 2


def test_every_config_key_has_documentation() -> None:
    from dataclasses import fields

    documented = {f.name: f.metadata.get("doc") for f in fields(Settings)}
    for key in config_keys():
        assert documented[key], key
