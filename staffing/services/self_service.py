"""What volunteers do for themselves on their personal page (``by=None``, audited
as the volunteer's own acts): "don't ask me again", their needs, their calendar
feed (made on first use, renewed on request), and a new phone number or email
address, proved with a one-time code before it replaces the old one (which is
told)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import organisation
from elections.models import Election
from notifications import codes
from notifications.models import Channel, Message
from notifications.services import cancel_queued, queue_message
from pollcrew.phones import display_phone, normalize_mobile
from pollcrew.refusals import Refused
from staffing import calendar, messaging
from staffing.models import Assignment, CalendarFeed, StandbyEntry, hash_token
from staffing.rules import RuleViolation
from staffing.services.answers import decline
from staffing.services.standby import leave_standby
from volunteers.models import Volunteer
from volunteers.services import update_volunteer

CONTACT_CHANGED = "contact_changed"
STOP_REASON = "Asked not to be contacted again"


def stop_contact(volunteer: Volunteer) -> int:
    """ "Don't ask me again": the volunteer is marked do-not-contact, their open
    invitations are declined (the seats go to others), they leave every standby
    list (their open offers go to the next people) and their queued messages are
    cancelled. Booked seats stay booked. The office can undo the mark. Returns
    how many invitations were declined."""
    declined = 0
    with transaction.atomic():
        volunteer = update_volunteer(volunteer, by=None, do_not_contact=True)
        open_invitations = Assignment.objects.filter(
            volunteer=volunteer,
            status=Assignment.Status.INVITED,
            shift__election__status=Election.Status.ACTIVE,
        ).select_related("shift__election")
        for seat in open_invitations:
            try:
                decline(seat, reason=STOP_REASON)
            except RuleViolation:  # a shift that has begun: left as it is
                continue
            declined += 1
        for entry in StandbyEntry.objects.filter(
            volunteer=volunteer, status=StandbyEntry.Status.WAITING
        ):
            leave_standby(entry)  # their open offers go to the next people
        queued = messaging.messages_for_volunteer(volunteer).filter(status=Message.Status.QUEUED)
        ids = list(queued.values_list("pk", flat=True))
        if ids:
            cancel_queued(ids)
    return declined


def update_needs(volunteer: Volunteer, *, diet: str) -> Volunteer:
    return update_volunteer(volunteer, by=None, diet=diet.strip()[:200])


def _purpose(volunteer: Volunteer) -> str:
    return f"change_contact:{volunteer.pk}"


def clean_address(channel: str, value: str) -> str:
    """The new phone number (E.164) or email address, or ValidationError."""
    if channel == Channel.SMS:
        phone = normalize_mobile(value)
        if not phone:
            raise ValidationError(_("Write your mobile number."), code="required")
        return phone
    address = value.strip().lower()
    validate_email(address)
    return address


def request_contact_code(volunteer: Volunteer, channel: str, new_address: str) -> str:
    """Send a code to the new address (``clean_address`` first). Refused as
    ``notifications.codes`` refuses (too many codes to one address)."""
    address = clean_address(channel, new_address)
    if address == (volunteer.phone if channel == Channel.SMS else volunteer.email):
        raise Refused("unchanged", _("That is the address we have already."))
    codes.send_code(
        channel=channel,
        to=address,
        purpose=_purpose(volunteer),
        language=volunteer.language,
        context={"municipality": organisation.current().name},
    )
    return address


def confirm_contact(volunteer: Volunteer, channel: str, new_address: str, code: str) -> bool:
    """The new address replaces the old one if ``code`` is the one sent to it;
    the old address is told. False for a wrong or used-up code."""
    address = clean_address(channel, new_address)
    with transaction.atomic():
        if not codes.check_code(
            channel=channel, to=address, purpose=_purpose(volunteer), code=code
        ):
            return False
        field = "phone" if channel == Channel.SMS else "email"
        old = getattr(volunteer, field)
        volunteer = update_volunteer(volunteer, by=None, **{field: address})
        if old:
            _tell_old_address(volunteer, channel, old, address)
    return True


def _masked(channel: str, address: str) -> str:
    """Enough of the new address to recognise it, not to use it: "+45 ** ** 22 22",
    "m***@example.dk"."""
    if channel == Channel.SMS:
        groups = display_phone(address).split(" ")
        if len(groups) < 4:
            return "*" * max(len(address) - 4, 0) + address[-4:]
        middle = ["*" * len(group) for group in groups[1:-2]]
        return " ".join([groups[0], *middle, *groups[-2:]])
    name, _at, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def _tell_old_address(volunteer: Volunteer, channel: str, old: str, new: str) -> Message:
    return queue_message(
        channel=channel,
        to=old,
        kind=CONTACT_CHANGED,
        language=volunteer.language,
        context={
            "first_name": volunteer.first_name,
            "municipality": organisation.current().name,
            "new_address": _masked(channel, new),
            "is_phone": channel == Channel.SMS,
        },
        idempotency_key=f"volunteer:{volunteer.pk}:{CONTACT_CHANGED}:{channel}:{new}",
        subject=volunteer,
    )


def calendar_feed(volunteer: Volunteer, election: Election) -> CalendarFeed:
    """The volunteer's feed for the election, made on first use."""
    feed = CalendarFeed.objects.filter(volunteer=volunteer, election=election).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(volunteer=volunteer, election=election)
            feed.token_hash = hash_token(calendar.feed_token(feed))
            feed.save(update_fields=["token_hash"])
    except IntegrityError:  # made by a request at the same moment
        feed = CalendarFeed.objects.get(volunteer=volunteer, election=election)
    return feed


def renew_calendar_feed(feed: CalendarFeed) -> CalendarFeed:
    """A new address for the feed; the old one stops working."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
        feed.generation += 1
        feed.token_hash = hash_token(calendar.feed_token(feed))
        feed.save(update_fields=["generation", "token_hash"])
    return feed
