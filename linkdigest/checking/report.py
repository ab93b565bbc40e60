"""Link check reports: each problem URL once, with every place it is written, by verdict,
and a failure's history (since when, how many runs) where it has one."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from linkdigest.checking.places import LinkRef
from linkdigest.checking.verdicts import LinkCheck, Verdict

ORDER = (Verdict.DEAD, Verdict.UNVERIFIABLE, Verdict.REDIRECTED, Verdict.SKIPPED)
MAILTO = re.compile(r"^mailto:[^@\s/]+@[^@\s/]+\.[^@\s/]+(\?.*)?$", re.IGNORECASE)
TEL = re.compile(r"^tel:\+?[0-9][0-9().\- ]{2,}$", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    check: LinkCheck
    places: tuple[LinkRef, ...]
    archives: Mapping[str, str] = field(default_factory=dict)  # path -> archived copy


@dataclass(frozen=True)
class CheckReport:
    """Every verdict of a check, by URL, and each problem URL with its places."""

    checks: Mapping[str, LinkCheck]
    findings: tuple[Finding, ...] | list[Finding]

    @property
    def counts(self) -> dict[str, int]:
        return count_verdicts(self.checks)

    def of(self, verdict: Verdict) -> list[Finding]:
        return [f for f in self.findings if f.check.verdict is verdict]

    @property
    def dead(self) -> list[Finding]:
        return self.of(Verdict.DEAD)

    @property
    def unverified(self) -> list[Finding]:
        return self.of(Verdict.UNVERIFIABLE)


def add_archives(
    findings: list[Finding], snapshots: Mapping[tuple[str, str], str], dates: Mapping[str, str]
) -> list[Finding]:
    """Each finding with the archived copy closest to the date of each post using it."""
    return [
        replace(
            f,
            archives={
                p.path: snapshots[(f.check.url, dates.get(p.path, ""))]
                for p in f.places
                if (f.check.url, dates.get(p.path, "")) in snapshots
            },
        )
        for f in findings
    ]


def render_fix_plan(findings: list[Finding]) -> dict[str, dict[int, dict[str, str]]]:
    """{path: {line: {dead url: archived copy}}} for every dead link with a snapshot."""
    plan: dict[str, dict[int, dict[str, str]]] = {}
    for finding in findings:
        for place in finding.places:
            archived = finding.archives.get(place.path)
            if finding.check.verdict is Verdict.DEAD and archived and place.line:
                plan.setdefault(place.path, {}).setdefault(place.line, {})[finding.check.url] = (
                    archived
                )
    return plan


def check_syntax_only(url: str) -> LinkCheck:
    """``mailto:`` and ``tel:`` links are checked for syntax, never contacted."""
    pattern = MAILTO if url.lower().startswith("mailto:") else TEL
    if pattern.match(url):
        return LinkCheck(url, Verdict.OK)
    return LinkCheck(url, Verdict.DEAD, "malformed address")


def _archived(finding: Finding, place: LinkRef) -> str:
    archived = finding.archives.get(place.path)
    return f"  archived copy: {archived}" if archived else ""


def render_place(place: LinkRef) -> str:
    """``file:line``, or the built page alone when there is no source line."""
    return f"{place.path}:{place.line}" if place.line else place.path


def collect_findings(checks: Mapping[str, LinkCheck], refs: Iterable[LinkRef]) -> list[Finding]:
    """Every non-ok URL once, with all its places, dead first, then by URL."""
    places: dict[str, list[LinkRef]] = {}
    for ref in refs:
        places.setdefault(ref.url, []).append(ref)
    findings = [
        Finding(check, tuple(places.get(url, ())))
        for url, check in checks.items()
        if check.verdict is not Verdict.OK
    ]
    return sorted(findings, key=lambda f: (ORDER.index(f.check.verdict), f.check.url))


def count_verdicts(checks: Mapping[str, LinkCheck]) -> dict[str, int]:
    counts = {verdict.value: 0 for verdict in Verdict}
    for check in checks.values():
        counts[check.verdict.value] += 1
    return counts


def render_history(check: LinkCheck) -> str:
    """``failing since 2026-11-28, 4 runs`` for a failure seen on earlier runs, else ""."""
    if check.verdict not in (Verdict.DEAD, Verdict.UNVERIFIABLE) or check.runs < 2:
        return ""
    since = time.strftime("%Y-%m-%d", time.gmtime(check.since)) if check.since else "?"
    return f"failing since {since}, {check.runs} runs"


def render_reason(check: LinkCheck) -> str:
    history = render_history(check)
    if history and "since" not in check.reason:
        return f"{check.reason}; {history}"
    return check.reason


def render_report_text(report: CheckReport) -> str:
    findings, counts = list(report.findings), report.counts
    lines = []
    for verdict in ORDER:
        group = [f for f in findings if f.check.verdict is verdict]
        if group:
            lines.append(f"{verdict.value.upper()} ({len(group)})")
            for finding in group:
                lines.append(f"  {finding.check.url}  [{render_reason(finding.check)}]")
                lines += [
                    f"    {render_place(place)}{_archived(finding, place)}"
                    for place in finding.places
                ]
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    return "\n".join([*lines, f"checked {sum(counts.values())} URLs: {summary}"]) + "\n"


def render_report_markdown(report: CheckReport) -> str:
    findings, counts = list(report.findings), report.counts
    lines = ["# Link check", ""]
    for verdict in ORDER:
        group = [f for f in findings if f.check.verdict is verdict]
        if group:
            lines += [f"## {verdict.value.capitalize()} ({len(group)})", ""]
            for finding in group:
                where = ", ".join(f"`{render_place(p)}`" for p in finding.places)
                lines.append(
                    f"- <{finding.check.url}>: {render_reason(finding.check)}"
                    + (f" ({where})" if where else "")
                )
            lines.append("")
    lines.append("Checked " + ", ".join(f"{n} {name}" for name, n in counts.items()) + ".")
    return "\n".join(lines) + "\n"


def render_report_json(report: CheckReport) -> str:
    findings, counts = list(report.findings), report.counts
    return (
        json.dumps(
            {
                "counts": dict(counts),
                "problems": [
                    {
                        "url": f.check.url,
                        "verdict": f.check.verdict.value,
                        "reason": f.check.reason,
                        "status": f.check.status,
                        "final_url": f.check.final_url,
                        "permanent_redirect": f.check.permanent,
                        "failure": f.check.failure.value if f.check.failure else None,
                        "failing_since": f.check.since if f.check.runs > 1 else None,
                        "failed_runs": f.check.runs,
                        "places": [
                            {"path": p.path, "line": p.line, "archived": f.archives.get(p.path, "")}
                            for p in f.places
                        ],
                    }
                    for f in findings
                ],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
