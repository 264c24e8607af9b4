#!/usr/bin/env python3
"""Every cause of the vocabulary (lib/judge/ev_cause.c) is documented with
the fix efa-verify prints for it: in efa-verify(8)'s CAUSES and in
docs/verdicts.md's table of causes, and neither lists a cause the code does
not know. The checker is also run on a copy of the man page with one fix
changed, and must refuse it: a check that cannot fail proves nothing.
"""
import os
import re
import sys

top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def code_causes(path):
    """{name: fix} from ev_cause.c's table: each entry's three strings,
    adjacent literals joined as C joins them."""
    text = open(path, encoding="utf-8").read()
    out = {}
    for body in re.findall(r"\[EV_CAUSE_[A-Z_]+\]\s*=\s*\{(.*?)\}\s*,", text, re.S):
        parts, cur = [], None
        for tok in re.findall(r'"((?:[^"\\]|\\.)*)"|(,)', body):
            lit, comma = tok
            if comma:
                parts.append(cur)
                cur = None
            else:
                cur = (cur or "") + lit.encode().decode("unicode_escape")
        parts.append(cur)
        parts = [p for p in parts if p is not None]
        if len(parts) == 3:
            out[parts[0]] = parts[2]
    return out


def man_causes(text):
    """{name: fix} from the man page's CAUSES section (.TP, .B NAME, then a
    line "Fix: ..."), roff's escaped hyphens made plain."""
    m = re.search(r"^\.SH CAUSES\n(.*?)^\.SH ", text, re.S | re.M)
    out = {}
    if not m:
        return out
    for name, body in re.findall(r"^\.TP\n\.B (\S+)\n(.*?)(?=^\.TP\n|\Z)", m.group(1), re.S | re.M):
        fix = re.search(r"^Fix: (.*)$", body, re.M)
        out[name] = fix.group(1).replace("\\-", "-").rstrip(".") if fix else None
    return out


def md_causes(text):
    """{name: fix} from docs/verdicts.md's table under '## Causes'."""
    m = re.search(r"^## Causes\n(.*?)^## ", text, re.S | re.M)
    out = {}
    for row in re.findall(r"^\| `([a-z_]+)` \|.*\| ([^|]+) \|$", m.group(1) if m else "", re.M):
        out[row[0]] = row[1].strip()
    return out


def compare(code, doc, what):
    """Problems of doc against code (empty: they agree)."""
    problems = []
    for name, fix in sorted(code.items()):
        if name not in doc:
            problems.append("%s: %s is not there" % (what, name))
        elif doc[name] != fix:
            problems.append("%s: %s's fix is '%s', efa-verify says '%s'" % (what, name, doc[name], fix))
    for name in sorted(set(doc) - set(code)):
        problems.append("%s: %s is no cause efa-verify knows" % (what, name))
    return problems


def main():
    n = failed = 0

    def result(good, name, diag=()):
        nonlocal n, failed
        n += 1
        failed += not good
        print("%s %d - %s" % ("ok" if good else "not ok", n, name))
        for d in diag:
            print("# " + d)

    code = code_causes(os.path.join(top, "lib", "judge", "ev_cause.c"))
    result(len(code) >= 12, "the causes read from lib/judge/ev_cause.c (%d)" % len(code), sorted(code))
    man = open(os.path.join(top, "man", "efa-verify.8"), encoding="utf-8").read()
    got = compare(code, man_causes(man), "efa-verify(8)")
    result(not got, "efa-verify(8)'s CAUSES: every cause, with its fix", got)
    md = open(os.path.join(top, "docs", "verdicts.md"), encoding="utf-8").read()
    got = compare(code, md_causes(md), "docs/verdicts.md")
    result(not got, "docs/verdicts.md: every cause, with its fix", got)

    # The checker itself: one fix changed, one cause left out.
    name = sorted(code)[0]
    changed = re.sub(r"^(\.TP\n\.B %s\n(?:.*\n)*?Fix: )" % re.escape(name), r"\1not ", man, count=1, flags=re.M)
    got = compare(code, man_causes(changed), "changed")
    result(any("%s's fix" % name in p for p in got), "a fix changed in the man page is refused", got)
    fewer = dict(code)
    fewer.pop(name)
    got = compare(fewer, man_causes(man), "extra")
    result(any("no cause efa-verify knows" in p for p in got), "a cause the code lacks is refused", got)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
