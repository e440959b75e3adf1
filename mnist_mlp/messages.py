"""Error texts shown to visitors: what went wrong, without the server's folders."""
from __future__ import annotations

import re

# An absolute path (POSIX, or a Windows drive path): everything up to the last separator goes.
_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\](?:[^\s/\\'\"`:;,()]+[/\\])+(?=[^\s/\\'\"`:;,()]*)")


def for_visitors(error: BaseException | str) -> str:
    """`str(error)` with every absolute path cut to its last part ("/srv/app/weights/x.safetensors:
    …" → "x.safetensors: …"), so a message can be shown on a public page."""
    return _PATH.sub("", str(error))
