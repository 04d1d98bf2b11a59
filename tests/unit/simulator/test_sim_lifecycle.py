# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulator: termination life cycle (e-mail, token, confirmation, removal, deletion at expiration)."""

from __future__ import annotations

import datetime
import re

import ovh
import pytest

from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as creds

# The simulator's default link form (tests/simulator/emails.py): the control panel's managedBaremetal form for e-mails.
LINK = re.compile(r"https://([a-z.]+)/manager/dedicated/#/configuration/managedBaremetal/([a-z0-9-]+)\?action=confirmcancel(?:&amp;|&)token=([A-Za-z0-9]+)")


def advance(sim, client, seconds):
    sim.clock.advance(seconds)
    client._time_delta = None  # pylint: disable=protected-access


def newest_email(client):
    ids = client.get("/me/notification/email/history")
    return client.get("/me/notification/email/history/%d" % max(ids))


def token_of(email):
    return LINK.search(email["body"]).group(3)


def status_of(excinfo):
    return excinfo.value.response.status_code


def test_terminate_confirm_removal_and_gone(sim, ovh_client):
    client = ovh_client(sim)
    name = creds.HEALTHY
    before = max(client.get("/me/notification/email/history"))
    answer = client.post("/dedicatedCloud/%s/terminate" % name)
    assert isinstance(answer, str)
    email = newest_email(client)
    assert email["id"] > before
    assert email["subject"] == 'Deleting your Managed Bare Metal "%s"' % name
    assert "&amp;token=" in email["body"]
    host, link_name, token = LINK.search(email["body"]).groups()
    assert (host, link_name) == ("www.ovh.com", name)
    entry = client.get("/services/1001")
    assert "terminate" in entry["billing"]["lifecycle"]["current"]["pendingActions"]
    assert entry["resource"]["state"] == "active"

    assert isinstance(
        client.post(
            "/dedicatedCloud/%s/confirmTermination" % name,
            token=token,
            reason="NOT_NEEDED_ANYMORE",
            futureUse="NOT_REPLACING_SERVICE",
            commentary="decommissioned",
        ),
        str,
    )
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "toUnprovision"
    entry = client.get("/services/1001")
    assert entry["resource"]["state"] == "toDelete"
    assert entry["billing"]["lifecycle"]["current"]["terminationDate"]
    with pytest.raises(ovh.exceptions.ResourceConflictError):
        client.post("/dedicatedCloud/%s/terminate" % name)
    with pytest.raises(ovh.exceptions.ResourceConflictError):
        client.post("/dedicatedCloud/%s/confirmTermination" % name, token=token)

    advance(sim, client, 3599)
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "unprovisionning"
    advance(sim, client, 2)
    for path in ("", "/serviceInfos", "/datacenter", "/datacenter/1/vm/11"):
        with pytest.raises(ovh.exceptions.ResourceNotFoundError) as excinfo:
            client.get("/dedicatedCloud/%s%s" % (name, path))
        assert excinfo.value.response.json()["message"] == ("The requested object (serviceName = %s) does not exist" % name)
    assert name not in client.get("/dedicatedCloud")
    assert client.get("/services", resourceName=name) == [1001]
    entry = client.get("/services/1001")
    assert entry["resource"]["state"] == "deleted"
    assert entry["billing"]["lifecycle"]["current"]["state"] == "terminated"


def test_removal_duration_is_an_option(sim, ovh_client):
    client = ovh_client(sim)
    sim.set_options(removal_seconds=60, removal_state="unprovisionning")
    client.post("/dedicatedCloud/%s/terminate" % creds.FR_TEXT)
    token = token_of(newest_email(client))
    client.post("/dedicatedCloud/%s/confirmTermination" % creds.FR_TEXT, token=token)
    assert client.get("/dedicatedCloud/%s" % creds.FR_TEXT)["state"] == "unprovisionning"
    advance(sim, client, 61)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s" % creds.FR_TEXT)


def test_second_terminate_invalidates_the_older_token(sim, ovh_client):
    client = ovh_client(sim)
    name = creds.HEALTHY
    client.post("/dedicatedCloud/%s/terminate" % name)
    first = token_of(newest_email(client))
    client.post("/dedicatedCloud/%s/terminate" % name)
    second = token_of(newest_email(client))
    assert first != second
    with pytest.raises(ovh.exceptions.BadParametersError) as excinfo:
        client.post("/dedicatedCloud/%s/confirmTermination" % name, token=first)
    assert "newer" in excinfo.value.response.json()["message"]
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "delivered"
    client.post("/dedicatedCloud/%s/confirmTermination" % name, token=second)
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "toUnprovision"


