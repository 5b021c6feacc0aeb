"""The AGI wire format without sockets: replies, header lines, argument quoting."""

from __future__ import annotations

import pytest

from agi.protocol import (
    HeaderError,
    ProtocolError,
    Reply,
    decode_line,
    format_command,
    parse_header_line,
    parse_reply,
    quote_arg,
)

from .fake_asterisk import split_command

# --- replies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=1", Reply(200, 1, None, None, "result=1")),
        ("200 result=0", Reply(200, 0, None, None, "result=0")),
        ("200 result=1 (1700000000.42)", Reply(200, 1, "1700000000.42", None, "result=1 (1700000000.42)")),
        ("200 result=0 endpos=12345", Reply(200, 0, None, 12345, "result=0 endpos=12345")),
        ("200 result=49 (timeout) endpos=8000", Reply(200, 49, "timeout", 8000, "result=49 (timeout) endpos=8000")),
        ("200 result=-1", Reply(200, -1, None, None, "result=-1")),
        ("200 result=-1 endpos=0", Reply(200, -1, None, 0, "result=-1 endpos=0")),
        ("200 result=1 ()", Reply(200, 1, "", None, "result=1 ()")),
    ],
)
def test_parse_200(line, expected):
    assert parse_reply(line) == expected


@pytest.mark.parametrize(
    ("line", "data"),
    [
        ("200 result=1 (Dupont (Montréal))", "Dupont (Montréal)"),
        ("200 result=1 (a) b (c)", "a) b (c"),
        ("200 result=1 ((nested))", "(nested)"),
        ("200 result=1 (x) endpos=42", "x"),
        ("200 result=1 (with spaces and = signs)", "with spaces and = signs"),
    ],
)
def test_parse_200_data_with_parentheses(line, data):
    assert parse_reply(line).data == data


def test_parse_200_data_with_parentheses_keeps_endpos():
    reply = parse_reply("200 result=1 (f(x)) endpos=7")
    assert (reply.data, reply.endpos) == ("f(x)", 7)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("510 Invalid or unknown command", 510),
        ("511 Command Not Permitted on a dead channel or intercept routine", 511),
        ("520 End of proper usage.", 520),
    ],
)
def test_parse_error_codes(line, code):
    reply = parse_reply(line)
    assert reply.code == code
    assert reply.result is None
    assert reply.text == line[4:]


@pytest.mark.parametrize(
    "line",
    [
        "",
        "HANGUP",
        "hello world",
        "20 result=1",
        "2000 result=1",
        "200",
        "200 ",
        "200 result=",
        "200 result=abc",
        "200 result=1 (unterminated",
        "200 result=1 endpos=x",
        "200 result=1 trailing garbage",
        "200result=1",
        "100 result=x Trying...",
        " 200 result=1",
    ],
)
def test_malformed_replies_raise_protocol_error(line):
    with pytest.raises(ProtocolError):
        parse_reply(line)


def test_decode_line_replaces_bad_bytes_and_strips_line_end():
    assert decode_line(b"agi_calleridname: \xff\xfe\r\n") == "agi_calleridname: \ufffd\ufffd"
    assert decode_line("Montréal\n".encode()) == "Montréal"


# --- header lines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "pair"),
    [
        ("agi_network: yes", ("agi_network", "yes")),
        ("agi_arg_1: 5145550100", ("agi_arg_1", "5145550100")),
        ("agi_request: agi://127.0.0.1:4573/dnis?x=1", ("agi_request", "agi://127.0.0.1:4573/dnis?x=1")),
        ("agi_accountcode: ", ("agi_accountcode", "")),
        ("agi_calleridname:   Jean Tremblay  ", ("agi_calleridname", "Jean Tremblay")),
    ],
)
def test_parse_header_line(line, pair):
    assert parse_header_line(line) == pair


@pytest.mark.parametrize(
    "line",
    [
        "hello",
        ": value",
        "agi_network yes",
        "agi_: yes",
        "AGI_NETWORK: yes",
        "x_agi_network: yes",
        "agi_net work: yes",
        "agi-network: yes",
        "GET VARIABLE X",
        "200 result=1",
        "agi_name\ufffd: x",
    ],
)
def test_parse_header_line_refuses_garbage(line):
    with pytest.raises(HeaderError):
        parse_header_line(line)


# --- quoting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("fr", "fr"),
        ("CHANNEL(language)", "CHANNEL(language)"),
        ("1000/2026/11/23/1700000000.42", "1000/2026/11/23/1700000000.42"),
        (42, "42"),
        ("", '""'),
        ("two words", '"two words"'),
        ("tab\there", '"tab\there"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ('\\"', '"\\\\\\""'),
    ],
)
def test_quote_arg(value, quoted):
    assert quote_arg(value) == quoted


@pytest.mark.parametrize(
    "value",
    ["", "plain", "two words", 'a "quoted" word', "back\\slash", 'tricky \\" end', "trailing\\", '"', "  pad  ",
     "Montréal (QC)"],
)
def test_quote_arg_round_trips_through_res_agi_parsing(value):
    line = format_command("SET VARIABLE", "X", value).decode().rstrip("\n")
    assert split_command(line) == ["SET", "VARIABLE", "X", value]


@pytest.mark.parametrize("value", ["a\nEXEC System rm", "a\rb", "nul\0byte", "\n"])
def test_quote_arg_refuses_line_breaks_and_nul(value):
    with pytest.raises(ValueError, match="line break or NUL"):
        quote_arg(value)
    with pytest.raises(ValueError):
        format_command("SET VARIABLE", "X", value)


def test_format_command():
    assert format_command("GET VARIABLE", "CHANNEL(linkedid)") == b"GET VARIABLE CHANNEL(linkedid)\n"
    assert format_command("VERBOSE", "hello world", 1) == b'VERBOSE "hello world" 1\n'
    assert format_command("SET VARIABLE", "NAME", "Zoë") == 'SET VARIABLE NAME Zoë\n'.encode()
    with pytest.raises(ValueError):
        format_command()
