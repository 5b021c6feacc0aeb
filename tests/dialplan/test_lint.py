"""dialplan.lint: the rendered configuration read as Asterisk's parser reads it."""

from __future__ import annotations

import pytest

from dialplan import write_config
from dialplan.lint import check_directory

from .test_render import SETTINGS


def test_the_project_s_configuration_is_clean(tmp_path):
    write_config(SETTINGS, tmp_path)
    assert check_directory(tmp_path) == []


@pytest.mark.parametrize(("text", "fragment"), [
    ("[ok]\nx = 1\n[broken\ny = 2\n", "closing ']'"),
    ("[child](missing)\nx = 1\n", "inherits from [missing]"),
    ("x = 1\n[ok]\n", "outside any [category]"),
    ("[ok]\njust words\n", "neither 'name = value'"),
    ('[ok]\n#include "nothere.conf"\n', "no such file"),
    ("[ok]\n#include /etc/passwd\n", "only files of the configuration directory"),
    ("[ok]\n#exec /bin/true\n", "#exec"),
    ("[ok]\n#define x\n", "unknown directive"),
])
def test_what_asterisk_would_refuse_or_drop_is_reported_with_file_and_line(tmp_path, text, fragment):
    (tmp_path / "a.conf").write_text(text)
    errors = check_directory(tmp_path)
    assert len(errors) == 1 and errors[0].startswith("a.conf:") and fragment in errors[0], errors


def test_comments_templates_and_includes_are_read_in_order(tmp_path):
    (tmp_path / "main.conf").write_text(
        "; a comment\n[tpl](!)\ntype = endpoint ; trailing\n[one](tpl)\nexten => s,1,NoOp(a\\;b)\n"
        '#include "part.conf"\n#tryinclude "optional.conf"\n')
    (tmp_path / "part.conf").write_text("x = 1\n[two](tpl,one)\n")  # inside [one]: no category of its own
    assert check_directory(tmp_path) == []
    (tmp_path / "part.conf").write_text("[three](four)\n")
    assert check_directory(tmp_path) == ["part.conf:1: [three] inherits from [four], not defined before it"]
