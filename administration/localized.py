"""Horizon's localized strings ([{"lang": "en", "value": …}]) and our single texts."""


def localized(text: str) -> list[dict] | None:
    """Our single display text → Horizon's localized strings."""
    return [{"lang": "en", "value": text}] if text else None


def from_localized(values) -> str:
    """Horizon's localized strings (the client's models or plain dicts) → one text: English
    when given, else the first."""
    if not values:
        return ""
    if isinstance(values, str):
        return values
    pairs = [
        (
            (v.get("lang") if isinstance(v, dict) else getattr(v, "lang", None)) or "",
            (v.get("value") if isinstance(v, dict) else getattr(v, "value", None)) or "",
        )
        for v in values
        if v
    ]
    if not pairs:
        return ""
    return next((value for lang, value in pairs if lang.lower().startswith("en")), pairs[0][1])
