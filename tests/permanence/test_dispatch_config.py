"""The dispatch's configuration: what SMS, email and phone calls need, refused with the key named; and
Kannel's configuration rendered from it (never written by hand, readable by its owner only)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from permanence.config import ConfigError, load

BIN = Path(sys.executable).parent
DEMO = 'mode = "demo"\n'
SMS = ('[sms]\nsender = "+15145550000"\nsendsms_password = "sendsms0123456"\nadmin_password = "admin0123456789"\n'
       'inbound_token = "token0123456789"\n')


def _load(tmp_path: Path, text: str):
    path = tmp_path / "permanence.toml"
    path.write_text(text, encoding="utf-8")
    return load(path, env={})


@pytest.mark.parametrize(("text", "message"), [
    ('[sms]\nsendsms_password = "sendsms0123456"\n',
     r"\[sms\] sending SMS needs sender, admin_password, inbound_token"),
    (SMS + 'smsc = "smpp"\n', r"\[sms\] sending SMS needs smpp_host, smpp_system_id, smpp_password"),
    (SMS.replace("sendsms0123456", "short"), r"\[sms\] sendsms_password must be 12 letters or digits"),
    (SMS.replace("token0123456789", "token-with&amp"), r"\[sms\] inbound_token must be 12 letters or digits"),
    ('[sms]\nsmsc = "modem"\n', r"\[sms\] smsc must be fake or smpp"),
    ('[sms]\ndelivery_url = "http://127.0.0.1:8080/api/sms/delivery?x=%d"\n', r"\[sms\] delivery_url must be"),
    ('[sms]\ndelivery_url = "127.0.0.1:8080/api/sms/delivery"\n', r"\[sms\] delivery_url must be"),
    ('[sms]\nhost = "8.8.8.8"\n', r"\[sms\] host"),
    ('[email]\nhost = "smtp.example.org"\n', r"\[email\] sender must be an email address"),
    ('[email]\nsecurity = "ssl"\n', r"\[email\] security must be starttls, tls or none"),
    ('[dispatch]\npublic_url = "ftp://x"\n', r"\[dispatch\] public_url"),
    ('[phone]\noutbound = "carrier.example;transport=tcp"\n', r"\[phone\] outbound must be a host or host:port"),
    ('[phone]\nring_s = 300\n', r"\[phone\] ring_s must be from 5 to 120"),
])
def test_what_is_wrong_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, DEMO + text)


def test_kannel_config_is_rendered_with_its_secrets_for_its_owner_only(tmp_path: Path) -> None:
    config = tmp_path / "permanence.toml"
    config.write_text(DEMO + SMS + f'kannel_dir = "{tmp_path / "kannel"}"\n', encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PERMANENCE_CONFIG": str(config), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([str(BIN / "permanence"), "kannel-config"], env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path == tmp_path / "kannel" / "kannel.conf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert 'password = "sendsms0123456"' in text and 'admin-password = "admin0123456789"' in text
    assert ('get-url = "http://127.0.0.1:8080/api/sms/inbound?token=token0123456789&from=%p&to=%P&text=%a"'
            in text)
    assert 'smsc = "fake"' in text and 'box-allow-ip = "127.0.0.1"' in text
    # Without SMS configured there is nothing to render.
    config.write_text(DEMO, encoding="utf-8")
    refused = subprocess.run([str(BIN / "permanence"), "kannel-config"], env=env, capture_output=True, text=True,
                             check=False, timeout=60)
    assert refused.returncode != 0 and "[sms] sendsms_password is empty" in refused.stderr


def test_each_sms_reports_to_the_web_app_beside_the_replies_or_where_delivery_url_says(tmp_path: Path) -> None:
    from permanence.dispatching import kannel_settings

    beside = kannel_settings(_load(tmp_path, DEMO + SMS))
    assert beside.dlr_url(42) == ("http://127.0.0.1:8080/api/sms/delivery?token=token0123456789&attempt=42"
                                  "&status=%d&reply=%A")
    elsewhere = kannel_settings(_load(tmp_path, DEMO + SMS + 'delivery_url = "https://gw.example/dlr"\n'))
    assert elsewhere.dlr_url(7).startswith("https://gw.example/dlr?token=token0123456789&attempt=7&")
