"""What a profile's rules must satisfy together, beyond each field's own checks (regexes
compile, key types, at least one enrollment mode: Profile.clean and the rule models). The
admin editor and the admin API refuse the same things with the same words."""


def rule_problems(subject, sans, labels) -> list[str]:
    """What the editor and the API both refuse in a profile's rules, in words."""
    problems = []
    seen_elements = set()
    for rule in subject:
        if rule.element in seen_elements:
            problems.append(f"subject: {rule.element} is listed twice")
        seen_elements.add(rule.element)
        if rule.mandatory and not rule.editable_by_requester and not rule.value:
            problems.append(
                f"subject {rule.element}: mandatory and not editable by the requester, so it "
                "needs a value"
            )
    seen_types = set()
    for rule in sans:
        if rule.san_type in seen_types:
            problems.append(f"sans: {rule.san_type} is listed twice")
        seen_types.add(rule.san_type)
    seen_labels = set()
    for rule in labels:
        if rule.label in seen_labels:
            problems.append(f"labels: {rule.label} is listed twice")
        seen_labels.add(rule.label)
        if rule.mandatory and not rule.editable_by_requester and not rule.value:
            problems.append(
                f"label {rule.label}: mandatory and not editable by the requester, so it needs a "
                "value"
            )
        if rule.enum and rule.value and rule.value not in rule.enum:
            problems.append(f"label {rule.label}: the default value is not among the allowed ones")
    return problems
