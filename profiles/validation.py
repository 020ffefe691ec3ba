"""What a profile's rules must satisfy together, beyond each field's own checks (regexes
compile, key types, at least one enrollment mode: Profile.clean and the rule models). The
admin editor and the admin API refuse the same things with the same words."""


def rule_problems(subject, sans, labels) -> list[str]:
    """What the editor and the API both refuse in a profile's rules, in words."""
    tables = [
        ("subject", "subject", "element", subject),
        ("sans", None, "san_type", sans),
        ("labels", "label", "label", labels),
    ]
    problems = []
    for table, singular, key, rules in tables:
        seen = set()
        for rule in rules:
            name = getattr(rule, key)
            if name in seen:
                problems.append(f"{table}: {name} is listed twice")
            seen.add(name)
            if singular and rule.mandatory and not rule.editable_by_requester and not rule.value:
                problems.append(
                    f"{singular} {name}: mandatory and not editable by the requester, so it "
                    "needs a value"
                )
    for rule in labels:
        if rule.enum and rule.value and rule.value not in rule.enum:
            problems.append(f"label {rule.label}: the default value is not among the allowed ones")
    return problems