def test_token_of_another_service_is_refused(sim, ovh_client):
    client = ovh_client(sim)
    client.post("/dedicatedCloud/%s/terminate" % creds.FR_TEXT)
    other = token_of(newest_email(client))
    client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    with pytest.raises(ovh.exceptions.BadParametersError):
        client.post("/dedicatedCloud/%s/confirmTermination" % creds.HEALTHY, token=other)


def test_token_expires_after_72_hours(sim, ovh_client):
    client = ovh_client(sim)
    name = creds.HEALTHY
    client.post("/dedicatedCloud/%s/terminate" % name)
    token = token_of(newest_email(client))
    advance(sim, client, 72 * 3600 + 1)
    with pytest.raises(ovh.exceptions.BadParametersError) as excinfo:
        client.post("/dedicatedCloud/%s/confirmTermination" % name, token=token)
    assert excinfo.value.response.json()["message"] == "The token has expired"
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "delivered"


def test_token_just_before_72_hours_is_accepted(sim, ovh_client):
    client = ovh_client(sim)
    sim.clock.freeze()
    client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    token = token_of(newest_email(client))
    advance(sim, client, 72 * 3600 - 5)
    client.post("/dedicatedCloud/%s/confirmTermination" % creds.HEALTHY, token=token)
    assert client.get("/dedicatedCloud/%s" % creds.HEALTHY)["state"] == "toUnprovision"


@pytest.mark.parametrize("status, exception", [(403, ovh.exceptions.APIError), (409, ovh.exceptions.ResourceConflictError)])
def test_token_error_status_is_configurable(sim, ovh_client, status, exception):
    client = ovh_client(sim)
    sim.set_option("token_error_status", status)
    with pytest.raises(exception) as excinfo:
        client.post("/dedicatedCloud/%s/confirmTermination" % creds.HEALTHY, token="WrongToken" * 3)
    assert status_of(excinfo) == status


def test_preseeded_tokens(sim, ovh_client):
    client = ovh_client(sim)
    with pytest.raises(ovh.exceptions.BadParametersError):
        client.post("/dedicatedCloud/%s/confirmTermination" % creds.TOKEN_EXPIRED, token=creds.EXPIRED_TOKEN)
    client.post("/dedicatedCloud/%s/confirmTermination" % creds.REQUESTED, token=creds.REQUESTED_TOKEN)
    assert client.get("/dedicatedCloud/%s" % creds.REQUESTED)["state"] == "toUnprovision"


def test_confirmation_body_is_validated(sim, ovh_client):
    client = ovh_client(sim)
    name = creds.HEALTHY
    client.post("/dedicatedCloud/%s/terminate" % name)
    token = token_of(newest_email(client))
    bad_bodies = [
        {},
        {"token": ""},
        {"token": token, "reason": "BORED"},
        {"token": token, "futureUse": "MAYBE"},
        {"token": token, "commentary": 3},
        {"token": token, "unknown": "x"},
    ]
    for body in bad_bodies:
        with pytest.raises(ovh.exceptions.BadParametersError):
            client.post("/dedicatedCloud/%s/confirmTermination" % name, **body)
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "delivered"
    client.post("/dedicatedCloud/%s/confirmTermination" % name, token=token, reason="UNSATIFIED_BY_CUSTOMER_SUPPORT")


@pytest.mark.parametrize("name, status", [(creds.BUSY, 409), (creds.EXPIRED, 460), (creds.DELETED, 404)])
def test_terminate_refused_on_busy_expired_and_deleted(sim, ovh_client, name, status):
    client = ovh_client(sim)
    before = [mail["id"] for mail in sim.emails()]
    with pytest.raises(ovh.exceptions.APIError) as excinfo:
        client.post("/dedicatedCloud/%s/terminate" % name)
    assert status_of(excinfo) == status
    assert [mail["id"] for mail in sim.emails()] == before


def test_epcc_can_be_terminated(sim, ovh_client):
    client = ovh_client(sim)
    assert client.get("/dedicatedCloud/%s" % creds.EPCC)["productReference"] == "EPCC"
    client.post("/dedicatedCloud/%s/terminate" % creds.EPCC)
    assert LINK.search(newest_email(client)["body"]).group(2) == creds.EPCC


def test_expired_service(sim, ovh_client):
    client = ovh_client(sim)
    with pytest.raises(ovh.exceptions.ResourceExpiredError) as excinfo:
        client.get("/dedicatedCloud/%s" % creds.EXPIRED)
    assert excinfo.value.response.json() == {"message": "This Service is expired"}
    assert client.get("/dedicatedCloud/%s/serviceInfos" % creds.EXPIRED)["status"] == "expired"
    assert client.get("/services/1008")["resource"]["state"] == "suspended"
    sim.set_option("expired_service_infos_readable", False)
    with pytest.raises(ovh.exceptions.ResourceExpiredError):
        client.get("/dedicatedCloud/%s/serviceInfos" % creds.EXPIRED)


