"""The receiver snippets in docs/webhooks.md verify real Shequn signatures (Python, and Node.js when present)."""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from shequn.messaging.webhooks.signing import header, new_secret

DOC = Path(__file__).resolve().parents[4] / "docs" / "webhooks.md"
BODY = json.dumps({"id": "evt_1", "type": "order.paid", "data": {"门店": "静安店", "amount_fen": 12900}},
                  ensure_ascii=False, separators=(",", ":")).encode()


def snippet(language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)


def test_python_snippet_verifies_and_rejects():
    namespace: dict = {}
    exec(snippet("python"), namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify"]
    secret, old = new_secret(), new_secret()
    signed = header([secret, old], BODY)
    assert verify(secret, signed, BODY) == int(signed.split(",")[0][2:])
    assert verify(old, signed, BODY)
    for bad_secret, body, value in ((new_secret(), BODY, signed), (secret, BODY + b"x", signed),
                                    (secret, BODY, header([secret], BODY, timestamp=int(time.time()) - 600)),
                                    (secret, BODY, "t=1")):
        with pytest.raises(ValueError):
            verify(bad_secret, value, body)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")
def test_node_snippet_verifies_and_rejects(tmp_path):
    secret = new_secret()
    cases = {"good": (secret, header([secret], BODY), BODY),
             "wrong_secret": (new_secret(), header([secret], BODY), BODY),
             "tampered": (secret, header([secret], BODY), BODY + b" "),
             "old": (secret, header([secret], BODY, timestamp=int(time.time()) - 600), BODY)}
    script = snippet("js") + "\nconst cases = " + json.dumps(
        {k: [s, h, b.decode()] for k, (s, h, b) in cases.items()}, ensure_ascii=False) + """;
const out = {};
for (const [name, [secret, header, body]] of Object.entries(cases)) {
  try { verify(secret, header, Buffer.from(body, "utf8")); out[name] = "ok"; } catch (e) { out[name] = e.message; }
}
console.log(JSON.stringify(out));
"""
    path = tmp_path / "verify.js"
    path.write_text(script, encoding="utf-8")
    result = json.loads(subprocess.run(["node", str(path)], capture_output=True, text=True, check=True,
                                       timeout=30).stdout)
    assert result == {"good": "ok", "wrong_secret": "no signature matches", "tampered": "no signature matches",
                      "old": "timestamp outside the tolerance"}
