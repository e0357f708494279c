# Dutch writes the months in lower case, also abbreviated: "28 nov 2026" ("b", where English has "M").
SHORT_DATE_FORMAT = "j b Y"
SHORT_DATETIME_FORMAT = "j b Y H:i"
MONTH_DAY_FORMAT = "j b"
YEAR_MONTH_FORMAT = "b Y"