def test_deleted_service(sim, ovh_client):
    client = ovh_client(sim)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s" % creds.DELETED)
    assert creds.DELETED not in client.get("/dedicatedCloud")
    assert client.get("/services", resourceName=creds.DELETED) == [1009]
    assert client.get("/services/1009")["resource"]["state"] == "deleted"


def test_email_delay(sim, ovh_client):
    client = ovh_client(sim)
    before = client.get("/me/notification/email/history")
    client.post("/dedicatedCloud/%s/terminate" % creds.DELAYED_EMAIL)
    assert client.get("/me/notification/email/history") == before
    advance(sim, client, 899)
    assert client.get("/me/notification/email/history") == before
    advance(sim, client, 2)
    email = newest_email(client)
    assert email["id"] > max(before)
    assert email["subject"] == "Suppression de votre Managed Bare Metal %s" % creds.DELAYED_EMAIL
    assert "&amp;token=" in email["body"]


def test_global_email_delay_option(sim, ovh_client):
    client = ovh_client(sim)
    sim.set_option("email_delay_seconds", 120)
    before = client.get("/me/notification/email/history")
    client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    assert client.get("/me/notification/email/history") == before
    advance(sim, client, 121)
    assert LINK.search(newest_email(client)["body"]).group(2) == creds.HEALTHY


def test_email_styles(sim, ovh_client):
    client = ovh_client(sim)
    client.post("/dedicatedCloud/%s/terminate" % creds.FR_TEXT)
    email = newest_email(client)
    assert email["subject"] == "Suppression de votre Managed Bare Metal %s" % creds.FR_TEXT
    assert "/managedBaremetal/%s?action=confirmcancel&token=" % creds.FR_TEXT in email["body"] and "&amp;" not in email["body"]

    client.post("/dedicatedCloud/%s/terminate" % creds.CA_HOST)
    email = newest_email(client)
    assert email["subject"] == 'Deleting your Managed Bare Metal "%s"' % creds.CA_HOST
    assert LINK.search(email["body"]).groups()[:2] == ("ca.ovh.com", creds.CA_HOST)

    client.post("/dedicatedCloud/%s/terminate" % creds.ACCOUNT_LEVEL)
    email = newest_email(client)
    assert email["subject"] == "Request for closure of services for the account %s" % creds.NIC
    assert creds.ACCOUNT_LEVEL in email["body"]
    cancel = email["body"].index("/support/resiliation/?action=cancel&amp;t=")
    confirm = email["body"].index("/managedBaremetal/%s?action=confirmcancel&amp;token=" % creds.ACCOUNT_LEVEL)
    assert cancel < confirm
    assert "&amp;n=%s" % creds.NIC in email["body"]


def test_email_ids_increase_and_preseeded_emails_exist(sim, ovh_client):
    client = ovh_client(sim)
    ids = client.get("/me/notification/email/history")
    assert ids == sorted(ids) and len(ids) == 5
    subjects = [client.get("/me/notification/email/history/%d" % i)["subject"] for i in ids]
    assert subjects[0] == "Your invoice FR0012345 is available"
    expired_mail = client.get("/me/notification/email/history/%d" % ids[1])
    assert token_of(expired_mail) == creds.EXPIRED_TOKEN
    sim.set_option("list_order", "desc")
    assert client.get("/me/notification/email/history") == list(reversed(ids))


def test_email_date_offset_option(sim, ovh_client):
    client = ovh_client(sim)
    sim.clock.freeze()
    client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    utc = newest_email(client)["date"]
    assert utc.endswith("+00:00")
    sim.set_option("email_utc_offset_minutes", 60)
    paris = newest_email(client)["date"]
    assert paris.endswith("+01:00")
    assert datetime.datetime.fromisoformat(paris) == datetime.datetime.fromisoformat(utc)


def test_delete_at_expiration(sim, ovh_client):
    client = ovh_client(sim)
    name = creds.SCHEDULED
    infos = client.get("/dedicatedCloud/%s/serviceInfos" % name)
    assert infos["renew"]["deleteAtExpiration"] is True
    assert "terminateAtExpirationDate" in client.get("/services/1006")["billing"]["lifecycle"]["current"]["pendingActions"]
    expiration = sim.state.find_service(name).expiration_epoch()
    advance(sim, client, expiration - sim.clock.now() - 10)
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "delivered"
    advance(sim, client, 20)
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "toUnprovision"
    assert client.get("/services/1006")["resource"]["state"] == "toDelete"
    advance(sim, client, 3600)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s" % name)
    assert client.get("/services/1006")["resource"]["state"] == "deleted"


