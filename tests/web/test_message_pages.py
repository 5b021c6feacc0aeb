"""The messages pages over HTTP: who sees which messages (another client's, or one out of the window, is
the 404 page), the filters and their refusals, keyset pages, the detail's fields labelled by the script in
both languages, the history timeline in order with the people it went to, the staff's protocol, the
admin's acknowledgement, and every value escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from store import CallRecord, agents, calls, contacts, messages, users
from store.clock import iso
from store.scripts import set_script
from web import hash_password
from web.pages import taken_view
from web.pages.messages import MESSAGES

from .conftest import SUPERVISOR, Api
from .test_pages import login, page

NOW = datetime.now(UTC).replace(microsecond=0)
CALL = "1710000000.7"
EVIL = "<script>alert('x')</script>"
SCRIPT = {"questions": [
    {"key": "name", "text": {"fr": "Nom", "en": "Name"}, "type": "text"},
    {"key": "city", "text": {"fr": "Ville", "en": "City"}, "type": "text"},
    {"key": "nature", "text": {"fr": "Nature de l'appel", "en": "Nature of the call"}, "type": "choice",
     "choices": [{"value": "leak", "fr": "Fuite", "en": "Leak"},
                 {"value": "quote", "fr": "Soumission", "en": "Quote"}]},
]}


def when(hours: float) -> str:
    return iso(NOW - timedelta(hours=hours))


def seed(db) -> dict[str, int]:
    """Client 1000: a delivered message on a call (SMS unanswered, phone busy, phone confirmed), a pending
    one, a failed one, one with markup in it, one out of its 60-day window; client 2000: one."""
    ana = contacts.add_contact(db, "1000", "Ana Roy", mobile="5145550201", sms=True, email="ana@example.org")
    ben = contacts.add_contact(db, "1000", "Ben <b>Lee</b>", mobile="5145550202")
    set_script(db, "1000", SCRIPT)
    calls.save_call(db, CallRecord(linkedid=CALL, client_code="1000", started_at=when(5), disposition="answered",
                                   did="+15145550100", caller_number="+15145559999", caller_name="Jeanne Roy"))
    ids = {"old": messages.create_message(db, "1000", "root", at=iso(NOW - timedelta(days=90)), text="très ancien").id}
    m = messages.create_message(db, "1000", "agent", linkedid=CALL, at=when(5),
                                fields={"name": "Jeanne Roy", "city": "Laval", "nature": "leak", "floor": 3})
    ids["delivered"] = m.id
    add = messages.add_history
    add(db, m.id, "sms", "sent", at=when(4.9), step=0, recipient="+15145550201", contact_id=ana.id, code="AB12")
    add(db, m.id, "sms", "no_reply", at=when(4.8), step=0)
    add(db, m.id, "phone", "no_answer", at=when(4.7), step=1, recipient="+15145550201", contact_id=ana.id,
        detail="not answered: Originate failed (busy)")
    add(db, m.id, "email", "failed", at=when(4.6), step=2, recipient="ana@example.org", contact_id=ana.id,
        detail="SMTP 550 mailbox unavailable")
    add(db, m.id, "sms", "sent", at=when(4.5), step=3, recipient="+15145550201", contact_id=ana.id, code="CD34")
    add(db, m.id, "sms", "wrong_code", at=when(4.45), step=3, recipient="+15145550201",
        confirmed_by="+15145550201", detail="ok ZZ")
    add(db, m.id, "sms", "confirmed", at=when(4.4), step=3, recipient="+15145550201",
        confirmed_by="+15145550201", code="CD34")
    db.execute("UPDATE messages SET status = 'delivered', step = 3, deadline = NULL, confirmed_at = ?, "
               "confirmed_by = ? WHERE id = ?", [when(4.4), "+15145550201", m.id])
    ids["pending"] = messages.create_message(db, "1000", "root", at=when(3), fields={"city": "Québec"}).id
    failed = messages.create_message(db, "1000", "root", at=when(2), text="Fuite au sous-sol, rappeler")
    db.execute("UPDATE messages SET status = 'failed', step = 3, deadline = NULL WHERE id = ?", [failed.id])
    add(db, failed.id, "alert", "alerted", at=when(1.9), step=3, recipient="dispatcher")
    ids["failed"] = failed.id
    ids["evil"] = messages.create_message(db, "1000", "root", at=when(1), fields={"name": EVIL, "city": "50%_off"}).id
    add(db, ids["evil"], "sms", "failed", at=when(0.9), step=0, recipient="+15145550202", contact_id=ben.id,
        detail="<i>gateway</i> refused")
    ids["bob"] = messages.create_message(db, "2000", "root", at=when(1), text="Garage: rappeler").id
    return ids


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-message="(\d+)"', html)]


def history(html: str) -> list[str]:
    return re.findall(r'<li class="[^"]*" data-entry="\d+" data-result="([^"]+)"', html)


async def test_a_client_lists_its_own_messages_of_its_window_and_nobody_elses(make_api):
    api: Api = await make_api()
    ids = await api.store.write(seed)
    await login(api, "alice")
    text = await page(api, "/messages")
    assert listed(text) == [ids["evil"], ids["failed"], ids["pending"], ids["delivered"]]
    assert '<a href="/messages" aria-current="page">Messages</a>' in text  # the navigation entry
    row = re.search(rf'<tr data-message="{ids["delivered"]}".*?</tr>', text, re.S).group(0)
    assert "+15145559999" in row and "Jeanne Roy" in row and f'href="/calls/{CALL}"' in row
    assert "Nom: Jeanne Roy · Ville: Laval · Nature de l&#39;appel: Fuite" in row
    assert "confirmé par Ana Roy (+15145550201)" in row
    assert "personne n&#39;a confirmé" in text and "en attente d&#39;envoi" in text
    for path in (f"/messages/{ids['bob']}", f"/messages/{ids['old']}", "/messages?client=2000", "/messages/99999",
                 "/messages/abc", "/messages/" + "9" * 30):
        body = await page(api, path, 404)
        assert "Page introuvable" in body and "Garage" not in body and "très ancien" not in body, path
    await login(api, "bob")
    assert listed(await page(api, "/messages")) == [ids["bob"]]
    body = await page(api, f"/messages/{ids['delivered']}", 404)
    assert "Jeanne" not in body and "Laval" not in body
    # An agent reads the calls that reached them, no client's messages: no entry, the 404 page.
    await api.store.write(lambda db: (agents.add_agent(db, "201", "Agent 201", "secret-201-x", "permanence"),
                                      users.add_user(db, "ann", hash_password("ann-secret-1", log2_n=10), "agent",
                                                     agent_id="201")))
    resp = await api.client.post("/api/session", json={"login": "ann", "password": "ann-secret-1"})
    assert resp.status == 200
    assert 'href="/messages"' not in await page(api, "/calls")
    for path in ("/messages", "/messages?client=1000", f"/messages/{ids['delivered']}"):
        assert "Laval" not in await page(api, path, 404), path


async def test_staff_choose_a_client_and_see_its_whole_history(make_api):
    api: Api = await make_api()
    ids = await api.store.write(seed)
    await login(api, SUPERVISOR[0])
    chooser = await page(api, "/messages")
    assert 'id="client-choice"' in chooser and listed(chooser) == []
    assert listed(await page(api, "/messages?client=1000")) == [
        ids["evil"], ids["failed"], ids["pending"], ids["delivered"], ids["old"]]  # no window for staff
    assert listed(await page(api, "/messages?client=2000")) == [ids["bob"]]
    assert "très ancien" in await page(api, f"/messages/{ids['old']}")
    assert "« Client »" in await page(api, "/messages?client=12", 400)
    await page(api, "/messages?client=9999", 404)


async def test_the_filters_narrow_the_list_and_a_bad_one_is_named(make_api):
    api: Api = await make_api()
    ids = await api.store.write(seed)
    await login(api, "alice")
    assert listed(await page(api, "/messages?status=delivered")) == [ids["delivered"]]
    assert listed(await page(api, "/messages?status=failed")) == [ids["failed"]]
    assert listed(await page(api, "/messages?q=laval")) == [ids["delivered"]]  # a field's value, any case
    assert listed(await page(api, "/messages?q=sous-sol")) == [ids["failed"]]  # the text
    assert listed(await page(api, "/messages?q=Montréal")) == []
    assert listed(await page(api, "/messages?q=50%25_")) == [ids["evil"]]  # % and _ taken literally
    assert listed(await page(api, "/messages?q=0%25")) == [ids["evil"]]
    assert listed(await page(api, "/messages?q=%25%25")) == []
    assert listed(await page(api, "/messages?did=514-555-0100")) == [ids["delivered"]]
    assert listed(await page(api, "/messages?did=514-555-0199")) == []
    today = NOW.date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    assert listed(await page(api, f"/messages?from={tomorrow}")) == []
    assert listed(await page(api, f"/messages?from={yesterday}&to={tomorrow}&status=pending")) == [
        ids["evil"], ids["pending"]]
    # The period, where the window does not cut it already (staff): the old message alone, or all but it.
    await login(api, SUPERVISOR[0])
    assert listed(await page(api, f"/messages?client=1000&to={today - timedelta(days=60)}")) == [ids["old"]]
    assert ids["old"] not in listed(await page(api, f"/messages?client=1000&from={today - timedelta(days=60)}"))
    await login(api, "alice")
    for query, named in (("status=lost", "« État »"), ("from=31/01/2026", "« Du »"),
                         (f"from={today}&to={yesterday}", "« Au »"), ("did=nope", "« Numéro composé »"),
                         ("before=x", "« Page »"), ("colour=red", "« colour »"), ("q=" + "x" * 101, "« Texte »")):
        text = await page(api, "/messages?" + query, 400)
        assert named in text and listed(text) == [], query
    text = await page(api, "/messages?did=nope&q=Laval", 400)
    assert 'value="nope"' in text and 'value="Laval"' in text  # what was typed is kept


async def test_keyset_pages_follow_one_another(make_api):
    api: Api = await make_api()

    def many(db) -> list[int]:
        return [messages.create_message(db, "2000", "root", at=when(30 - i / 10), text=f"n° {i}").id
                for i in range(30)]

    made = await api.store.write(many)
    await login(api, "bob")
    first = await page(api, "/messages?status=pending")
    link = re.search(r'id="next-page" rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "status=pending" in link
    second = await page(api, link)
    assert listed(first) + listed(second) == sorted(made, reverse=True)
    assert len(listed(first)) == 25 and 'id="next-page"' not in second and 'id="first-page"' in second


async def test_the_detail_labels_the_fields_and_shows_the_timeline_in_order(make_api):
    api: Api = await make_api()
    ids = await api.store.write(seed)
    await login(api, "alice")
    text = await page(api, f"/messages/{ids['delivered']}")
    assert re.findall(r'<dt data-key="([^"]+)">([^<]+)</dt>', text) == [
        ("name", "Nom"), ("city", "Ville"), ("nature", "Nature de l&#39;appel"), ("floor", "floor")]
    assert '<dd data-field="nature">Fuite</dd>' in text and '<dd data-field="floor">3</dd>' in text
    assert history(text) == ["sent", "no_reply", "busy", "failed", "sent", "wrong_code", "confirmed"]
    entries = re.findall(r'<li class="result-[^"]*".*?</li>', text, re.S)
    assert "SMS" in entries[0] and "Ana Roy" in entries[0] and "+15145550201" in entries[0]
    assert "occupé" in entries[2] and "Appel téléphonique" in entries[2]
    assert "ana@example.org" in entries[3] and "SMTP 550 mailbox unavailable" in entries[3]
    assert "mauvais code" in entries[5] and "ok ZZ" in entries[5]
    assert "confirmé" in entries[6] and 'class="party">par <span class="name">Ana Roy</span>' in entries[6]
    assert "AB12" not in text and "CD34" not in text  # the codes stay with their recipient
    assert f'id="call-link" href="/calls/{CALL}"' in text and "Jeanne Roy" in text
    assert 'id="protocol"' not in text and "api-form" not in text  # staff only
    english = await page(api, f"/messages/{ids['delivered']}", headers={"Accept-Language": "en"})
    assert re.findall(r'<dt data-key="([^"]+)">([^<]+)</dt>', english)[:3] == [
        ("name", "Name"), ("city", "City"), ("nature", "Nature of the call")]
    assert '<dd data-field="nature">Leak</dd>' in english and "Delivery history" in english
    assert "busy" in english and "wrong code" in english and "confirmed by Ana Roy (+15145550201)" in english


async def test_every_value_is_escaped(make_api):
    api: Api = await make_api()
    ids = await api.store.write(seed)
    await login(api, "alice")
    for path in ("/messages", f"/messages/{ids['evil']}", "/messages?q=%3Cscript%3E"):
        text = await page(api, path)
        assert EVIL not in text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text, path
    text = await page(api, f"/messages/{ids['evil']}")
    assert "<b>" not in text and "Ben &lt;b&gt;Lee&lt;/b&gt;" in text
    assert "<i>" not in text and "&lt;i&gt;gateway&lt;/i&gt; refused" in text


async def test_staff_see_the_protocol_and_an_admin_takes_a_failed_message_in_hand(make_api):
    api: Api = await make_api()
    ids = await api.store.write(seed)
    await login(api, SUPERVISOR[0])
    text = await page(api, f"/messages/{ids['failed']}")
    assert re.findall(r'<li data-step="(\d+)"', text) == ["1", "2", "3", "4"]
    assert "la personne de garde" in text and "le répartiteur" in text and "api-form" not in text
    pending = await page(api, f"/messages/{ids['pending']}")
    assert 'id="deadline"' in pending  # a new message's deadline: its dispatch starts at once
    assert 'id="deadline"' not in await page(api, f"/messages/{ids['delivered']}")  # over: no deadline
    csrf = await login(api, "root")
    text = await page(api, f"/messages/{ids['failed']}")
    action = f'data-action="/api/messages/{ids["failed"]}/acknowledge"'
    assert action in text and 'src="/static/admin.js"' in text
    assert f'content="{csrf}"' in text  # the token admin.js sends
    assert "api-form" not in await page(api, f"/messages/{ids['delivered']}")  # only a failed one
    refused = await api.client.post(f"/api/messages/{ids['failed']}/acknowledge")
    assert refused.status == 403  # a cookie without its CSRF token
    done = await api.client.post(f"/api/messages/{ids['failed']}/acknowledge", headers={"X-CSRF-Token": csrf})
    assert done.status == 204
    text = await page(api, f"/messages/{ids['failed']}")
    assert action not in text and history(text) == ["alerted", "acknowledged"] and "pris en charge" in text
    assert '<span class="address">root</span>' in text and 'id="acknowledged">pris en charge par root, ' in text


def test_the_keys_built_from_data_are_in_the_catalogue():
    built = {*taken_view.STATUS_KEYS.values(), *taken_view.CHANNEL_KEYS.values(), *taken_view.RESULT_KEYS.values()}
    assert built - MESSAGES.keys() == set()


async def test_a_message_being_dispatched_says_at_which_step_and_until_when(make_api):
    api: Api = await make_api()

    def running(db) -> int:
        message = messages.create_message(db, "2000", "root", at=when(1), text="Pneu crevé")
        db.execute("UPDATE messages SET status = 'dispatching', step = 1, deadline = ? WHERE id = ?",
                   [iso(NOW + timedelta(minutes=3)), message.id])
        return message.id

    message_id = await api.store.write(running)
    await login(api, "bob")
    row = re.search(rf'<tr data-message="{message_id}".*?</tr>', await page(api, "/messages"), re.S).group(0)
    assert "en cours : étape 2 sur 4 (Appel téléphonique)" in row
    english = await page(api, "/messages", headers={"Accept-Language": "en"})
    assert "in progress: step 2 of 4 (Phone call)" in english and "Delivery" in english
    await login(api, SUPERVISOR[0])
    text = await page(api, f"/messages/{message_id}")
    assert re.findall(r'<li data-step="(\d+)" class="current"', text) == ["2"]
    assert 'id="deadline">Étape en cours jusqu&#39;à ' in text


async def test_the_timeline_shows_an_sms_delivery_reports_in_both_languages(make_api):
    from store import dispatch, sms_delivery
    from store.sms_delivery import Report

    api: Api = await make_api()

    def reported(db) -> int:
        contact = contacts.add_contact(db, "1000", "Ana Roy", mobile="5145550201", sms=True)
        message = messages.create_message(db, "1000", "root", at=when(1), text="Fuite d'eau")
        first = dispatch.begin_step(db, message, 0, when(0.9), recipient="+15145550201", contact_id=contact.id)
        dispatch.attempt_sent(db, first)
        sms_delivery.record(db, Report(first.id, "accepted", "ACK/"), when(0.89))
        sms_delivery.record(db, Report(first.id, "delivered"), when(0.88))
        sms_delivery.record(db, Report(first.id, "undelivered", "stat:UNDELIV err:001 <b>"), when(0.87))
        sms_delivery.record(db, Report(first.id, "rejected", "NACK/0x0000000b/Invalid Destination"), when(0.86))
        return message.id

    message_id = await api.store.write(reported)
    await login(api, "alice")
    text = await page(api, f"/messages/{message_id}")
    assert history(text) == ["sent", "sms_accepted", "sms_delivered", "sms_undelivered", "sms_rejected"]
    entries = re.findall(r'<li class="result-[^"]*".*?</li>', text, re.S)
    assert "accepté par le centre SMS" in entries[1] and "Ana Roy" in entries[1] and "ACK/" not in entries[1]
    assert "remis au téléphone" in entries[2]
    assert "non remis au téléphone" in entries[3] and "stat:UNDELIV err:001 &lt;b&gt;" in entries[3]
    assert "refusé par le centre SMS" in entries[4] and "NACK/0x0000000b/Invalid Destination" in entries[4]
    english = await page(api, f"/messages/{message_id}", headers={"Accept-Language": "en"})
    for label in ("accepted by the SMS centre", "delivered to the phone", "not delivered to the phone",
                  "rejected by the SMS centre"):
        assert label in english, label
