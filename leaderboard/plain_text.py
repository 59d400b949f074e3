"""Text that submitters and their agents wrote, made safe to store and to show on a terminal.

A control character (C0, DEL, C1) can clear or recolour an operator's terminal, and a bidi
override (U+202A–U+202E, U+2066–U+2069) can make a name or a message read other than it is.
Names refuse them; descriptions, failure messages and logs keep them as visible escapes
(`\\x1b`, `\\u202e`), so what an agent printed is still there to read but does nothing.
Newlines and tabs are layout, not escapes, and stay where text may span lines.
"""

import re

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LAYOUT = "\n\t"


def unsafe_characters(text):
    """The distinct unsafe characters in text, as U+XXXX, in order of first appearance."""
    return list(dict.fromkeys(f"U+{ord(found):04X}" for found in UNSAFE.findall(text or "")))


def _escaped(character):
    if character == "\x00":
        return "\\0"
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def defused(text, keep=LAYOUT):
    """text with every unsafe character but those in `keep` written as a visible escape."""
    text = (text or "").replace("\r\n", "\n")
    return UNSAFE.sub(lambda found: found[0] if found[0] in keep else _escaped(found[0]), text)
