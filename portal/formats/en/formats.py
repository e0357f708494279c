# The portal's short dates ("28 Nov 2026"), day-first as in the guide, in place of Django's US ones.
# Templates and code name the format ("SHORT_DATE_FORMAT"), so that each language writes it its way.
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