def test_cancel_delete_at_expiration(sim, ovh_client):
    client = ovh_client(sim)
    name = creds.SCHEDULED
    assert client.put("/dedicatedCloud/%s/serviceInfos" % name, renew={"deleteAtExpiration": False}) is None
    infos = client.get("/dedicatedCloud/%s/serviceInfos" % name)
    assert infos["renew"]["deleteAtExpiration"] is False
    assert infos["renew"]["period"] == 1
    assert "terminateAtExpirationDate" not in client.get("/services/1006")["billing"]["lifecycle"]["current"]["pendingActions"]
    advance(sim, client, 11 * 86400)
    assert client.get("/dedicatedCloud/%s" % name)["state"] == "delivered"


def test_schedule_delete_at_expiration(sim, ovh_client):
    client = ovh_client(sim)
    client.put("/dedicatedCloud/%s/serviceInfos" % creds.HEALTHY, renew={"deleteAtExpiration": True, "automatic": False})
    advance(sim, client, 21 * 86400 + 3600)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s" % creds.HEALTHY)


@pytest.mark.parametrize(
    "body", [{"status": "ok"}, {"renew": {"deleteAtExpiration": "yes"}}, {"renew": {"color": 1}}, {"renew": True}, {"renew": {"period": True}}]
)
def test_service_infos_put_validation(sim, ovh_client, body):
    client = ovh_client(sim)
    with pytest.raises(ovh.exceptions.BadParametersError):
        client.put("/dedicatedCloud/%s/serviceInfos" % creds.SCHEDULED, **body)
    assert client.get("/dedicatedCloud/%s/serviceInfos" % creds.SCHEDULED)["renew"]["deleteAtExpiration"] is True


@pytest.mark.parametrize(
    "form, expected",
    [
        ("dedicated_cloud", "https://www.ovh.com/manager/dedicated/#/configuration/dedicated_cloud/{name}?action=confirmcancel&amp;token={token}"),
        ("terminate_confirm", "https://www.ovh.com/manager/dedicated/#/managedBaremetal/{name}/terminate-confirm?token={token}"),
        ("billing", "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001&amp;token={token}"),
    ],
)
def test_link_form_option_global_and_per_service(sim, ovh_client, form, expected):
    client = ovh_client(sim)
    sim.set_option("email_link_form", form)
    client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    mail = [m for m in sim.emails() if m.get("serviceName") == creds.HEALTHY][-1]
    assert expected.format(name=creds.HEALTHY, token=mail["token"]) in mail["body"]
    # a service's own form wins over the option
    sim.patch_service(creds.HEALTHY, emailLinkForm="managedBaremetal")
    client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    assert LINK.search(newest_email(client)["body"]).group(2) == creds.HEALTHY


def test_unknown_link_form_is_refused_by_the_options(sim):
    with pytest.raises(ValueError):
        sim.set_options(email_link_form="nope")
    assert sim.options()["email_link_form"] == "managedBaremetal"


def test_removal_goes_through_schema_states_then_the_service_is_gone(sim, ovh_client):
    # Default: toUnprovision for the first half of removal_seconds, then unprovisionning (values of
    # dedicatedCloud.StateEnum in every public copy of the schema), then 404.
    client = ovh_client(sim)
    sim.set_options(removal_seconds=600)
    client.post("/dedicatedCloud/%s/terminate" % creds.FR_TEXT)
    client.post("/dedicatedCloud/%s/confirmTermination" % creds.FR_TEXT, token=token_of(newest_email(client)))
    assert client.get("/dedicatedCloud/%s" % creds.FR_TEXT)["state"] == "toUnprovision"
    advance(sim, client, 301)
    assert client.get("/dedicatedCloud/%s" % creds.FR_TEXT)["state"] == "unprovisionning"
    advance(sim, client, 300)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s" % creds.FR_TEXT)


def test_removal_state_must_be_a_schema_value():
    from ansible_collections.ovhcloud.mbm.tests.simulator import model

    assert model.removal_states("toRemove") == ["toRemove"]
    assert model.removal_states(["toUnprovision", "unprovisionning"]) == ["toUnprovision", "unprovisionning"]
    for bad in ("removing", [], ["toUnprovision", "deleting"]):
        with pytest.raises(model.ModelError):
            model.removal_states(bad)
