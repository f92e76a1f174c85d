"""Phone numbers in one form (E.164), so that "040 123 4567" and "+358401234567" are the same customer."""

from __future__ import annotations

import phonenumbers


def phone_normalize(value: str, *, default_region: str = "FI") -> str | None:
    """The number in E.164 form, or None when it cannot be a phone number.

    National numbers are read in `default_region` (the organisation's country).
    """
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
