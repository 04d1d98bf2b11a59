# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Termination e-mails in the styles seen in the wild (docs/design.md section 4), with the confirmation link in one
of the forms the control panel knows (docs/api-assumptions.md, "Termination e-mails").

Link forms (``LINK_FORMS``; option ``email_link_form``, per service ``emailLinkForm``):

- ``managedBaremetal`` (default): ``https://<host>/manager/dedicated/#/configuration/managedBaremetal/<serviceName>?action=confirmcancel&token=<token>``,
  the form the control panel's managedBaremetal routing keeps "for links sent by e-mails" (ovh/manager,
  ``packages/manager/apps/dedicated/client/app/managedBaremetal/``); the host and the part before ``#`` are a guess;
- ``dedicated_cloud``: the same under ``#/configuration/dedicated_cloud/`` (the dedicatedCloud routing's comment);
- ``terminate_confirm``: ``https://<host>/manager/dedicated/#/managedBaremetal/<serviceName>/terminate-confirm?token=<token>``,
  where the control panel redirects the two forms above;
- ``billing``: ``https://<host>/manager/#/billing/confirmTerminate?id=<serviceId>&token=<token>`` (the billing page,
  used by other products' e-mails);
- ``unknown``: a link the collection does not know (to test a token given by hand).
"""

from __future__ import annotations

import secrets
import string

EMAIL_STYLES = ("en_html", "en_text", "fr_html", "fr_text", "account_level")
EMAIL_HOSTS = ("www.ovh.com", "ca.ovh.com")
LINK_FORMS = ("managedBaremetal", "dedicated_cloud", "terminate_confirm", "billing", "unknown")
DEFAULT_LINK_FORM = "managedBaremetal"

_TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 32


def new_token():
    """A termination token: 32 random characters from [A-Za-z0-9]."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for dummy in range(TOKEN_LENGTH))


def confirm_link(host, service_id, token, html, service_name=None, form="billing"):
    """The confirmation link of a termination e-mail in one of ``LINK_FORMS``."""
    sep = "&amp;" if html else "&"
    if form == "billing":
        return "https://%s/manager/#/billing/confirmTerminate?id=%s%stoken=%s" % (host, service_id, sep, token)
    if form in ("managedBaremetal", "dedicated_cloud"):
        return "https://%s/manager/dedicated/#/configuration/%s/%s?action=confirmcancel%stoken=%s" % (host, form, service_name, sep, token)
    if form == "terminate_confirm":
        return "https://%s/manager/dedicated/#/managedBaremetal/%s/terminate-confirm?token=%s" % (host, service_name, token)
    if form == "unknown":
        return "https://%s/manager/#/account/closure/%s?step=confirm%sref=%s" % (host, service_name, sep, token)
    raise ValueError("unknown link form %r (one of %s)" % (form, ", ".join(LINK_FORMS)))


def cancel_link(host, nic, html):
    sep = "&amp;" if html else "&"
    return "https://%s/fr/support/resiliation/?action=cancel%st=%s%sn=%s" % (host, sep, new_token(), sep, nic)


def render(style, host, nic, service_name, service_id, token, link_form=DEFAULT_LINK_FORM):
    """Return ``(subject, body)`` of a termination e-mail."""
    if style not in EMAIL_STYLES:
        raise ValueError("unknown e-mail style %r (one of %s)" % (style, ", ".join(EMAIL_STYLES)))
    html = style.endswith("_html") or style == "account_level"
    link = confirm_link(host, service_id, token, html, service_name=service_name, form=link_form)
    if style == "en_html":
        subject = 'Deleting your Managed Bare Metal "%s"' % service_name
        body = (
            "<html><body><p>Dear Customer,</p>"
            "<p>We have received a request to terminate your Managed Bare Metal service <b>%s</b>.</p>"
            "<p>To confirm the termination, please click on the link below within 72 hours:</p>"
            '<p><a href="%s">%s</a></p>'
            "<p>Please note: all data will be deleted as soon as the termination is confirmed.</p>"
            "<p>If you did not request this termination, simply ignore this e-mail.</p>"
            "<p>Kind regards,<br/>The OVHcloud team</p></body></html>"
        ) % (service_name, link, link)
    elif style == "en_text":
        subject = 'Deleting your Managed Bare Metal "%s"' % service_name
        body = (
            "Dear Customer,\n\n"
            "We have received a request to terminate your Managed Bare Metal service %s.\n\n"
            "To confirm the termination, please follow the link below within 72 hours:\n%s\n\n"
            "Please note: all data will be deleted as soon as the termination is confirmed.\n"
            "If you did not request this termination, simply ignore this e-mail.\n\n"
            "Kind regards,\nThe OVHcloud team\n"
        ) % (service_name, link)
    elif style == "fr_html":
        subject = "Suppression de votre Managed Bare Metal %s" % service_name
        body = (
            "<html><body><p>Bonjour,</p>"
            "<p>Nous avons bien re&ccedil;u votre demande de r&eacute;siliation du service Managed Bare Metal <b>%s</b>.</p>"
            "<p>Pour confirmer la r&eacute;siliation, cliquez sur le lien ci-dessous dans les 72 heures :</p>"
            '<p><a href="%s">Confirmer la r&eacute;siliation</a></p>'
            "<p>Attention : toutes les donn&eacute;es seront supprim&eacute;es d&egrave;s la confirmation.</p>"
            "<p>Cordialement,<br/>L'&eacute;quipe OVHcloud</p></body></html>"
        ) % (service_name, link)
    elif style == "fr_text":
        subject = "Suppression de votre Managed Bare Metal %s" % service_name
        body = (
            "Bonjour,\n\n"
            "Nous avons bien reçu votre demande de résiliation du service Managed Bare Metal %s.\n\n"
            "Pour confirmer la résiliation, suivez le lien ci-dessous dans les 72 heures :\n%s\n\n"
            "Attention : toutes les données seront supprimées dès la confirmation.\n\n"
            "Cordialement,\nL'équipe OVHcloud\n"
        ) % (service_name, link)
    else:
        subject = "Request for closure of services for the account %s" % nic
        cancel = cancel_link(host, nic, html)
        body = (
            "<html><body><p>Hello,</p>"
            "<p>A request for closure has been made for the following services of the account %s:</p>"
            "<ul><li>%s</li></ul>"
            '<p>If you did not make this request, cancel it here: <a href="%s">%s</a></p>'
            '<p>To confirm the closure, follow this link within 72 hours: <a href="%s">%s</a></p>'
            "<p>All data will be deleted as soon as the closure is confirmed.</p>"
            "<p>Best regards,<br/>OVHcloud</p></body></html>"
        ) % (nic, service_name, cancel, cancel, link, link)
    return subject, body
