"""schemathesis hooks of scripts/contract.sh.

- The formats of openapi.yaml whose rule JSON Schema cannot state (check digits, IANA names, cron
  syntax, opaque cursors) get generators of valid values, so that well-formed requests are
  really well formed; schemathesis still sends values of the wrong type, length or pattern.
- `POST /payments/notifications` is signed as a payment provider signs it.
- One check of our own, stricter than schemathesis' `positive_data_acceptance` (which accepts
  any 422, since this API answers 422 to a well-formed request its domain rules refuse): a
  well-formed request is never 400, and never 422 `validation-failed` but for the rules the
  schema cannot state.
"""

import hashlib
import hmac
import json
import os
import re
import time

import schemathesis
from hypothesis import strategies as st

# --- Formats -------------------------------------------------------------------------------

_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
schemathesis.openapi.format(
    "email",
    st.from_regex(
        rf"[{_ATEXT}]{{1,20}}(\.[{_ATEXT}]{{1,10}}){{0,2}}"
        r"@([a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?\.){1,2}[a-zA-Z]{2,8}",
        fullmatch=True,
    ),
)


def _mod11(total):
    digit = 11 - total % 11
    return digit if digit <= 9 else 0


def _weighted(digits, weights):
    return sum(d * w for d, w in zip(digits, weights))


@st.composite
def _cpf(draw):
    base = draw(st.lists(st.integers(0, 9), min_size=9, max_size=9))
    if len(set(base)) == 1:
        base[0] = (base[0] + 1) % 10
    dv1 = _mod11(_weighted(base, range(10, 1, -1)))
    dv2 = _mod11(_weighted(base + [dv1], range(11, 1, -1)))
    text = "".join(map(str, base + [dv1, dv2]))
    if draw(st.booleans()):
        text = f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"
    return text


@st.composite
def _cnpj(draw):
    base = draw(st.lists(st.integers(0, 9), min_size=12, max_size=12))
    if len(set(base)) == 1:
        base[0] = (base[0] + 1) % 10
    dv1 = _mod11(_weighted(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    dv2 = _mod11(_weighted(base + [dv1], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    text = "".join(map(str, base + [dv1, dv2]))
    if draw(st.booleans()):
        text = f"{text[:2]}.{text[2:5]}.{text[5:8]}/{text[8:12]}-{text[12:]}"
    return text


schemathesis.openapi.format("br-document", st.one_of(_cpf(), _cnpj()))


@st.composite
def _nfe_key(draw):
    head = draw(st.lists(st.integers(0, 9), min_size=20, max_size=20))
    model = [int(c) for c in draw(st.sampled_from(["55", "65"]))]
    tail = draw(st.lists(st.integers(0, 9), min_size=21, max_size=21))
    digits = head + model + tail
    total = sum(d * w for d, w in zip(reversed(digits), [2, 3, 4, 5, 6, 7, 8, 9] * 6))
    return "".join(map(str, digits + [_mod11(total)]))


schemathesis.openapi.format("nfe-key", _nfe_key())

schemathesis.openapi.format(
    "iana-time-zone",
    st.sampled_from(
        [
            "America/Sao_Paulo",
            "America/Manaus",
            "America/New_York",
            "Europe/Berlin",
            "Europe/Lisbon",
            "Asia/Tokyo",
            "Australia/Sydney",
            "UTC",
        ]
    ),
)

schemathesis.openapi.format(
    "cron",
    st.sampled_from(
        [
            "0 0 9 1 * *",
            "0 30 8 * * MON",
            "0 0 12 15 * *",
            "0 0 0 1 1 *",
            "0 15 10 * * *",
            "0 0 9 1 * * *",
            "0 9 1 * *",
        ]
    ),
)

# A cursor is whatever the previous page's `nextCursor` was (the stateful phase follows the
# links); the well-formed value a client can make up is an empty one, which means "from the
# first page".
schemathesis.openapi.format("page-cursor", st.just(""))

# A receiver URL the run's `webhook_hosts` (http://127.0.0.1:*) opens; port 9 (discard) has no
# listener, so the deliveries the fuzzer causes fail at once instead of waiting on a timeout.
schemathesis.openapi.format(
    "webhook-url", st.from_regex(r"http://127\.0\.0\.1:9/[a-z0-9]{0,12}", fullmatch=True)
)

# --- The webhook's signature ---------------------------------------------------------------

SIGNED_PATH = "/payments/notifications"
SHAPE = re.compile(r"^t=[0-9]{1,10},v1=[0-9a-f]{64}$")


def _raw(body):
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@schemathesis.hook
def before_call(context, case, kwargs):
    """Signs the body actually sent, with the time now, when the generated header has the
    documented shape; a header mutated out of it, or left out, goes as generated."""
    if case.operation.path != SIGNED_PATH or case.method.upper() != "POST":
        return
    headers = case.headers if case.headers is not None else {}
    name = next((k for k in headers if k.lower() == "orderflow-signature"), None)
    if name is None or not isinstance(headers[name], str) or not SHAPE.match(headers[name]):
        return
    if not isinstance(case.body, (dict, list, str, bytes, int, float, bool)) and case.body is not None:
        return
    raw = _raw(case.body)
    secret = os.environ["CONTRACT_WEBHOOK_SECRET"].encode("utf-8")
    stamp = str(int(time.time()))
    mac = hmac.new(secret, stamp.encode("ascii") + b"." + raw, hashlib.sha256).hexdigest()
    headers[name] = f"t={stamp},v1={mac}"
    case.headers = headers
    kwargs["data"] = raw


# --- A stricter acceptance check -----------------------------------------------------------

# `validation-failed` entries a well-formed request may still get: rules across fields or
# against stored state, which no JSON Schema keyword states.
SEMANTIC_FIELD_CODES = {
    # CPF, CNPJ and NF-e key check digits
    "bad-check-digit",
    # sums of amounts past the 64-bit range
    "overflow",
    # a planId or a testClock that names nothing
    "plan-not-found",
    "test-clock-not-found",
    # a well-formed URL the host's webhook_hosts does not open
    "host-not-allowed",
}
SEMANTIC_FIELDS = {
    # a weekly schedule's purchase day is 1-7; daily and cron schedules take none
    "purchaseDay",
    # an endAt before startAt, an anchor in the past
    "endAt",
    "anchor",
    # the shard index must be below the count
    "shard.index",
    # a live pass's instant is not after the host clock
    "now",
}


def _is_probe(case):
    try:
        from schemathesis.specs.openapi.checks import is_unexpected_http_status_case
    except ImportError:
        return False
    return is_unexpected_http_status_case(case)


@schemathesis.check
def well_formed_requests_are_not_malformed(ctx, response, case):
    """A request the schema calls valid is never refused as malformed."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or _is_probe(case):
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        error = response.json()["error"]
    except Exception:  # noqa: BLE001 - any unreadable answer is the failure itself
        raise AssertionError(f"{response.status_code} without an error body") from None
    if response.status_code == 400:
        raise AssertionError(f"a well-formed request was refused as malformed: {error}")
    if error.get("code") != "validation-failed":
        return None
    fields = error.get("details", {}).get("fields", [])
    bad = [
        f
        for f in fields
        if f.get("code") not in SEMANTIC_FIELD_CODES and f.get("field") not in SEMANTIC_FIELDS
    ]
    if bad:
        raise AssertionError(f"a well-formed request was refused: {bad}")
    return None
